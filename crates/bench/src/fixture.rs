//! The bench database: made and seeded by the `inbox` binary under test, then
//! read for what the clients need (sessions, ids) and given two helper tables
//! the pgbench scripts pick their targets from.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use inbox_domain::{auth, users};
use sqlx::PgPool;
use uuid::Uuid;

/// Outbound messages whose statuses the webhook scenario reports.
const STATUS_TARGETS: i64 = 60_000;
/// Conversations per company the mixed workload opens and answers.
const OPEN_CONVERSATIONS: i64 = 1_000;
/// The surnames the seed gives contacts; the search scenarios pick one.
/// What the message search scenario looks for in the seeded messages (six
/// sentences, in turn): one word in a sixth of all messages, two words of
/// one sentence, a word prefix, and a word no message has.
pub const FIND_WORDS: [&str; 6] = ["order", "warehouse", "delivery address", "thank", "anything else", "refund"];

pub const SURNAMES: [&str; 13] = [
    "Garcia", "Smith", "Silva", "Wang", "Khan", "Rossi", "Ivanova", "Hassan", "Martinez", "Sato", "Okafor", "Schmidt",
    "Müller",
];
/// New numbers the app's sends use: +1 628 2xx xxxx and up (the seeded
/// contacts are +1 415 2xx xxxx; pgbench's new numbers are +1 650).
pub const NEW_NUMBER_BASE: u64 = 16_282_000_000;

#[derive(Debug, Clone)]
pub struct Company {
    pub id: Uuid,
    /// A browser session of the company's agent (the cookie's value).
    pub session: String,
    pub phone_number_id: String,
    pub app_secret: String,
    pub conversations: Vec<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub companies: Vec<Company>,
    /// The first company's 500-message conversation.
    pub long_conversation: Uuid,
    /// (index into `companies`, provider message id) of `sent` messages.
    pub statuses: Vec<(usize, String)>,
    /// The first unused new number.
    pub next_phone: u64,
}

/// Makes (or, with `reuse`, keeps) the bench database, migrated and seeded
/// by `inbox` itself; returns its URL.
pub async fn database(server_url: &str, name: &str, inbox: &Path, reuse: bool) -> anyhow::Result<String> {
    anyhow::ensure!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad database name {name:?}");
    let (server, _) = server_url.rsplit_once('/').context("DATABASE_URL has no database part")?;
    let url = format!("{server}/{name}");
    let admin = PgPool::connect(server_url).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&admin)
        .await?;
    if !reuse || !exists {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&admin)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
    }
    admin.close().await;
    inbox_command(inbox, &url, &["migrate"])?;
    let db = PgPool::connect(&url).await?;
    let seeded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM companies WHERE name LIKE 'Bench %'").fetch_one(&db).await?;
    db.close().await;
    if seeded == 0 {
        let started = Instant::now();
        println!("seeding {name} with `inbox seed-bench` (about 1.5 min)…");
        inbox_command(inbox, &url, &["seed-bench"])?;
        println!("seeded in {:.0} s", started.elapsed().as_secs_f64());
        // Now rather than by autovacuum in the middle of a measurement (and
        // the first reads of fresh rows would write their hint bits).
        let db = PgPool::connect(&url).await?;
        sqlx::query("VACUUM (ANALYZE) contacts, conversations, messages").execute(&db).await?;
        db.close().await;
    }
    Ok(url)
}

fn inbox_command(inbox: &Path, url: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(inbox)
        .args(args)
        .env("DATABASE_URL", url)
        .env("INBOX_LOG", "warn")
        .status()
        .with_context(|| format!("running {}", inbox.display()))?;
    anyhow::ensure!(status.success(), "`inbox {}` failed: {status}", args.join(" "));
    Ok(())
}

