//! `inbox seed-demo`: a week of WhatsApp at Casa Linho, a small online shop
//! in Lisbon that sells linen bedding, towels and clothes across Europe.
//!
//! The chats are written as short scripts in `stories.txt` (see `script`)
//! and expanded by `plan`: deterministic (a fixed random seed, times
//! relative to the run's now) and idempotent (a second run finds "Demo Co"
//! and changes nothing). Everything is written in a few bulk inserts.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_domain::companies;
use inbox_domain::conversations;
use inbox_domain::users::{self, NewUser, Password, Role};
use inbox_types::{CompanyId, MessageId, MessageKind, WaId};
use sqlx::PgPool;

use plan::Thread;
use script::{Agent, Speaker};

mod plan;
mod script;

pub const DEMO_COMPANY: &str = "Demo Co";
pub const DEMO_SHOP: &str = "Casa Linho";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const DEMO_AGENTS: [(&str, &str); 2] = [("ana@demo.test", "Ana Lima"), ("ben@demo.test", "Ben Okafor")];

#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created { company_id: CompanyId },
    AlreadyThere { company_id: CompanyId },
}

/// Creates the demo company unless it exists.
pub async fn seed_demo(db: &PgPool) -> anyhow::Result<Seeded> {
    seed_demo_at(db, Utc::now()).await
}

/// The demo as it reads at `now` (tests pass the same `now` twice).
pub async fn seed_demo_at(db: &PgPool, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    // One seeder at a time; the second waits and then finds the company.
    let mut lock = db.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(74201)").execute(&mut *lock).await?;
    let result = seed_locked(db, now).await;
    sqlx::query("SELECT pg_advisory_unlock(74201)").execute(&mut *lock).await?;
    result
}

async fn seed_locked(db: &PgPool, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    if let Some(c) = companies::find_by_name(db, DEMO_COMPANY).await? {
        return Ok(Seeded::AlreadyThere { company_id: CompanyId(c.id) });
    }
    let demo = plan::plan(now).context("planning the demo")?;
    let company_id = CompanyId(companies::create(db, DEMO_COMPANY).await?.id);
    let mut agents = Vec::new();
    for (i, (email, name)) in DEMO_AGENTS.iter().enumerate() {
        let role = if i == 0 { Role::Admin } else { Role::Agent };
        let user = users::create(
            db,
            company_id,
            NewUser { email, display_name: name, password: Password::new(DEMO_PASSWORD)?, role },
        )
        .await?;
        agents.push(user.id.0);
    }
    let channel = channels::create(
        db,
        company_id,
        NewChannel {
            provider: ProviderKind::Sandbox,
            name: format!("{DEMO_SHOP} WhatsApp (sandbox)"),
            phone_number: Some("+15550100000".into()),
            external_id: format!("sandbox-{company_id}"),
            credentials: serde_json::json!({}),
            verify_token: Some(format!("demo-verify-{}", &company_id.to_string()[..8])),
            app_secret: Some(format!("demo-secret-{}", company_id)),
            is_default: true,
        },
    )
    .await?;
    let agent_id = |a: Agent| match a {
        Agent::Ana => agents[0],
        Agent::Ben => agents[1],
    };

    let mut rows = Rows::default();
    for thread in &demo.threads {
        rows.push(thread, &agent_id);
    }
    let mut tx = db.begin().await?;
    rows.insert(&mut tx, company_id, channel.id.0).await.context("inserting the demo chats")?;
    tx.commit().await?;
    Ok(Seeded::Created { company_id })
}

/// The demo's contacts, conversations and messages, column by column, for
/// one bulk `INSERT ... SELECT FROM UNNEST` per table.
#[derive(Default)]
struct Rows {
    contact: ContactColumns,
    conversation: ConversationColumns,
    message: MessageColumns,
}

#[derive(Default)]
struct ContactColumns {
    id: Vec<uuid::Uuid>,
    phone: Vec<String>,
    wa_id: Vec<Option<String>>,
    wa_key: Vec<String>,
    name: Vec<String>,
    is_group: Vec<bool>,
    created_at: Vec<DateTime<Utc>>,
}

#[derive(Default)]
struct ConversationColumns {
    id: Vec<uuid::Uuid>,
    contact_id: Vec<uuid::Uuid>,
    last_message_id: Vec<uuid::Uuid>,
    preview: Vec<String>,
    last_message_time: Vec<DateTime<Utc>>,
    unread_count: Vec<i32>,
    is_favorite: Vec<bool>,
    is_archived: Vec<bool>,
    assignee: Vec<Option<uuid::Uuid>>,
    created_at: Vec<DateTime<Utc>>,
}

#[derive(Default)]
struct MessageColumns {
    id: Vec<uuid::Uuid>,
    conversation_id: Vec<uuid::Uuid>,
    contact_id: Vec<uuid::Uuid>,
    direction: Vec<&'static str>,
    status: Vec<&'static str>,
    content: Vec<String>,
    kind: Vec<&'static str>,
    payload: Vec<Option<String>>,
    media_type: Vec<Option<&'static str>>,
    provider_message_id: Vec<Option<String>>,
    error_code: Vec<Option<&'static str>>,
    error_message: Vec<Option<&'static str>>,
    created_by: Vec<Option<uuid::Uuid>>,
    created_at: Vec<DateTime<Utc>>,
}

