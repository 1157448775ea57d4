//! `inbox seed-bench`: a large data set for benchmarks, made in bulk by
//! PostgreSQL itself (`generate_series`), not row by row through the app:
//! companies, each with an agent (password `bench-password`), a Meta channel
//! (`bench<n>`: Meta ids are alphanumeric; app secret `bench-secret-<n>`), contacts with names drawn
//! from common first names and surnames, one conversation each, and the
//! messages spread over them; the first conversation of the first company
//! gets `long_thread` messages (the "messages page of a long conversation"
//! scenario). Realtime triggers are off while it runs, so it announces
//! nothing.

use inbox_domain::users::{Password, hash_password};
use sqlx::PgPool;

pub const BENCH_PASSWORD: &str = "bench-password";

#[derive(Debug, Clone, Copy)]
pub struct BenchSize {
    pub companies: i64,
    pub conversations: i64,
    pub messages: i64,
    pub long_thread: i64,
}

impl Default for BenchSize {
    fn default() -> Self {
        // Issue 8's data set.
        Self { companies: 10, conversations: 100_000, messages: 1_000_000, long_thread: 500 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub companies: i64,
    pub conversations: i64,
    pub messages: i64,
}

/// Seeds `size` into an empty database (companies named `Bench <n>`); refuses
/// when bench companies exist already.
pub async fn seed_bench(db: &PgPool, size: BenchSize) -> anyhow::Result<Seeded> {
    anyhow::ensure!(
        size.companies >= 1 && size.conversations >= size.companies,
        "need at least one conversation per company"
    );
    let existing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM companies WHERE name LIKE 'Bench %'").fetch_one(db).await?;
    anyhow::ensure!(existing == 0, "bench data exists already; use a fresh database");
    let hash = hash_password(&Password::new(BENCH_PASSWORD)?)?;
    let per_company = size.conversations / size.companies;
    let others = (size.messages - size.long_thread).max(0);
    // The other conversations share the rest evenly (the first few one more).
    let sharing = (per_company * size.companies - 1).max(1);
    let (base, remainder) = (others / sharing, others % sharing);

    let mut tx = db.begin().await?;
    for table in ["messages", "conversations"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} DISABLE TRIGGER {table}_publish")))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "CREATE TEMP TABLE bench_companies ON COMMIT DROP AS \
         SELECT n, gen_random_uuid() AS id FROM generate_series(1, $1) n",
    )
    .bind(size.companies)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO companies (id, name) SELECT id, 'Bench ' || n FROM bench_companies")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO users (id, company_id, email, display_name, password_hash, role) \
         SELECT gen_random_uuid(), id, 'agent' || n || '@bench.test', 'Bench Agent ' || n, $1, 'agent' FROM bench_companies",
    )
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO channels (id, company_id, provider, name, phone_number, external_id, credentials, \
                               verify_token, app_secret, is_default) \
         SELECT gen_random_uuid(), id, 'meta', 'Bench', '+1555000' || lpad(n::text, 4, '0'), 'bench' || n, \
                jsonb_build_object('access_token', 'bench-token-' || n), 'bench-verify-' || n, \
                'bench-secret-' || n, true \
           FROM bench_companies",
    )
    .execute(&mut *tx)
    .await?;
    // Names from common first names and surnames, so searches hit many rows.
    sqlx::query(
        "INSERT INTO contacts (id, company_id, phone, wa_key, name, is_group, created_at, updated_at) \
         SELECT gen_random_uuid(), c.id, \
                '+1415' || lpad((2000000 + k)::text, 7, '0'), \
                '1415' || lpad((2000000 + k)::text, 7, '0'), \
                (ARRAY['Maria','John','Ana','Wei','Fatima','Luca','Olga','Ahmed','Sofia','Kenji','Amara','Lena'])[1 + k % 12] \
                  || ' ' || \
                (ARRAY['Garcia','Smith','Silva','Wang','Khan','Rossi','Ivanova','Hassan','Martinez','Sato','Okafor','Schmidt','Müller'])[1 + (k / 12) % 13], \
                false, now() - interval '90 days', now() - interval '90 days' \
           FROM bench_companies c, generate_series(1, $1) k",
    )
    .bind(per_company)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO conversations (id, company_id, contact_id, created_at, updated_at, last_message_time) \
         SELECT gen_random_uuid(), company_id, id, created_at, created_at, created_at FROM contacts \
          WHERE company_id IN (SELECT id FROM bench_companies)",
    )
    .execute(&mut *tx)
    .await?;
    // The long thread: the first company's first conversation by phone.
    let long: uuid::Uuid = sqlx::query_scalar(
        "SELECT v.id FROM conversations v JOIN contacts k ON k.id = v.contact_id \
          WHERE v.company_id = (SELECT id FROM bench_companies WHERE n = 1) ORDER BY k.phone LIMIT 1",
    )
    .fetch_one(&mut *tx)
    .await?;
    // Messages: alternating in and out, a minute apart, ending at a time
    // spread over the last 90 days per conversation.
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, company_id, contact_id, direction, status, content, \
                               provider_message_id, created_at, updated_at) \
         SELECT gen_random_uuid(), v.id, v.company_id, v.contact_id, \
                CASE WHEN k % 2 = 0 THEN 'outbound' ELSE 'inbound' END, \
                CASE WHEN k % 2 = 0 THEN 'read' ELSE 'delivered' END, \
                (ARRAY['Hi! Is my order on its way?','It left the warehouse this morning.', \
                       'Can I change the delivery address?','Sure, what is the new address?', \
                       'Thanks, that worked!','You are welcome. Anything else?'])[1 + k % 6] || ' #' || k, \
                'wamid.bench.' || replace(gen_random_uuid()::text, '-', ''), \
                t.ends - (v.total - k) * interval '1 minute', t.ends - (v.total - k) * interval '1 minute' \
           FROM (SELECT c.id, c.company_id, c.contact_id, \
                        CASE WHEN c.id = $3 THEN $2 \
                             ELSE $1 + CASE WHEN row_number() OVER (ORDER BY c.id = $3, c.id) <= $4 THEN 1 ELSE 0 END \
                        END AS total \
                   FROM conversations c WHERE c.company_id IN (SELECT id FROM bench_companies)) v \
           CROSS JOIN LATERAL (SELECT now() - (abs(hashtext(v.id::text)) % 129600) * interval '1 minute' AS ends) t \
           CROSS JOIN LATERAL generate_series(1, v.total) k",
    )
    .bind(base)
    .bind(size.long_thread.max(1))
    .bind(long)
    .bind(remainder)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE conversations v SET last_message_id = m.id, last_message_preview = left(m.content, 100), \
                last_message_time = m.created_at, updated_at = m.created_at \
           FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, content, created_at FROM messages \
                  WHERE company_id IN (SELECT id FROM bench_companies) \
                  ORDER BY conversation_id, created_at DESC, id DESC) m \
          WHERE v.id = m.conversation_id",
    )
    .execute(&mut *tx)
    .await?;
    // Check the deferred foreign keys now: a table with pending checks
    // cannot be altered.
    sqlx::query("SET CONSTRAINTS ALL IMMEDIATE").execute(&mut *tx).await?;
    for table in ["messages", "conversations"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} ENABLE TRIGGER {table}_publish")))
            .execute(&mut *tx)
            .await?;
    }
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM bench_companies), \
                (SELECT count(*) FROM conversations WHERE company_id IN (SELECT id FROM bench_companies)), \
                (SELECT count(*) FROM messages WHERE company_id IN (SELECT id FROM bench_companies))",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    for table in ["companies", "contacts", "conversations", "messages"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}"))).execute(db).await?;
    }
    Ok(Seeded { companies: counts.0, conversations: counts.1, messages: counts.2 })
}