/// Reads what the clients need and makes the pgbench helper tables.
pub async fn prepare(db: &PgPool) -> anyhow::Result<Fixture> {
    let rows: Vec<(i32, Uuid, Uuid, String, String)> = sqlx::query_as(
        "SELECT substr(co.name, 7)::int, co.id, ch.id, ch.external_id, ch.app_secret \
           FROM companies co JOIN channels ch ON ch.company_id = co.id AND ch.is_default \
          WHERE co.name LIKE 'Bench %' ORDER BY 1",
    )
    .fetch_all(db)
    .await?;
    anyhow::ensure!(!rows.is_empty(), "no bench companies: run `inbox seed-bench` first");
    let mut companies = Vec::new();
    for (n, id, _, phone_number_id, app_secret) in &rows {
        let user = users::find_by_email(db, &format!("agent{n}@bench.test"))
            .await?
            .into_iter()
            .find(|u| u.company_id.0 == *id)
            .context("bench agent missing")?;
        let session = auth::create_session(db, &user, Duration::from_secs(86_400)).await?;
        let conversations: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE company_id = $1 AND is_active ORDER BY random() LIMIT $2",
        )
        .bind(id)
        .bind(OPEN_CONVERSATIONS)
        .fetch_all(db)
        .await?;
        companies.push(Company {
            id: *id,
            session,
            phone_number_id: phone_number_id.clone(),
            app_secret: app_secret.clone(),
            conversations,
        });
    }
    let long_conversation: Uuid = sqlx::query_scalar(
        "SELECT conversation_id FROM messages WHERE company_id = $1 \
          GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1",
    )
    .bind(companies[0].id)
    .fetch_one(db)
    .await?;

    let mut tx = db.begin().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_company (n int PRIMARY KEY, company_id uuid NOT NULL, \
           user_id uuid NOT NULL, channel_id uuid NOT NULL, session_hash bytea, long_conversation uuid)",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("TRUNCATE bench_company").execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO bench_company (n, company_id, user_id, channel_id) \
         SELECT substr(co.name, 7)::int, co.id, u.id, ch.id FROM companies co \
           JOIN users u ON u.company_id = co.id JOIN channels ch ON ch.company_id = co.id AND ch.is_default \
          WHERE co.name LIKE 'Bench %'",
    )
    .execute(&mut *tx)
    .await?;
    for c in &companies {
        sqlx::query("UPDATE bench_company SET session_hash = $2 WHERE company_id = $1")
            .bind(c.id)
            .bind(users::token_hash(&c.session))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE bench_company SET long_conversation = $1 WHERE company_id = $2")
        .bind(long_conversation)
        .bind(companies[0].id)
        .execute(&mut *tx)
        .await?;
    let made: bool = sqlx::query_scalar("SELECT to_regclass('bench_status') IS NULL").fetch_one(&mut *tx).await?;
    if made {
        // Outbound seeded messages, sampled across the table; the webhook
        // scenario reports delivered and read for them.
        sqlx::query(
            "CREATE TABLE bench_status AS \
             SELECT (row_number() OVER ())::int AS i, b.n, m.company_id, m.id AS message_id, m.provider_message_id \
               FROM messages m TABLESAMPLE SYSTEM (20) JOIN bench_company b ON b.company_id = m.company_id \
              WHERE m.direction = 'outbound' AND m.provider_message_id LIKE 'wamid.bench.%' LIMIT $1",
        )
        .bind(STATUS_TARGETS)
        .execute(&mut *tx)
        .await?;
        sqlx::query("ALTER TABLE bench_status ADD PRIMARY KEY (i)").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let statuses: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT company_id, provider_message_id FROM bench_status ORDER BY i").fetch_all(db).await?;
    let statuses =
        statuses.into_iter().filter_map(|(c, p)| companies.iter().position(|x| x.id == c).map(|i| (i, p))).collect();
    let last: Option<String> =
        sqlx::query_scalar("SELECT max(phone) FROM contacts WHERE phone LIKE '+1628%'").fetch_one(db).await?;
    let next_phone = last.and_then(|p| p[1..].parse::<u64>().ok()).map_or(NEW_NUMBER_BASE, |p| p + 1);
    Ok(Fixture { companies, long_conversation, statuses, next_phone })
}

/// Puts the webhook scenario's messages back to `sent` and forgets earlier
/// callbacks, so each run applies real status changes rather than repeats.
/// Triggers are skipped (`session_replication_role`): this is setup, not
/// something to announce.
pub async fn reset_statuses(db: &PgPool) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE messages m SET status = 'sent' FROM bench_status b \
          WHERE m.company_id = b.company_id AND m.id = b.message_id AND m.status <> 'sent'",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("TRUNCATE webhook_events, pending_statuses").execute(&mut *tx).await?;
    tx.commit().await?;
    sqlx::query("VACUUM (ANALYZE) messages").execute(db).await?;
    Ok(())
}

/// Flushes dirty pages before a measurement, so no checkpoint lands in it
/// by chance.
pub async fn settle(db: &PgPool) -> anyhow::Result<()> {
    sqlx::query("CHECKPOINT").execute(db).await?;
    Ok(())
}
