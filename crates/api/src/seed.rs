//! `inbox seed-demo`: a demo company that shows every part of the product.
//!
//! Deterministic (a fixed random seed) and idempotent: a second run finds
//! "Demo Co" and changes nothing.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_domain::users::{self, NewUser, Password, Role};
use inbox_domain::{companies, conversations};
use inbox_types::{CompanyId, E164Phone, MessageId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::PgPool;

pub const DEMO_COMPANY: &str = "Demo Co";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const DEMO_AGENTS: [(&str, &str); 2] = [("ana@demo.test", "Ana Lima"), ("ben@demo.test", "Ben Okafor")];
pub const CONTACTS: usize = 200;
const CONVERSATIONS: usize = 170;
const GROUPS: usize = 8;

#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created { company_id: CompanyId },
    AlreadyThere { company_id: CompanyId },
}

/// A country: its code, how to make a valid mobile number, and local names.
struct Country {
    first: &'static [&'static str],
    last: &'static [&'static str],
    number: fn(&mut StdRng) -> String,
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

const COUNTRIES: [Country; 7] = [
    Country {
        first: &["James", "Emily", "Michael", "Olivia", "Daniel", "Sophia", "Ethan", "Ava"],
        last: &["Johnson", "Miller", "Davis", "Garcia", "Wilson", "Taylor", "Anderson", "Clark"],
        number: |r| {
            let area = ["212", "415", "646", "312", "617", "206", "305", "512"][r.random_range(0..8)];
            format!("+1{area}{}{}", r.random_range(2..10u8), digits(r, 6))
        },
    },
    Country {
        first: &["Oliver", "Amelia", "Harry", "Isla", "George", "Poppy", "Jack", "Freya"],
        last: &["Smith", "Jones", "Williams", "Brown", "Evans", "Thomas", "Roberts", "Walker"],
        number: |r| format!("+447{}{}", r.random_range(4..10u8), digits(r, 8)),
    },
    Country {
        first: &["Lukas", "Hannah", "Leon", "Mia", "Felix", "Lea", "Jonas", "Emma"],
        last: &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann"],
        number: |r| format!("+4915{}{}", ["1", "2", "7"][r.random_range(0..3)], digits(r, 8)),
    },
    Country {
        first: &["João", "Ana", "Pedro", "Mariana", "Lucas", "Beatriz", "Gabriel", "Larissa"],
        last: &["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida"],
        number: |r| format!("+55{}9{}", ["11", "21", "31", "41"][r.random_range(0..4)], digits(r, 8)),
    },
    Country {
        first: &["Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Álvaro", "Paula", "Diego"],
        last: &["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"],
        number: |r| format!("+346{}", digits(r, 8)),
    },
    Country {
        first: &["Aarav", "Diya", "Vihaan", "Ananya", "Arjun", "Isha", "Rohan", "Priya"],
        last: &["Sharma", "Patel", "Singh", "Kumar", "Gupta", "Mehta", "Reddy", "Iyer"],
        number: |r| format!("+919{}", digits(r, 9)),
    },
    Country {
        first: &["Camille", "Louis", "Chloé", "Hugo", "Léa", "Arthur", "Manon", "Jules"],
        last: &["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"],
        number: |r| format!("+336{}", digits(r, 8)),
    },
];

const CUSTOMER_LINES: &[&str] = &[
    "Hi! Is my order on its way?",
    "Hello, I have a question about my invoice",
    "Can I change the delivery address?",
    "Thanks, that worked 🙌",
    "Do you have this in size M?",
    "What are your opening hours on Saturday?",
    "I received the package, thank you!",
    "The tracking link doesn't open for me",
    "Could you send me the receipt again?",
    "Perfect, see you tomorrow 👍",
    "Is there a discount for returning customers?",
    "My payment failed, can you check?",
];

const AGENT_LINES: &[&str] = &[
    "Hi! Let me check that for you.",
    "Your order left our warehouse this morning 🚚",
    "Sure, I've updated the address.",
    "You're welcome! Anything else I can help with?",
    "Yes, size M is back in stock.",
    "We're open 9:00–14:00 on Saturdays.",
    "I've sent the receipt to your email.",
    "Here is the new tracking link: https://example.test/t/48213",
    "I've applied a 10% discount to your next order.",
    "The payment went through now, thanks for your patience.",
];

