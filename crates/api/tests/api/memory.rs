//! Memory stays bounded under hostile input: many clients at once sending
//! oversized bodies, deeply nested JSON and stalled uploads to a real
//! `inbox serve`, whose resident memory is read from /proc. A server that
//! buffered what it refuses would grow by gigabytes here.

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::*;

/// KiB of a `/proc/<pid>/status` line such as `VmHWM:   123456 kB`.
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The most the server may grow (peak over the resident size before the
/// attack): a few requests' worth of buffers, far below what buffering the
/// refused bodies would take (64 × 10 MB to each of two endpoints).
const GROWTH_LIMIT_MIB: u64 = 96;

const CLIENTS: usize = 64;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn hostile_bodies_from_many_clients_leave_memory_bounded(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let env = [("INBOX_SENDS_PER_MINUTE", "100000"), ("INBOX_LOG", "warn")];
    let server = Served::start(url_of(&db), &env).await;
    let pid = server.child.id();
    let http = http();
    // Warm: pools, caches and the allocator's arenas in their working state.
    for _ in 0..20 {
        let res = http.get(format!("{}/api/conversations", server.url)).bearer_auth(&acme.token).send().await;
        assert_eq!(res.unwrap().status(), 200);
    }
    let before = proc_kib(pid, "VmRSS:");

    let ten_mb = vec![b' '; 10 * 1024 * 1024];
    let deep = [vec![b'['; 30_000], vec![b']'; 30_000]].concat();
    let mut attacks = Vec::new();
    for i in 0..CLIENTS {
        let (http, url, token) = (http.clone(), server.url.clone(), acme.token.clone());
        let body = if i % 3 == 1 { deep.clone() } else { ten_mb.clone() };
        let path = if i % 3 == 2 { "/api/whatsapp/webhook" } else { "/api/messages" };
        attacks.push(tokio::spawn(async move {
            let res = http
                .post(format!("{url}{path}"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", "sha256=00")
                .body(body)
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            // The server may close the connection once the limit is passed.
            if let Ok(res) = res {
                assert!(res.status().is_client_error(), "{path}: {}", res.status());
            }
        }));
    }
    // Uploads that announce 10 MB and then stall.
    let stalled: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let address = server.url.trim_start_matches("http://").to_owned();
            let token = acme.token.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
                let head = format!(
                    "POST /api/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                     Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{{\"messageText\": \""
                );
                stream.write_all(head.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_secs(3)).await;
                drop(stream);
            })
        })
        .collect();
    for task in attacks.into_iter().chain(stalled) {
        task.await.unwrap();
    }

    let peak = proc_kib(pid, "VmHWM:");
    let after = proc_kib(pid, "VmRSS:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    let deep_n = (0..CLIENTS).filter(|i| i % 3 == 1).count();
    println!(
        "memory: {} MiB before, peak {} MiB (+{growth_mib} MiB), {} MiB after {} 10 MB bodies, {deep_n} deep \
         JSON and {CLIENTS} stalled uploads at once",
        before / 1024,
        peak / 1024,
        after / 1024,
        CLIENTS - deep_n,
    );
    assert!(growth_mib < GROWTH_LIMIT_MIB, "grew by {growth_mib} MiB");
    let res = http.get(format!("{}/api/conversations", server.url)).bearer_auth(&acme.token).send().await.unwrap();
    assert_eq!(res.status(), 200, "and the server still serves");
}
