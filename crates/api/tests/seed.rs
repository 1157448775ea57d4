//! `inbox seed-demo` against a real database.

use inbox_api::seed::{self, Seeded};
use inbox_domain::users;
use sqlx::PgPool;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn seed_demo_creates_a_company_that_shows_every_part_of_the_product(db: PgPool) {
    let Seeded::Created { company_id } = seed::seed_demo(&db).await.unwrap() else { panic!("expected a new company") };

    let contacts: (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE is_group) FROM contacts WHERE company_id = $1")
            .bind(company_id.0)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(contacts.0, seed::CONTACTS as i64);
    assert!(contacts.1 > 0, "group chats");

    let countries: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT left(phone, 3)) FROM contacts WHERE company_id = $1 AND phone NOT LIKE '+1%'",
    )
    .bind(company_id.0)
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(countries >= 5, "numbers of several countries");

    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT status FROM messages WHERE company_id = $1 ORDER BY 1")
            .bind(company_id.0)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(statuses, ["delivered", "failed", "read", "sending", "sent"], "every status");

    let flags: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE unread_count > 0), count(*) FILTER (WHERE is_favorite), \
                count(*) FILTER (WHERE is_archived), count(*) FILTER (WHERE assigned_to_user_id IS NOT NULL) \
           FROM conversations WHERE company_id = $1",
    )
    .bind(company_id.0)
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(flags.0 > 0 && flags.1 > 0 && flags.2 > 0 && flags.3 > 0, "{flags:?}");

    // The demo agents can log in with the documented password.
    for (email, _) in seed::DEMO_AGENTS {
        assert_can_sign_in(&db, email, seed::DEMO_PASSWORD).await;
    }

    // Every conversation's last message is its newest message.
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM conversations c WHERE c.company_id = $1 AND c.last_message_id <> \
           (SELECT m.id FROM messages m WHERE m.conversation_id = c.id ORDER BY created_at DESC, id DESC LIMIT 1)",
    )
    .bind(company_id.0)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn seed_demo_is_idempotent(db: PgPool) {
    let Seeded::Created { company_id } = seed::seed_demo(&db).await.unwrap() else { panic!() };
    let messages = |db: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM messages").fetch_one(&db).await.unwrap()
    };
    let before = messages(db.clone()).await;
    assert_eq!(seed::seed_demo(&db).await.unwrap(), Seeded::AlreadyThere { company_id });
    assert_eq!(messages(db.clone()).await, before);
    let companies: i64 = sqlx::query_scalar("SELECT count(*) FROM companies").fetch_one(&db).await.unwrap();
    assert_eq!(companies, 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn seed_bench_fills_companies_conversations_and_messages_consistently_in_bulk(db: PgPool) {
    use inbox_api::seed_bench::{BenchSize, seed_bench};
    let size = BenchSize { companies: 2, conversations: 40, messages: 430, long_thread: 50 };
    let seeded = seed_bench(&db, size).await.unwrap();
    assert_eq!((seeded.companies, seeded.conversations), (2, 40));
    // As many as asked: one conversation holds the long thread, the other 39
    // share the rest (9 or 10 each).
    assert_eq!(seeded.messages, 430);
    let long: i64 =
        sqlx::query_scalar("SELECT max(n) FROM (SELECT count(*) n FROM messages GROUP BY conversation_id) t")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(long, 50);
    // Every conversation points at its newest message, as the app keeps it.
    let wrong: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM conversations v WHERE last_message_id IS DISTINCT FROM \
           (SELECT id FROM messages m WHERE m.conversation_id = v.id ORDER BY created_at DESC, id DESC LIMIT 1)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(wrong, 0);
    // Nothing was announced, and the triggers are back on.
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db).await.unwrap();
    assert_eq!(events, 0);
    sqlx::query("UPDATE conversations SET is_favorite = true WHERE id = (SELECT id FROM conversations LIMIT 1)")
        .execute(&db)
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&db).await.unwrap();
    assert_eq!(events, 1);
    // The agents can sign in with the documented password.
    assert_can_sign_in(&db, "agent1@bench.test", inbox_api::seed_bench::BENCH_PASSWORD).await;
    // A second run refuses rather than doubling the data.
    assert!(seed_bench(&db, size).await.is_err());
}

/// One user has `email`, and `password` is theirs.
async fn assert_can_sign_in(db: &PgPool, email: &str, password: &str) {
    let found = users::find_by_email(db, email).await.unwrap();
    assert_eq!(found.len(), 1);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(found[0].id.0)
        .fetch_one(db)
        .await
        .unwrap();
    assert!(users::verify_password(password, &hash));
}
