//! `inbox serve` starts, answers health checks, and stops cleanly on SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::helpers::url_of;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP GET, so this test needs no HTTP client library.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn serve_answers_health_checks_and_stops_cleanly_on_sigterm(db: PgPool) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env("DATABASE_URL", url_of(&db))
        .env("INBOX_BIND", format!("127.0.0.1:{port}"))
        .env("INBOX_DATABASE_MAX_CONNECTIONS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let health = loop {
        if let Some(r) = get(port, "/healthz") {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = get(port, "/readyz").unwrap();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "exit status {status}");
    assert!(get(port, "/healthz").is_none(), "nothing listens any more");
}

#[test]
fn a_bad_configuration_value_stops_the_command_with_the_key_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_inbox")).arg("migrate").env("INBOX_BIND", "nowhere").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INBOX_BIND"), "{stderr}");
}
