//! The `inbox` administration commands, run as a person would.

use std::process::{Command, Output};

use sqlx::PgPool;

fn url_of(db: &PgPool) -> String {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by make test");
    let name = db.connect_options().get_database().unwrap().to_owned();
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}

fn inbox(db: &PgPool, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inbox")).args(args).env("DATABASE_URL", url_of(db)).output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap().trim().to_owned()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_admin_creates_a_company_a_user_and_a_token(db: PgPool) {
    let company = stdout(&inbox(&db, &["create-company", "--name", "Acme"]));
    assert!(uuid::Uuid::parse_str(&company).is_ok(), "prints the id: {company}");

    let user = stdout(&inbox(
        &db,
        &[
            "create-user",
            "--company",
            &company,
            "--email",
            "Zoe@Acme.test",
            "--name",
            "Zoe",
            "--password",
            "s3cret-pass",
        ],
    ));
    let (email, role): (String, String) =
        sqlx::query_as("SELECT email, role FROM users WHERE id = $1::uuid").bind(&user).fetch_one(&db).await.unwrap();
    assert_eq!((email.as_str(), role.as_str()), ("zoe@acme.test", "agent"));

    let token = stdout(&inbox(&db, &["create-token", "--email", "zoe@acme.test", "--label", "CRM"]));
    assert!(token.starts_with("inbox_") && token.len() > 40, "{token}");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE label = 'CRM'").fetch_one(&db).await.unwrap();
    assert_eq!(stored, inbox_domain::users::token_hash(&token), "only the hash is stored");
    let plain: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%inbox_%'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(plain, 0);
}

fn create_user(db: &PgPool, company: &str, email: &str, password: &str, extra: &[&str]) -> Output {
    let mut args = vec!["create-user", "--company", company, "--email", email, "--name", "A", "--password", password];
    args.extend_from_slice(extra);
    inbox(db, &args)
}

fn stderr(o: &Output) -> String {
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn bad_input_to_the_commands_is_explained_and_stores_nothing(db: PgPool) {
    let company = stdout(&inbox(&db, &["create-company", "--name", "Acme"]));
    assert!(stderr(&create_user(&db, &company, "a@acme.test", "short", &[])).contains("password"));
    assert!(stderr(&create_user(&db, &company, "a@acme.test", "long-enough", &["--role", "boss"])).contains("role"));
    assert!(stderr(&create_user(&db, &company, "not-an-email", "long-enough", &[])).contains("email"));
    let nil = uuid::Uuid::nil().to_string();
    assert!(stderr(&create_user(&db, &nil, "a@x.test", "long-enough", &[])).contains("company not found"));
    assert!(stderr(&inbox(&db, &["create-token", "--email", "nobody@acme.test"])).contains("no active user"));
    assert!(stderr(&inbox(&db, &["create-company", "--name", "  "])).contains("name"));

    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&db).await.unwrap();
    assert_eq!(users, 0);

    // The same email in two companies needs --company.
    let other = stdout(&inbox(&db, &["create-company", "--name", "Globex"]));
    for c in [&company, &other] {
        stdout(&create_user(&db, c, "sam@x.test", "long-enough", &[]));
    }
    assert!(stderr(&inbox(&db, &["create-token", "--email", "sam@x.test"])).contains("--company"));
    stdout(&inbox(&db, &["create-token", "--email", "sam@x.test", "--company", &other]));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn channels_are_connected_per_provider_with_their_settings(db: PgPool) {
    let company = stdout(&inbox(&db, &["create-company", "--name", "Acme"]));
    let missing =
        inbox(&db, &["create-channel", "--company", &company, "--provider", "meta", "--phone-number-id", "1"]);
    assert!(stderr(&missing).contains("--access-token"), "a Meta channel needs its token");
    assert!(stderr(&inbox(&db, &["create-channel", "--company", &company, "--provider", "fax"])).contains("provider"));

    let meta = stdout(&inbox(
        &db,
        &[
            "create-channel",
            "--company",
            &company,
            "--provider",
            "meta",
            "--phone-number-id",
            "106540352242922",
            "--access-token",
            "EAAG-top-secret",
            "--app-secret",
            "app-secret-1",
            "--verify-token",
            "verify-1",
            "--phone-number",
            "+1 415 555 0199",
        ],
    ));
    assert!(!meta.contains("EAAG"), "secrets are never printed: {meta}");
    let twilio = stdout(&inbox(
        &db,
        &[
            "create-channel",
            "--company",
            &company,
            "--provider",
            "twilio",
            "--from",
            "+14155238886",
            "--account-sid",
            "AC123",
            "--auth-token",
            "tw-secret",
        ],
    ));
    stdout(&inbox(&db, &["create-channel", "--company", &company, "--provider", "sandbox"]));
    // A sandbox whose webhook id the caller chooses (the browser tests post to it).
    stdout(&inbox(
        &db,
        &["create-channel", "--company", &company, "--provider", "sandbox", "--phone-number-id", "e2e-channel"],
    ));

    let rows: Vec<(String, String, bool, Option<String>)> =
        sqlx::query_as("SELECT provider, external_id, is_default, phone_number FROM channels ORDER BY created_at")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        rows[0],
        ("meta".into(), "106540352242922".into(), true, Some("+14155550199".into())),
        "the first is the default"
    );
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("twilio", "+14155238886"));
    assert!(rows[2].1.starts_with("sandbox-"));
    assert_eq!(rows[3].1, "e2e-channel");
    let _ = twilio;
}