impl Rows {
    fn push(&mut self, thread: &Thread, agent_id: &dyn Fn(Agent) -> uuid::Uuid) {
        let (first, last) = match (thread.messages.first(), thread.messages.last()) {
            (Some(first), Some(last)) => (first, last),
            _ => return,
        };
        let contact_id = uuid::Uuid::now_v7();
        let c = &mut self.contact;
        c.id.push(contact_id);
        c.phone.push(thread.phone.as_str().to_owned());
        // The number WhatsApp delivers a customer's messages from.
        c.wa_id.push((!thread.group).then(|| thread.phone.as_str()[1..].to_owned()));
        c.wa_key.push(WaId::of_phone(&thread.phone).key());
        c.name.push(thread.name.clone());
        c.is_group.push(thread.group);
        // Customers came before this week: the shop has been open a while.
        c.created_at.push(first.at - Duration::days(30));

        let conversation_id = uuid::Uuid::now_v7();
        let mut last_id = uuid::Uuid::nil();
        for m in &thread.messages {
            let id = MessageId::new().0;
            last_id = id;
            let inbound = m.speaker == Speaker::Customer;
            let kind = m.content.kind();
            let r = &mut self.message;
            r.id.push(id);
            r.conversation_id.push(conversation_id);
            r.contact_id.push(contact_id);
            r.direction.push(if inbound { "inbound" } else { "outbound" });
            r.status.push(m.status.as_str());
            r.content.push(m.content.rendering().into_owned());
            r.kind.push(kind.as_str());
            // A text message's payload is its `content` alone (see the migration).
            r.payload
                .push((kind != MessageKind::Text).then(|| serde_json::to_string(&m.content).expect("content is JSON")));
            r.media_type.push(m.content.media_type());
            r.provider_message_id.push(m.error.is_none().then(|| format!("wamid.demo.{}", id.simple())));
            r.error_code.push(m.error.map(|e| e.0));
            r.error_message.push(m.error.map(|e| e.1));
            r.created_by.push(match m.speaker {
                Speaker::Agent { agent, .. } => Some(agent_id(agent)),
                Speaker::Customer => None,
            });
            r.created_at.push(m.at);
        }

        let v = &mut self.conversation;
        v.id.push(conversation_id);
        v.contact_id.push(contact_id);
        v.last_message_id.push(last_id);
        v.preview.push(inbox_types::text::preview(&last.content.rendering(), conversations::PREVIEW_CHARS));
        v.last_message_time.push(last.at);
        v.unread_count.push(thread.unread_count);
        v.is_favorite.push(thread.favorite);
        v.is_archived.push(thread.archived);
        v.assignee.push(thread.assignee.map(agent_id));
        v.created_at.push(first.at);
    }

    async fn insert(
        &self,
        tx: &mut sqlx::PgConnection,
        company_id: CompanyId,
        channel_id: uuid::Uuid,
    ) -> sqlx::Result<()> {
        let c = &self.contact;
        sqlx::query(
            "INSERT INTO contacts (id, company_id, phone, wa_id, wa_key, name, is_group, created_at, updated_at) \
             SELECT id, $1, phone, wa_id, wa_key, name, is_group, created_at, created_at \
               FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::timestamptz[]) \
                    AS c(id, phone, wa_id, wa_key, name, is_group, created_at)",
        )
        .bind(company_id.0)
        .bind(&c.id)
        .bind(&c.phone)
        .bind(&c.wa_id)
        .bind(&c.wa_key)
        .bind(&c.name)
        .bind(&c.is_group)
        .bind(&c.created_at)
        .execute(&mut *tx)
        .await?;

        // Conversations name their last message before it exists: that
        // foreign key is checked at commit.
        let v = &self.conversation;
        sqlx::query(
            "INSERT INTO conversations (id, company_id, contact_id, last_message_id, last_message_preview, \
                                        last_message_time, unread_count, is_favorite, is_archived, \
                                        assigned_to_user_id, created_at, updated_at) \
             SELECT id, $1, contact_id, last_message_id, preview, last_message_time, unread_count, is_favorite, \
                    is_archived, assignee, created_at, last_message_time \
               FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::int[], \
                           $8::bool[], $9::bool[], $10::uuid[], $11::timestamptz[]) \
                    AS v(id, contact_id, last_message_id, preview, last_message_time, unread_count, is_favorite, \
                         is_archived, assignee, created_at)",
        )
        .bind(company_id.0)
        .bind(&v.id)
        .bind(&v.contact_id)
        .bind(&v.last_message_id)
        .bind(&v.preview)
        .bind(&v.last_message_time)
        .bind(&v.unread_count)
        .bind(&v.is_favorite)
        .bind(&v.is_archived)
        .bind(&v.assignee)
        .bind(&v.created_at)
        .execute(&mut *tx)
        .await?;

        let m = &self.message;
        sqlx::query(
            "INSERT INTO messages (id, company_id, channel_id, conversation_id, contact_id, direction, status, \
                                   content, kind, payload, media_type, provider_message_id, error_code, \
                                   error_message, created_by, created_at, updated_at, attempts) \
             SELECT id, $1, $2, conversation_id, contact_id, direction, status, content, kind, payload::jsonb, \
                    media_type, provider_message_id, error_code, error_message, created_by, created_at, \
                    created_at, CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END \
               FROM UNNEST($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], \
                           $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::uuid[], \
                           $16::timestamptz[]) \
                    AS m(id, conversation_id, contact_id, direction, status, content, kind, payload, media_type, \
                         provider_message_id, error_code, error_message, created_by, created_at)",
        )
        .bind(company_id.0)
        .bind(channel_id)
        .bind(&m.id)
        .bind(&m.conversation_id)
        .bind(&m.contact_id)
        .bind(&m.direction)
        .bind(&m.status)
        .bind(&m.content)
        .bind(&m.kind)
        .bind(&m.payload)
        .bind(&m.media_type)
        .bind(&m.provider_message_id)
        .bind(&m.error_code)
        .bind(&m.error_message)
        .bind(&m.created_by)
        .bind(&m.created_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