const GROUP_NAMES: [&str; GROUPS] = [
    "Wholesale Partners",
    "Store Managers",
    "Event Crew 2026",
    "VIP Customers",
    "Logistics Berlin",
    "São Paulo Team",
    "Support Escalations",
    "Beta Testers",
];

/// Creates the demo company unless it exists.
pub async fn seed_demo(db: &PgPool) -> anyhow::Result<Seeded> {
    // One seeder at a time; the second waits and then finds the company.
    let mut lock = db.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(74201)").execute(&mut *lock).await?;
    let result = seed_locked(db).await;
    sqlx::query("SELECT pg_advisory_unlock(74201)").execute(&mut *lock).await?;
    result
}

async fn seed_locked(db: &PgPool) -> anyhow::Result<Seeded> {
    if let Some(c) = companies::find_by_name(db, DEMO_COMPANY).await? {
        return Ok(Seeded::AlreadyThere { company_id: CompanyId(c.id) });
    }
    let mut rng = StdRng::seed_from_u64(2026);
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
        agents.push(user.id);
    }
    channels::create(
        db,
        company_id,
        NewChannel {
            provider: ProviderKind::Sandbox,
            name: "Demo WhatsApp (sandbox)".into(),
            phone_number: Some("+15550100000".into()),
            external_id: format!("sandbox-{company_id}"),
            credentials: serde_json::json!({}),
            verify_token: Some(format!("demo-verify-{}", &company_id.to_string()[..8])),
            app_secret: Some(format!("demo-secret-{}", company_id)),
            is_default: true,
        },
    )
    .await?;

    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut contacts = Vec::with_capacity(CONTACTS);
    let mut seen_phones = std::collections::HashSet::new();
    while contacts.len() < CONTACTS {
        let i = contacts.len();
        let is_group = i < GROUPS;
        let country = &COUNTRIES[rng.random_range(0..COUNTRIES.len())];
        let raw = (country.number)(&mut rng);
        // Only numbers our own parser accepts: the demo must be valid data.
        let Ok(phone) = E164Phone::parse(&raw) else {
            continue;
        };
        if !seen_phones.insert(phone.clone()) {
            continue;
        }
        let name = if is_group {
            Some(GROUP_NAMES[i].to_owned())
        } else if rng.random_range(0..10) == 0 {
            None // some contacts are only a number
        } else {
            let first = country.first[rng.random_range(0..country.first.len())];
            let last = country.last[rng.random_range(0..country.last.len())];
            Some(format!("{first} {last}"))
        };
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO contacts (id, company_id, phone, wa_key, name, is_group, created_at, updated_at) \
             VALUES ($1, $2, $3, $7, $4, $5, $6, $6) RETURNING id",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(company_id.0)
        .bind(phone.as_str())
        .bind(&name)
        .bind(is_group)
        .bind(now - Duration::days(90))
        .bind(inbox_types::WaId::of_phone(&phone).key())
        .fetch_one(&mut *tx)
        .await
        .context("inserting a demo contact")?;
        contacts.push(id);
    }

    let mut messages = MessageColumns::default();
    for (i, contact_id) in contacts.iter().take(CONVERSATIONS).enumerate() {
        let conversation_id = uuid::Uuid::now_v7();
        // Spread the last activity over the last 60 days, the first rows newest.
        let last_at = now - Duration::minutes((i as i64).pow(2) * 3 + rng.random_range(1..30));
        let n = rng.random_range(3..=30);
        // Times walk back from the last message, 5 to 90 minutes apart.
        let mut times = vec![last_at; n];
        for k in (0..n - 1).rev() {
            times[k] = times[k + 1] - Duration::minutes(rng.random_range(5..90));
        }
        let ends_inbound = i % 5 == 1 || i % 7 == 3;
        let unread = if ends_inbound && i % 3 != 0 { rng.random_range(1..=4) } else { 0 };
        let mut last: Option<(uuid::Uuid, String, DateTime<Utc>)> = None;
        for k in 0..n {
            let inbound = if k == n - 1 { ends_inbound } else { k % 2 == 0 };
            let at = times[k];
            let content = if inbound {
                CUSTOMER_LINES[rng.random_range(0..CUSTOMER_LINES.len())]
            } else {
                AGENT_LINES[rng.random_range(0..AGENT_LINES.len())]
            };
            let is_last = k == n - 1;
            let (status, error) = match (inbound, is_last) {
                (true, true) if unread > 0 => ("delivered", None),
                (true, _) => ("read", None),
                (false, false) => ("read", None),
                (false, true) => match i % 9 {
                    // One message still on its way, so every status shows.
                    _ if i == 2 => ("sending", None),
                    0 => ("sent", None),
                    1 => ("delivered", None),
                    2 => ("failed", Some(OUTSIDE_WINDOW)),
                    _ => ("read", None),
                },
            };
            let id = MessageId::new().0;
            messages.push(id, conversation_id, *contact_id, inbound, status, content, error, agents[k % 2], at);
            last = Some((id, content.to_owned(), at));
        }
        let (last_id, last_text, last_time) = last.expect("every demo conversation has messages");
        sqlx::query(
            "INSERT INTO conversations (id, company_id, contact_id, last_message_id, last_message_preview, \
                                        last_message_time, unread_count, is_favorite, is_archived, \
                                        assigned_to_user_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $6)",
        )
        .bind(conversation_id)
        .bind(company_id.0)
        .bind(contact_id)
        .bind(last_id)
        .bind(inbox_types::text::preview(&last_text, conversations::PREVIEW_CHARS))
        .bind(last_time)
        .bind(unread)
        .bind(i % 11 == 4)
        .bind(i >= CONVERSATIONS - 12)
        .bind(match i % 4 {
            0 => Some(agents[0].0),
            1 => Some(agents[1].0),
            _ => None,
        })
        .bind(last_time - Duration::days(1))
        .execute(&mut *tx)
        .await
        .context("inserting a demo conversation")?;
    }
    messages.insert(&mut tx, company_id).await.context("inserting demo messages")?;
    tx.commit().await?;
    Ok(Seeded::Created { company_id })
}

