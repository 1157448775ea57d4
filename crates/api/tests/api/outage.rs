//! PostgreSQL going away while `inbox serve` runs: requests fail fast with
//! 503 SERVICE_UNAVAILABLE, `/readyz` says not ready, and the server serves
//! again on its own once the database is back, without a restart.

use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::*;

/// Refuses new connections to the test's database and ends the open ones
/// (as a failover or a restart does), or lets them in again.
async fn database_reachable(db_name: &str, reachable: bool) {
    let admin = PgPool::connect(&std::env::var("DATABASE_URL").unwrap()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS {reachable}")))
        .execute(&admin)
        .await
        .unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(db_name)
            .execute(&admin)
            .await
            .unwrap();
    }
    admin.close().await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn while_the_database_is_away_requests_fail_fast_with_503_and_the_server_recovers_alone(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let db_name = db.connect_options().get_database().unwrap().to_owned();
    let mut server = Served::start(url_of(&db), &[]).await;
    let (url, http) = (server.url.clone(), http());
    let list = || http.get(format!("{url}/api/conversations")).bearer_auth(&acme.token).send();
    assert_eq!(list().await.unwrap().status(), 200);

    database_reachable(&db_name, false).await;
    let asked = Instant::now();
    let res = list().await.unwrap();
    let waited = asked.elapsed();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert!(waited < Duration::from_secs(7), "failed after {waited:?}, not fast");
    assert_eq!(http.get(format!("{url}/readyz")).send().await.unwrap().status(), 503);

    database_reachable(&db_name, true).await;
    let back = Instant::now();
    loop {
        if list().await.unwrap().status() == 200 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(30), "the server did not recover on its own");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(http.get(format!("{url}/readyz")).send().await.unwrap().status(), 200);

    server.terminate();
    server.exited().await;
}
