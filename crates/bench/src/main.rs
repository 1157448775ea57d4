//! `inbox-bench` (`make bench`): issue 8's benchmark.
//!
//! It seeds a fresh database with `inbox seed-bench` (10 companies, 100,000
//! conversations, 1,000,000 messages), starts the release `inbox serve` with
//! Meta's API faked on loopback (answering at once), drives each scenario
//! over HTTP with 8 and 32 closed-loop clients, then runs pgbench scripts
//! with the same SQL against the same database for the ceiling, and prints
//! (and appends to `docs/performance.md`) one table with both.

mod fixture;
mod load;
mod pgbench;
mod report;
mod server;
mod sys;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use crate::load::{Scenario, Target};
use crate::report::Row;

#[derive(Parser, Debug)]
#[command(about = "Load Inbox over HTTP and PostgreSQL with pgbench; report both")]
struct Args {
    /// A PostgreSQL server (any database on it); the bench database is made there.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The bench database's name; dropped and made again unless --reuse.
    #[arg(long, default_value = "inbox_bench")]
    database: String,
    /// Use the bench database as an earlier run left it (seeding takes about 1.5 min).
    #[arg(long)]
    reuse: bool,
    /// The `inbox` binary to benchmark (a release build).
    #[arg(long, default_value = "target/release/inbox")]
    inbox: PathBuf,
    /// Measured seconds per scenario and client count.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Unmeasured seconds before each measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent clients; each scenario runs once per count.
    #[arg(long, value_delimiter = ',', default_value = "8,32")]
    clients: Vec<usize>,
    /// Run only these scenarios (send, status, list, search, page, mixed).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip the pgbench ceilings.
    #[arg(long)]
    no_ceiling: bool,
    /// The server's connection pool size (INBOX_DATABASE_MAX_CONNECTIONS).
    #[arg(long)]
    pool: Option<u32>,
    /// Append the table to this markdown file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Also run sends at 1 to 64 clients and draw latency against throughput here (SVG).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Where the server log and pgbench files go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
}

// One thread: the load generator must leave the cores to the server and
// PostgreSQL (its own CPU time is reported next to theirs).
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // reqwest is built without a default TLS provider; building the provider
    // clients installs one (plain HTTP here, but every client builder asks).
    let _ = inbox_whatsapp::Providers::new(inbox_whatsapp::ProvidersConfig::default());
    let scenarios: Vec<Scenario> =
        Scenario::ALL.into_iter().filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s.name())).collect();
    anyhow::ensure!(!scenarios.is_empty(), "no scenario matches --only {:?}", args.only);
    std::fs::create_dir_all(&args.work_dir)?;

    let db_url = fixture::database(&args.database_url, &args.database, &args.inbox, args.reuse).await?;
    let db = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&db_url).await?;
    let fx = fixture::prepare(&db).await?;
    let fake = server::fake_meta().await;
    let srv = server::Server::start(&args.inbox, &db_url, &fake.uri(), args.pool, &args.work_dir).await?;
    let target = Arc::new(Target::new(&srv.url, fx)?);
    let (warmup, measure) = (Duration::from_secs(args.warmup), Duration::from_secs(args.seconds));

    let mut rows = Vec::new();
    for &scenario in &scenarios {
        for &clients in &args.clients {
            if scenario == Scenario::Status {
                fixture::reset_statuses(&db).await?;
            }
            fixture::settle(&db).await?;
            let s = load::run(&target, scenario, clients, warmup, measure, srv.pid).await?;
            println!("{}", s.line());
            rows.push(Row::app(s));
        }
    }
    let mut curve = Vec::new();
    if args.plot.is_some() && scenarios.contains(&Scenario::Send) {
        for clients in [1, 2, 4, 8, 16, 32, 64] {
            let s = load::run(&target, Scenario::Send, clients, warmup, measure.min(Duration::from_secs(5)), srv.pid)
                .await?;
            println!("{}", s.line());
            curve.push(s);
        }
    }
    let peak_rss = sys::peak_rss_kib(srv.pid)?;
    let idle_rss = sys::rss_kib(srv.pid)?;
    srv.stop().await?;
    println!("server peak RSS {} MiB (now {} MiB)", peak_rss / 1024, idle_rss / 1024);

    if !args.no_ceiling {
        let scripts = pgbench::write_scripts(&args.work_dir)?;
        for &scenario in &scenarios {
            for script in scripts.iter().filter(|s| s.scenario == scenario) {
                if scenario == Scenario::Status {
                    fixture::reset_statuses(&db).await?;
                }
                for &clients in &args.clients {
                    fixture::settle(&db).await?;
                    let s = pgbench::run(&db_url, script, clients, &args.work_dir, warmup, measure).await?;
                    println!("{}", s.line());
                    rows.push(Row::ceiling(s));
                }
            }
        }
    }

    let postgres: String = sqlx::query_scalar(
        "SELECT 'PostgreSQL ' || current_setting('server_version') || ', synchronous_commit ' \
                || current_setting('synchronous_commit')",
    )
    .fetch_one(&db)
    .await?;
    let command = std::env::var("BENCH_COMMAND").unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" "));
    let cx = report::Context { peak_rss_kib: peak_rss, pool: args.pool, postgres: &postgres, command: &command };
    let table = report::markdown(&rows, &cx);
    println!("\n{table}");
    if let Some(path) = &args.report {
        report::append(path, &table)?;
    }
    if let Some(path) = &args.plot {
        std::fs::write(path, report::svg(&curve))?;
        println!("plot written to {}", path.display());
    }
    Ok(())
}
