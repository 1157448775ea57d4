//! The `inbox` command: the server and the tasks that prepare its data.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_domain::users::{self, NewUser, Password, Role};
use inbox_domain::{DomainError, MIGRATOR, companies, identities};
use inbox_types::{CompanyId, ContactId, NumberRule};
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use inbox_api::config::{self, Config, LogFormat};
use inbox_api::{seed, server};

#[derive(Parser)]
#[command(name = "inbox", version, about = "Inbox: a multi-tenant WhatsApp shared inbox")]
struct Cli {
    /// A TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "INBOX_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (creating the database when missing), then exit.
    Migrate,
    /// Start the HTTP server (applies pending migrations first).
    Serve,
    /// Create the demo company "Demo Co" with agents, a sandbox channel and chats (idempotent).
    SeedDemo,
    /// Fill an empty database with the benchmark data set (bulk, in SQL):
    /// companies "Bench <n>" with agent<n>@bench.test / bench-password.
    SeedBench {
        #[arg(long, default_value_t = 10)]
        companies: i64,
        #[arg(long, default_value_t = 100_000)]
        conversations: i64,
        #[arg(long, default_value_t = 1_000_000)]
        messages: i64,
        /// Messages in the first company's first conversation.
        #[arg(long, default_value_t = 500)]
        long_thread: i64,
    },
    /// Create a company and print its id.
    CreateCompany {
        #[arg(long)]
        name: String,
    },
    /// Create a user in a company.
    CreateUser {
        #[arg(long)]
        company: uuid::Uuid,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "agent")]
        role: String,
    },
    /// Connect a company's WhatsApp number (prints the channel id).
    CreateChannel(ChannelArgs),
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Apply again the stored webhook callbacks whose events failed (after
    /// the cause is fixed, e.g. a channel added). Each event applies once.
    ReplayWebhooks {
        /// Only the failed ones (the only kind replayed; required, so the
        /// command says what it does).
        #[arg(long, required = true)]
        failed: bool,
        /// Only callbacks received at or after this time (RFC 3339, e.g.
        /// 2026-12-01T00:00:00Z).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Check the data: lists contacts that are one WhatsApp account (e.g.
    /// +52 1 55… and +52 55…), with the command that merges each pair.
    Doctor {
        /// Merge contact DUPLICATE into KEEP (same company): its messages
        /// move into KEEP's conversation and it is deactivated.
        #[arg(long, num_args = 2, value_names = ["KEEP", "DUPLICATE"])]
        merge: Option<Vec<uuid::Uuid>>,
        /// With --merge: merge contacts whose numbers differ (e.g. a
        /// customer known by BSUID alone who is the one with a number).
        #[arg(long, requires = "merge")]
        force: bool,
    },
    /// Which typed numbers a company sends to: `valid` (the default) or
    /// `possible` (also ranges the phone library does not list yet).
    SetNumberRule {
        #[arg(long)]
        company: uuid::Uuid,
        #[arg(long, value_parser = ["valid", "possible"])]
        rule: String,
    },
    /// Create an API token for a user and print it (shown only this once).
    CreateToken {
        #[arg(long)]
        email: String,
        /// Needed only when the email exists in several companies.
        #[arg(long)]
        company: Option<uuid::Uuid>,
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(clap::Args)]
struct ChannelArgs {
    #[arg(long)]
    company: uuid::Uuid,
    /// meta, twilio or sandbox.
    #[arg(long)]
    provider: String,
    #[arg(long, default_value = "")]
    name: String,
    /// The business number in E.164, shown to agents.
    #[arg(long)]
    phone_number: Option<String>,
    /// Meta: the phone number id of the WhatsApp Business account. Sandbox:
    /// the id its webhooks carry (random when not given).
    #[arg(long)]
    phone_number_id: Option<String>,
    /// Meta: a system user access token.
    #[arg(long, env = "INBOX_META_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// Meta (and sandbox): the app secret that signs webhooks.
    #[arg(long, env = "INBOX_META_APP_SECRET", hide_env_values = true)]
    app_secret: Option<String>,
    /// Meta (and sandbox): the token Meta echoes when verifying the webhook.
    #[arg(long)]
    verify_token: Option<String>,
    /// Twilio: the account SID.
    #[arg(long)]
    account_sid: Option<String>,
    /// Twilio: the auth token.
    #[arg(long, env = "INBOX_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Twilio: the WhatsApp sender number, e.g. +14155238886.
    #[arg(long)]
    from: Option<String>,
    /// Make it the company's default channel for sends.
    #[arg(long)]
    default: bool,
}

impl ChannelArgs {
    fn into_new_channel(self) -> anyhow::Result<NewChannel> {
        let provider: ProviderKind = self.provider.parse().map_err(explain)?;
        let need = |v: Option<String>, flag: &str| {
            v.filter(|s| !s.trim().is_empty())
                .ok_or_else(|| anyhow::anyhow!("--{flag} is required for a {} channel", provider.as_str()))
        };
        let random = || uuid::Uuid::new_v4().simple().to_string();
        let (external_id, credentials, app_secret, verify_token) = match provider {
            ProviderKind::Meta => (
                need(self.phone_number_id, "phone-number-id")?,
                serde_json::json!({ "access_token": need(self.access_token, "access-token")? }),
                Some(need(self.app_secret, "app-secret")?),
                Some(need(self.verify_token, "verify-token")?),
            ),
            ProviderKind::Twilio => (
                need(self.from, "from")?,
                serde_json::json!({
                    "account_sid": need(self.account_sid, "account-sid")?,
                    "auth_token": need(self.auth_token, "auth-token")?,
                }),
                None,
                None,
            ),
            ProviderKind::Sandbox => (
                self.phone_number_id
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or_else(|| format!("sandbox-{}", random())),
                serde_json::json!({}),
                Some(self.app_secret.unwrap_or_else(random)),
                Some(self.verify_token.unwrap_or_else(random)),
            ),
        };
        let phone_number = self
            .phone_number
            .map(|p| inbox_types::E164Phone::parse(&p).map(|p| p.to_string()))
            .transpose()
            .map_err(|e| anyhow::anyhow!("--phone-number: {e}"))?;
        Ok(NewChannel {
            provider,
            name: self.name,
            phone_number,
            external_id,
            credentials,
            verify_token,
            app_secret,
            is_default: self.default,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inbox: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    match run(cli.command, &config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(command: Command, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            let db = connect(config, true).await?;
            migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Serve => {
            let db = connect(config, true).await?;
            migrate(&db).await?;
            let provider = inbox_whatsapp::Providers::new(config.providers());
            server::serve(config, db.clone(), std::sync::Arc::new(provider)).await?;
            db.close().await;
        }
        Command::Openapi => print!("{}", inbox_api::openapi::json()),
        Command::ReplayWebhooks { failed: _, since } => {
            let db = connect(config, false).await?;
            let done = inbox_api::callbacks::replay_failed(&db, since).await.map_err(explain)?;
            let plural = if done.replayed == 1 { "" } else { "s" };
            println!(
                "replayed {} failed callback{plural}: {} now applied, {} still failing",
                done.replayed, done.fixed, done.still_failing
            );
        }
        Command::Doctor { merge, force } => {
            let db = connect(config, false).await?;
            doctor(&db, merge, force).await?;
        }
        Command::SetNumberRule { company, rule } => {
            let db = connect(config, false).await?;
            let rule = if rule == "possible" { NumberRule::Possible } else { NumberRule::Valid };
            companies::set_number_rule(&db, CompanyId(company), rule).await.map_err(explain)?;
            println!("number rule of {company}: {rule:?}");
        }
        Command::CreateChannel(args) => {
            let db = connect(config, false).await?;
            let company = companies::find(&db, CompanyId(args.company)).await.map_err(explain)?;
            let channel =
                channels::create(&db, CompanyId(company.id), args.into_new_channel()?).await.map_err(explain)?;
            println!("{}", channel.id);
        }
        Command::SeedBench { companies, conversations, messages, long_thread } => {
            let db = connect(config, true).await?;
            MIGRATOR.run(&db).await.context("applying migrations")?;
            let started = std::time::Instant::now();
            let size = inbox_api::seed_bench::BenchSize { companies, conversations, messages, long_thread };
            let seeded = inbox_api::seed_bench::seed_bench(&db, size).await?;
            println!(
                "seeded {} companies, {} conversations, {} messages in {:.1} s",
                seeded.companies,
                seeded.conversations,
                seeded.messages,
                started.elapsed().as_secs_f64()
            );
        }
        Command::SeedDemo => {
            let db = connect(config, false).await?;
            match seed::seed_demo(&db).await? {
                seed::Seeded::Created { company_id } => {
                    println!("demo company created: {company_id}")
                }
                seed::Seeded::AlreadyThere { company_id } => {
                    println!("demo company exists already: {company_id}")
                }
            }
            for (email, _) in seed::DEMO_AGENTS {
                println!("  login: {email} / {}", seed::DEMO_PASSWORD);
            }
        }
        Command::CreateCompany { name } => {
            let db = connect(config, false).await?;
            let company = companies::create(&db, &name).await.map_err(explain)?;
            println!("{}", company.id);
        }
        Command::CreateUser { company, email, name, password, role } => {
            let db = connect(config, false).await?;
            let company = companies::find(&db, CompanyId(company)).await.map_err(explain)?;
            let role: Role = role.parse().map_err(explain)?;
            let user = users::create(
                &db,
                CompanyId(company.id),
                NewUser {
                    email: &email,
                    display_name: &name,
                    password: Password::new(password).map_err(explain)?,
                    role,
                },
            )
            .await
            .map_err(explain)?;
            println!("{}", user.id);
        }
        Command::CreateToken { email, company, label } => {
            let db = connect(config, false).await?;
            let mut found = users::find_by_email(&db, &email).await.map_err(explain)?;
            if let Some(company) = company {
                found.retain(|u| u.company_id.0 == company);
            }
            let user = match found.as_slice() {
                [] => anyhow::bail!("no active user with email {email}"),
                [one] => one,
                _ => {
                    anyhow::bail!("{email} exists in several companies; choose one with --company")
                }
            };
            let token = users::create_token(&db, user, &label).await.map_err(explain)?;
            println!("{}", token.secret);
        }
    }
    Ok(())
}

/// Applies pending migrations, then fills what SQL cannot (the contacts'
/// equivalence keys, whose rule lives in Rust).
async fn migrate(db: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(db).await.context("applying migrations")?;
    let keyed = identities::backfill_keys(db).await.map_err(explain)?;
    if keyed > 0 {
        tracing::info!(contacts = keyed, "WhatsApp equivalence keys filled in");
    }
    Ok(())
}

/// `inbox doctor`: reports contacts that are one WhatsApp account, or
/// merges a pair.
async fn doctor(db: &PgPool, merge: Option<Vec<uuid::Uuid>>, force: bool) -> anyhow::Result<()> {
    if let Some([keep, duplicate]) = merge.as_deref() {
        let company: uuid::Uuid = sqlx::query_scalar("SELECT company_id FROM contacts WHERE id = $1")
            .bind(keep)
            .fetch_optional(db)
            .await?
            .with_context(|| format!("no contact {keep}"))?;
        let merged = identities::merge(db, CompanyId(company), ContactId(*keep), ContactId(*duplicate), force)
            .await
            .map_err(explain)?;
        println!("merged {duplicate} into {keep}: {} messages moved", merged.messages_moved);
        return Ok(());
    }
    let groups = identities::duplicates(db).await.map_err(explain)?;
    if groups.is_empty() {
        println!("no duplicate contacts");
        return Ok(());
    }
    match groups.len() {
        1 => println!("1 group of contacts is one WhatsApp account:"),
        n => println!("{n} groups of contacts are one WhatsApp account each:"),
    }
    for group in &groups {
        println!("company {} (number {}):", group.company_id, group.key);
        for c in &group.contacts {
            let number = c.wa_id.as_deref().map(|w| format!("+{w}")).or(c.phone.clone()).unwrap_or_default();
            println!("  {}  {number}  {}", c.id, c.name.as_deref().unwrap_or("(no name)"));
        }
        let keep = &group.contacts[0];
        for c in &group.contacts[1..] {
            println!("  merge: inbox doctor --merge {} {}", keep.id, c.id);
        }
    }
    Ok(())
}

/// A domain error as a sentence for the terminal.
fn explain(e: DomainError) -> anyhow::Error {
    match &e {
        DomainError::Validation(v) => anyhow::anyhow!("{}: {}", v.field, v.message),
        _ => anyhow::anyhow!("{e} ({})", e.code()),
    }
}

/// Opens the pool; with `create`, creates the database first when missing.
async fn connect(config: &Config, create: bool) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .parse()
        .with_context(|| format!("database_url {} is not valid", config::redact_url(&config.database_url)))?;
    if create && !Postgres::database_exists(&config.database_url).await.unwrap_or(true) {
        Postgres::create_database(&config.database_url).await.context("creating the database")?;
        tracing::info!("database created");
    }
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .with_context(|| format!("connecting to {}", config::redact_url(&config.database_url)))
}
