//! `inbox seed-demo` against a real database: a week of WhatsApp at a small
//! online shop that reads like a real business (issue 17).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Timelike, Utc};
use inbox_api::seed::{self, Seeded};
use inbox_domain::users;
use inbox_types::{CompanyId, E164Phone};
use sqlx::PgPool;

async fn seeded(db: &PgPool) -> CompanyId {
    let Seeded::Created { company_id } = seed::seed_demo(db).await.unwrap() else { panic!("expected a new company") };
    company_id
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_demo_shows_unread_favourite_archived_assigned_and_failed_chats(db: PgPool) {
    let company_id = seeded(&db).await;
    let flags: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE unread_count > 0), count(*) FILTER (WHERE is_favorite), \
                count(*) FILTER (WHERE is_archived), count(*) FILTER (WHERE NOT is_archived), \
                count(*) FILTER (WHERE u.email = 'ana@demo.test'), count(*) FILTER (WHERE u.email = 'ben@demo.test'), \
                count(*) FILTER (WHERE assigned_to_user_id IS NULL) \
           FROM conversations v LEFT JOIN users u ON u.id = v.assigned_to_user_id WHERE v.company_id = $1",
    )
    .bind(company_id.0)
    .fetch_one(&db)
    .await
    .unwrap();
    let (total, unread, favorite, archived, listed, ana, ben, nobody) = flags;
    assert!((30..=70).contains(&total), "a small shop's week: {total} chats");
    assert!(unread >= 3 && favorite >= 3 && archived >= 2 && ana >= 5 && ben >= 5 && nobody >= 5, "{flags:?}");
    // More than one page (50) in the list, so paging shows in the demo.
    assert!(listed > 50, "{listed} chats in the list");

    // One send that failed, with Meta's code and reason, last in its chat.
    let failed: Vec<(Option<String>, Option<String>, bool)> = sqlx::query_as(
        "SELECT m.error_code, m.error_message, v.last_message_id = m.id FROM messages m \
           JOIN conversations v ON v.id = m.conversation_id WHERE m.company_id = $1 AND m.status = 'failed'",
    )
    .bind(company_id.0)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0.as_deref(), Some("131047"));
    assert!(failed[0].1.as_deref().unwrap().contains("24-hour"), "{failed:?}");
    assert!(failed[0].2, "the failed message is the newest of its chat");

    // The customers' photos, locations and voice notes.
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT kind FROM messages WHERE company_id = $1 AND direction = 'inbound' ORDER BY 1",
    )
    .bind(company_id.0)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(kinds, ["audio", "image", "location", "text"]);
    let groups: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts WHERE company_id = $1 AND is_group")
        .bind(company_id.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(groups > 0, "a group chat");

    // A customer writing in Spanish, one in Arabic.
    for (language, sample) in [("Spanish", "¿"), ("Arabic", "ال")] {
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE company_id = $1 AND direction = 'inbound' AND content LIKE '%' || $2 || '%')",
        )
        .bind(company_id.0)
        .bind(sample)
        .fetch_one(&db)
        .await
        .unwrap();
        assert!(found, "a customer writing in {language}");
    }

    // The demo agents can log in with the documented password.
    for (email, _) in seed::DEMO_AGENTS {
        assert_can_sign_in(&db, email, seed::DEMO_PASSWORD).await;
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_demo_customer_has_a_name_of_their_own_and_a_valid_mobile_number(db: PgPool) {
    let company_id = seeded(&db).await;
    let contacts: Vec<(String, String)> =
        sqlx::query_as("SELECT name, phone FROM contacts WHERE company_id = $1 ORDER BY name")
            .bind(company_id.0)
            .fetch_all(&db)
            .await
            .unwrap();
    let names: HashSet<&str> = contacts.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names.len(), contacts.len(), "every name unique: {contacts:?}");
    for (name, phone) in &contacts {
        assert!(E164Phone::parse(phone).is_ok(), "{name}: {phone}");
        // The sandbox fails, retries or answers specially for these.
        assert!(!["0000", "0001", "0429"].iter().any(|end| phone.ends_with(end)), "{name}: {phone}");
    }
    let countries: HashSet<&str> = contacts.iter().map(|c| &c.1[..4]).collect();
    assert!(countries.len() >= 8, "customers from several countries: {countries:?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn demo_agents_answer_only_in_the_shops_opening_hours_within_the_last_week(db: PgPool) {
    let now = Utc::now();
    let Seeded::Created { company_id } = seed::seed_demo_at(&db, now).await.unwrap() else { panic!() };
    let times: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("SELECT direction, created_at FROM messages WHERE company_id = $1")
            .bind(company_id.0)
            .fetch_all(&db)
            .await
            .unwrap();
    for (direction, at) in &times {
        assert!(*at < now && *at > now - Duration::days(7), "{direction} at {at}, now {now}");
        // The shop keeps UTC and opens 08:00-19:00; customers write any time.
        if direction == "outbound" {
            assert!((8..19).contains(&at.hour()), "an agent wrote at {at}");
        }
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn demo_chats_start_with_the_customer_and_do_not_alternate_strictly(db: PgPool) {
    let company_id = seeded(&db).await;
    let threads: Vec<(uuid::Uuid, Vec<String>)> = sqlx::query_as(
        "SELECT conversation_id, array_agg(direction ORDER BY created_at, id) FROM messages \
          WHERE company_id = $1 GROUP BY conversation_id",
    )
    .bind(company_id.0)
    .fetch_all(&db)
    .await
    .unwrap();
    // Every reply follows a customer's message: nobody answers a question
    // that was never asked.
    for (id, directions) in &threads {
        assert_eq!(directions[0], "inbound", "chat {id} starts with the shop");
    }
    // Someone writes several messages in a row, and agents split answers.
    let runs = |dir: &str, n: usize| threads.iter().any(|(_, d)| d.windows(n).any(|w| w.iter().all(|x| x == dir)));
    assert!(runs("inbound", 5), "a customer with five messages in a row");
    assert!(runs("outbound", 3), "an agent answering in three messages");
    // A few long chats, so infinite scroll shows.
    let long = threads.iter().filter(|(_, d)| d.len() >= 200).count();
    assert!(long >= 2, "{long} chats of 200+ messages");
    // Distinct stories, not a few sentences repeated: most texts are unique.
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT content FROM messages m JOIN conversations v ON v.id = m.conversation_id \
          WHERE m.company_id = $1 AND (SELECT count(*) FROM messages WHERE conversation_id = v.id) < 200",
    )
    .bind(company_id.0)
    .fetch_all(&db)
    .await
    .unwrap();
    let distinct: HashSet<&String> = texts.iter().collect();
    assert!(distinct.len() * 10 >= texts.len() * 6, "{} distinct texts of {}", distinct.len(), texts.len());
}

/// A chat's name, last message id, preview, time and unread count; its
/// newest message's id, text and time; its customer's messages after the
/// last reply that are not read.
type ChatAndNewest =
    (String, Option<uuid::Uuid>, Option<String>, DateTime<Utc>, i32, uuid::Uuid, String, DateTime<Utc>, i64);

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_demo_chat_shows_its_newest_message_and_counts_what_came_after_the_last_reply(db: PgPool) {
    let company_id = seeded(&db).await;
    let rows: Vec<ChatAndNewest> = sqlx::query_as(
        "SELECT c.name, v.last_message_id, v.last_message_preview, v.last_message_time, v.unread_count, \
                    m.id, m.content, m.created_at, \
                    (SELECT count(*) FROM messages i WHERE i.conversation_id = v.id AND i.direction = 'inbound' \
                        AND i.status <> 'read' \
                        AND i.created_at > COALESCE((SELECT max(o.created_at) FROM messages o \
                              WHERE o.conversation_id = v.id AND o.direction = 'outbound'), '-infinity')) \
               FROM conversations v JOIN contacts c ON c.id = v.contact_id \
               JOIN LATERAL (SELECT * FROM messages m WHERE m.conversation_id = v.id \
                              ORDER BY created_at DESC, id DESC LIMIT 1) m ON true \
              WHERE v.company_id = $1",
    )
    .bind(company_id.0)
    .fetch_all(&db)
    .await
    .unwrap();
    for (name, last_id, preview, last_time, unread, newest_id, newest_text, newest_at, unread_after_reply) in rows {
        assert_eq!(last_id, Some(newest_id), "{name}");
        assert_eq!(
            preview,
            Some(inbox_types::text::preview(&newest_text, inbox_domain::conversations::PREVIEW_CHARS)),
            "{name}"
        );
        assert_eq!(last_time, newest_at, "{name}");
        assert_eq!(i64::from(unread), unread_after_reply, "{name}");
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn seed_demo_writes_the_same_week_every_time(db: PgPool) {
    // Two fresh databases seeded at the same moment hold the same data.
    let now = Utc::now();
    let name = format!("seed_twin_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&db).await.unwrap();
    let twin = PgPool::connect_with(db.connect_options().as_ref().clone().database(&name)).await.unwrap();
    inbox_domain::MIGRATOR.run(&twin).await.unwrap();
    seed::seed_demo_at(&db, now).await.unwrap();
    seed::seed_demo_at(&twin, now).await.unwrap();
    let first = snapshot(&db, now).await;
    let second = snapshot(&twin, now).await;
    twin.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).execute(&db).await.unwrap();
    assert!(first.len() > 500, "{} messages", first.len());
    assert_eq!(first, second);
}

type Snapshot = Vec<(String, String, i32, bool, bool, Option<String>, String, String, String, i64)>;

/// Who says what, when (seconds before `now`), in which state.
async fn snapshot(db: &PgPool, now: DateTime<Utc>) -> Snapshot {
    sqlx::query_as(
        "SELECT c.name, c.phone, v.unread_count, v.is_favorite, v.is_archived, u.email, m.direction, m.status, \
                m.content, extract(epoch FROM $1 - m.created_at)::bigint \
           FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id \
           LEFT JOIN users u ON u.id = v.assigned_to_user_id \
          ORDER BY c.name, m.created_at, m.content",
    )
    .bind(now)
    .fetch_all(db)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn seed_demo_is_idempotent(db: PgPool) {
    let company_id = seeded(&db).await;
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