const OUTSIDE_WINDOW: (&str, &str) =
    ("131047", "More than 24 hours have passed since the customer last replied; send a template message instead.");

/// Demo messages, column by column, for one bulk `INSERT ... SELECT FROM UNNEST`.
#[derive(Default)]
struct MessageColumns {
    id: Vec<uuid::Uuid>,
    conversation_id: Vec<uuid::Uuid>,
    contact_id: Vec<uuid::Uuid>,
    direction: Vec<&'static str>,
    status: Vec<&'static str>,
    content: Vec<&'static str>,
    provider_message_id: Vec<Option<String>>,
    error_code: Vec<Option<&'static str>>,
    error_message: Vec<Option<&'static str>>,
    created_by: Vec<Option<uuid::Uuid>>,
    created_at: Vec<DateTime<Utc>>,
}

impl MessageColumns {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: uuid::Uuid,
        conversation_id: uuid::Uuid,
        contact_id: uuid::Uuid,
        inbound: bool,
        status: &'static str,
        content: &'static str,
        error: Option<(&'static str, &'static str)>,
        agent: inbox_types::UserId,
        at: DateTime<Utc>,
    ) {
        self.id.push(id);
        self.conversation_id.push(conversation_id);
        self.contact_id.push(contact_id);
        self.direction.push(if inbound { "inbound" } else { "outbound" });
        self.status.push(status);
        self.content.push(content);
        self.provider_message_id
            .push((!matches!(status, "failed" | "sending")).then(|| format!("wamid.demo.{}", id.simple())));
        self.error_code.push(error.map(|e| e.0));
        self.error_message.push(error.map(|e| e.1));
        self.created_by.push((!inbound).then_some(agent.0));
        self.created_at.push(at);
    }

    async fn insert(&self, tx: &mut sqlx::PgConnection, company_id: CompanyId) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO messages (id, company_id, conversation_id, contact_id, direction, status, content, \
                                   provider_message_id, error_code, error_message, created_by, created_at, \
                                   updated_at, attempts) \
             SELECT id, $1, conversation_id, contact_id, direction, status, content, provider_message_id, \
                    error_code, error_message, created_by, created_at, created_at, \
                    CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END \
               FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], \
                           $9::text[], $10::text[], $11::uuid[], $12::timestamptz[]) \
                    AS m(id, conversation_id, contact_id, direction, status, content, provider_message_id, \
                         error_code, error_message, created_by, created_at)",
        )
        .bind(company_id.0)
        .bind(&self.id)
        .bind(&self.conversation_id)
        .bind(&self.contact_id)
        .bind(&self.direction)
        .bind(&self.status)
        .bind(&self.content)
        .bind(&self.provider_message_id)
        .bind(&self.error_code)
        .bind(&self.error_message)
        .bind(&self.created_by)
        .bind(&self.created_at)
        .execute(tx)
        .await?;
        Ok(())
    }
}
