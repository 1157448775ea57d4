//! The server under test (`inbox serve`, a child process) and the provider
//! it calls (Meta's send API, faked on loopback and answering at once).

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::process::{Child, Command};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Accepts every send with a fresh `wamid`, as Meta does.
struct Accept(AtomicU64);

impl Respond for Accept {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        let to = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|b| b.get("to").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.fake.{}.{n}", std::process::id())}],
        }))
    }
}

pub async fn fake_meta() -> MockServer {
    // Recording every request would grow without bound over a run.
    let server = MockServer::builder().disable_request_recording().start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v[0-9.]+/[A-Za-z0-9]+/messages$"))
        .respond_with(Accept(AtomicU64::new(0)))
        .mount(&server)
        .await;
    server
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub url: String,
}

impl Server {
    /// Starts `inbox serve` on a free loopback port and waits until it is ready.
    pub async fn start(
        inbox: &Path,
        db_url: &str,
        meta_base: &str,
        pool: Option<u32>,
        work_dir: &Path,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::fs::File::create(work_dir.join("server.log"))?;
        let mut cmd = Command::new(inbox);
        cmd.arg("serve")
            .env("DATABASE_URL", db_url)
            .env("INBOX_BIND", format!("127.0.0.1:{port}"))
            .env("INBOX_META_API_BASE", meta_base)
            // The benchmark is the only client: no per-user limits.
            .env("INBOX_SENDS_PER_MINUTE", "100000000")
            .env("INBOX_LOGIN_ATTEMPTS_PER_MINUTE", "100000000")
            .env("INBOX_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(pool) = pool {
            cmd.env("INBOX_DATABASE_MAX_CONNECTIONS", pool.to_string());
        }
        let child = cmd.spawn().with_context(|| format!("starting {}", inbox.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{url}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not get ready; see {}/server.log",
                work_dir.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { child, pid, url })
    }

    /// Stops it as a deployment would (SIGTERM), and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        crate::sys::terminate(self.pid)?;
        tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.context("server did not stop")??;
        Ok(())
    }
}
