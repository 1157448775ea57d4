use inbox_domain::Actor;
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_domain::send::Sent;
use inbox_domain::users::{self, NewUser, Password, Role, User};
use inbox_domain::{companies, provider::ScriptedProvider, send};
use inbox_types::dto::NewMessage;
use inbox_types::{CompanyId, E164Phone, MessageText};
use sqlx::PgPool;

/// A company with an agent and a sandbox channel, ready to send.
pub struct Tenant {
    pub company: CompanyId,
    pub agent: User,
}

impl Tenant {
    pub async fn new(db: &PgPool, name: &str) -> Tenant {
        let company = CompanyId(companies::create(db, name).await.unwrap().id);
        let email = format!("agent@{}.test", name.to_lowercase().replace(' ', "-"));
        let agent = users::create(
            db,
            company,
            NewUser {
                email: &email,
                display_name: "Agent",
                password: Password::new("password-123").unwrap(),
                role: Role::Agent,
            },
        )
        .await
        .unwrap();
        channels::create(
            db,
            company,
            NewChannel {
                provider: ProviderKind::Sandbox,
                name: "Sandbox".into(),
                phone_number: Some("+15550000000".into()),
                external_id: format!("sandbox-{}", company),
                credentials: serde_json::json!({}),
                verify_token: None,
                app_secret: None,
                is_default: true,
            },
        )
        .await
        .unwrap();
        Tenant { company, agent }
    }

    /// A second agent of the company.
    pub async fn colleague(db: &PgPool, t: &Tenant) -> inbox_types::UserId {
        let email = format!("colleague-{}@acme.test", t.company);
        let user = NewUser {
            email: &email,
            display_name: "Colleague",
            password: Password::new("password-123").unwrap(),
            role: Role::Agent,
        };
        users::create(db, t.company, user).await.unwrap().id
    }

    pub fn actor(&self) -> Actor {
        Actor { company_id: self.company, user_id: Some(self.agent.id) }
    }

    pub async fn send(&self, db: &PgPool, provider: &ScriptedProvider, phone: &str, text: &str) -> Sent {
        send::send_new_message(db, provider, self.actor(), &new_message(phone, text)).await.unwrap()
    }
}

pub fn new_message(phone: &str, text: &str) -> NewMessage {
    NewMessage { phone: phone_of(phone), text: MessageText::parse(text).unwrap(), client_key: None }
}

pub fn phone_of(s: &str) -> E164Phone {
    E164Phone::parse(s).unwrap()
}

/// Makes every INSERT (and UPDATE, when asked) on `table` fail inside
/// PostgreSQL, to prove how a service handles a real database error.
pub async fn break_writes_to(db: &PgPool, table: &str, also_updates: bool) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE OR REPLACE FUNCTION inbox_test_fail() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'injected failure on %', TG_TABLE_NAME; END $$; \
         CREATE TRIGGER inbox_test_fail BEFORE INSERT {} ON {table} FOR EACH ROW EXECUTE FUNCTION inbox_test_fail();",
        if also_updates { "OR UPDATE" } else { "" }
    )))
    .execute(db)
    .await
    .unwrap();
}

pub async fn count(db: &PgPool, sql: &'static str, company: CompanyId) -> i64 {
    sqlx::query_scalar(sql).bind(company.0).fetch_one(db).await.unwrap()
}

/// A text from a customer WhatsApp names by `wa_id`, as a webhook reports it.
pub fn inbound_text(
    wa_id: &str,
    wamid: &str,
    text: &str,
    profile_name: Option<&str>,
) -> inbox_domain::inbound::InboundMessage {
    inbox_domain::inbound::InboundMessage {
        channel_id: None,
        from: inbox_domain::contacts::Identity {
            wa_id: Some(inbox_types::WaId::parse(wa_id).unwrap()),
            ..Default::default()
        },
        profile_name: profile_name.map(str::to_owned),
        provider_message_id: wamid.into(),
        content: inbox_types::MessageContent::text(text),
        reply_to: None,
        sent_at: None,
        number_change: None,
    }
}
