//! No secret reaches the logs: `inbox serve` with every debug log on, driven
//! through sign-in, cookie and token requests, a send that Meta refuses with
//! the access token in its error text, and signed and forged webhooks; its
//! whole output must not contain any of the secrets involved.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use inbox_types::MessageStatus;
use inbox_whatsapp::webhook::meta;
use reqwest::Client;
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn no_secret_is_ever_written_to_the_log(db: PgPool) {
    // Installs the process's TLS provider, which every reqwest client needs.
    let _ = inbox_whatsapp::Providers::new(inbox_whatsapp::ProvidersConfig::default());
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let meta_api = MockServer::start().await;
    // Meta refuses and, as some APIs do, repeats the credential it was given.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Invalid OAuth access token - Cannot parse access token EAAG-acme",
            "type": "OAuthException", "code": 190,
        }})))
        .mount(&meta_api)
        .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::env::temp_dir().join(format!("inbox-secrets-{}.log", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env("DATABASE_URL", url_of(&db))
        .env("INBOX_BIND", format!("127.0.0.1:{port}"))
        .env("INBOX_META_API_BASE", meta_api.uri())
        .env("INBOX_LOG", "trace")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(log.with_extension("err")).unwrap()))
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = Client::builder().cookie_store(true).build().unwrap();
    let started = Instant::now();
    while http.get(format!("{url}/readyz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let login = http
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": acme.agent.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = login.cookies().find(|c| c.name() == "inbox_session").unwrap().value().to_owned();
    assert_eq!(http.get(format!("{url}/api/auth/me")).send().await.unwrap().status(), 200);
    let wrong = Client::new()
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": acme.agent.email, "password": "wrong-password-456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let send = Client::new()
        .post(format!("{url}/api/messages"))
        .bearer_auth(&acme.token)
        .json(&json!({"phoneNumber": "+14155550100", "messageText": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(send.status(), 502, "Meta refused");
    let body = meta::status_payload(
        &acme.phone_number_id,
        "wamid.unknown",
        MessageStatus::Delivered,
        "14155550100",
        chrono::Utc::now(),
    );
    for (secret, expected) in [("secret-acme", 200), ("not-the-secret", 401)] {
        let res = Client::new()
            .post(format!("{url}/api/whatsapp/webhook"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", meta::sign(secret.as_bytes(), &body))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
    }
    let verify = format!("{url}/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=verify-acme&hub.challenge=7");
    assert_eq!(Client::new().get(verify).send().await.unwrap().status(), 200);

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let output = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(log.with_extension("err")).unwrap();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(log.with_extension("err"));
    assert!(output.contains("message.failed"), "the log has the failed send (and is the log): {output}");
    for secret in [
        PASSWORD,
        "wrong-password-456",
        session.as_str(),
        acme.token.as_str(),
        "secret-acme",
        "EAAG-acme",
        "verify-acme",
    ] {
        let at = output.find(secret).map(|i| output[i.saturating_sub(200)..(i + 40).min(output.len())].to_owned());
        assert!(at.is_none(), "the log contains the test secret {secret:?}: …{}…", at.unwrap_or_default());
    }
}
