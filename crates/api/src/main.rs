//! The `inbox` command: the server and the tasks that prepare its data.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use inbox_domain::users::{self, NewUser, Password, Role};
use inbox_domain::{DomainError, MIGRATOR, companies};
use inbox_types::CompanyId;
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
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
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
            MIGRATOR.run(&db).await.context("applying migrations")?;
            println!("migrations applied");
        }
        Command::Serve => {
            let db = connect(config, true).await?;
            MIGRATOR.run(&db).await.context("applying migrations")?;
            let provider = inbox_whatsapp::Providers::new(config.providers());
            server::serve(config, db.clone(), std::sync::Arc::new(provider)).await?;
            db.close().await;
        }
        Command::Openapi => print!("{}", inbox_api::openapi::json()),
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
