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
        let found = users::find_by_email(&db, email).await.unwrap();
        assert_eq!(found.len(), 1);
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(found[0].id.0)
            .fetch_one(&db)
            .await
            .unwrap();
        assert!(users::verify_password(seed::DEMO_PASSWORD, &hash));
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
