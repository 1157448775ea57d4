//! How many event-stream clients one `inbox serve` holds, and how long a
//! change takes to reach all of them.
//!
//! Against a running server (e.g. `make run`, release build):
//!
//! ```sh
//! TOKEN=$(target/release/inbox create-token --email ana@demo.test --label bench)
//! cargo run --release -p inbox-api --example sse_bench -- http://127.0.0.1:8080 "$TOKEN" 1 100 1000
//! ```
//!
//! For each client count N it opens N streams for the demo company, then
//! toggles a conversation's favorite flag 20 times through the API and
//! measures, per change, the time from sending the request until each
//! client has the `conversation.updated` event. It prints the median and the
//! slowest client of the median round, and the server's resident memory
//! (pass the server's pid in INBOX_PID to read it from /proc).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{Barrier, mpsc};

const ROUNDS: usize = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, token, counts @ ..] = args.as_slice() else {
        anyhow::bail!("usage: sse_bench URL TOKEN N [N ...]");
    };
    // reqwest needs a process-wide TLS provider; building the provider clients installs it.
    let _ = inbox_whatsapp::Providers::new(inbox_whatsapp::ProvidersConfig::default());
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let list: serde_json::Value = http
        .get(format!("{url}/api/conversations?limit=1"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let conversation =
        list["conversations"][0]["id"].as_str().ok_or_else(|| anyhow::anyhow!("no conversation"))?.to_owned();

    for n in counts {
        let n: usize = n.parse()?;
        run(&http, url, token, &conversation, n).await?;
    }
    Ok(())
}

async fn run(http: &reqwest::Client, url: &str, token: &str, conversation: &str, n: usize) -> anyhow::Result<()> {
    // Each client reports when it sees a conversation.updated event.
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = Arc::new(Barrier::new(n + 1));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for client in 0..n {
        let (tx, ready) = (tx.clone(), ready.clone());
        // One connection per client, as browsers have.
        let http = reqwest::Client::builder().build()?;
        let req = http.get(format!("{url}/api/events")).bearer_auth(token);
        tasks.push(tokio::spawn(async move {
            let res = match req.send().await {
                Ok(r) if r.status().is_success() => r,
                other => {
                    eprintln!("client {client}: {:?}", other.map(|r| r.status()));
                    ready.wait().await;
                    return;
                }
            };
            let mut body = res.bytes_stream();
            let mut buf = String::new();
            let mut connected = false;
            while let Some(Ok(chunk)) = body.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                if !connected && buf.contains("\n\n") {
                    connected = true;
                    ready.wait().await;
                }
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if frame.contains("event: conversation.updated") {
                        let _ = tx.send((client, Instant::now()));
                    }
                }
            }
        }));
    }
    ready.wait().await;
    let connect_time = started.elapsed();
    let rss = rss_kib();

    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let action = if round % 2 == 0 { "favorite" } else { "unfavorite" };
        let t0 = Instant::now();
        http.post(format!("{url}/api/conversations/{conversation}/{action}"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
        let mut got = vec![None; n];
        let mut left = n;
        let deadline = t0 + Duration::from_secs(30);
        while left > 0 {
            match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
                Ok(Some((client, at))) if got[client].is_none() => {
                    got[client] = Some(at.saturating_duration_since(t0));
                    left -= 1;
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        let mut lat: Vec<Duration> = got.into_iter().flatten().collect();
        lat.sort();
        let reached = lat.len();
        rounds.push((
            lat.get(reached / 2).copied().unwrap_or_default(),
            lat.last().copied().unwrap_or_default(),
            reached,
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    rounds.sort_by_key(|r| r.1);
    let (median_client, slowest, reached) = rounds[rounds.len() / 2];
    println!(
        "{n:>6} clients: connected in {:>6.0} ms; a change reaches the median client in {:>6.1} ms and the last in {:>6.1} ms (median of {ROUNDS} changes; {reached}/{n} reached){}",
        connect_time.as_secs_f64() * 1000.0,
        median_client.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0,
        rss.map(|kib| format!("; server RSS {} MiB", kib / 1024)).unwrap_or_default(),
    );
    for t in tasks {
        t.abort();
    }
    Ok(())
}

fn rss_kib() -> Option<u64> {
    let pid = std::env::var("INBOX_PID").ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}
