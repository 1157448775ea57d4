//! Closed-loop HTTP load: N clients, each sending its next request as soon
//! as the previous answer is read, for a fixed time after a warm-up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use inbox_types::MessageStatus;
use inbox_whatsapp::webhook::meta;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use reqwest::{Method, RequestBuilder};

use crate::fixture::{Company, FIND_WORDS, Fixture, SURNAMES};
use crate::sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Sends to new and known numbers, half each (`POST /api/messages`).
    Send,
    /// Meta status callbacks (delivered, read) with repeats.
    Status,
    /// The first page of the conversation list.
    List,
    /// The list searched by a common surname or a phone fragment.
    Search,
    /// Message search (`GET /api/messages/search`) for words that match a
    /// sixth of all messages, two words, or nothing.
    Find,
    /// The newest page of the 500-message conversation.
    Page,
    /// What agents do all day, mixed.
    Mixed,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Send,
        Scenario::Status,
        Scenario::List,
        Scenario::Search,
        Scenario::Find,
        Scenario::Page,
        Scenario::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Status => "status",
            Self::List => "list",
            Self::Search => "search",
            Self::Find => "find",
            Self::Page => "page",
            Self::Mixed => "mixed",
        }
    }
}

/// The server and what the clients know about its data.
pub struct Target {
    http: reqwest::Client,
    url: String,
    fx: Fixture,
    next_phone: AtomicU64,
}

/// One measurement: a scenario at a client count, by the app or by pgbench.
#[derive(Debug, Clone)]
pub struct Sample {
    pub scenario: String,
    pub clients: usize,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    /// Sorted latencies of the successful requests, in microseconds.
    pub latencies_us: Vec<u32>,
    /// CPU cores the server used on average (None for pgbench).
    pub server_cores: Option<f64>,
    /// CPU cores the load generator used.
    pub client_cores: f64,
    /// The machine's busy share, 0 to 1.
    pub machine_busy: f64,
}

impl Sample {
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.seconds
    }

    /// The latency below which `q` of the requests finished, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 * q).ceil() as usize).clamp(1, self.latencies_us.len()) - 1;
        f64::from(self.latencies_us[i]) / 1000.0
    }

    pub fn line(&self) -> String {
        format!(
            "{:<14} {:>3} clients {:>8.0}/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  errors {}{}",
            self.scenario,
            self.clients,
            self.throughput(),
            self.quantile_ms(0.50),
            self.quantile_ms(0.95),
            self.quantile_ms(0.99),
            self.errors,
            self.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default(),
        )
    }
}

impl Target {
    pub fn new(url: &str, fx: Fixture) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
        let next_phone = AtomicU64::new(fx.next_phone);
        Ok(Self { http, url: url.to_owned(), fx, next_phone })
    }

    fn company(&self, client: usize) -> &Company {
        &self.fx.companies[client % self.fx.companies.len()]
    }

    /// A request of the agent's browser session (writes carry the
    /// same-origin header a browser adds).
    fn agent(&self, client: usize, method: Method, path: &str) -> RequestBuilder {
        let write = method != Method::GET;
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("cookie", format!("inbox_session={}", self.company(client).session));
        if write {
            req = req.header("sec-fetch-site", "same-origin");
        }
        req
    }

    fn send_new(&self, client: usize, rng: &mut StdRng, known: bool) -> RequestBuilder {
        let phone = if known {
            format!("+1415{}", 2_000_000 + rng.random_range(1..=10_000u64))
        } else {
            format!("+{}", self.next_phone.fetch_add(1, Ordering::Relaxed))
        };
        self.agent(client, Method::POST, "/api/messages").json(&serde_json::json!({
            "phoneNumber": phone,
            "messageText": "Bench message: your order is on its way",
            "clientKey": uuid::Uuid::new_v4().to_string(),
        }))
    }

    fn send_in(&self, client: usize, conversation: uuid::Uuid) -> RequestBuilder {
        self.agent(client, Method::POST, &format!("/api/conversations/{conversation}/messages")).json(
            &serde_json::json!({
                "messageText": "Thanks for waiting, it is sorted.",
                "clientKey": uuid::Uuid::new_v4().to_string(),
            }),
        )
    }

    fn status(&self, rng: &mut StdRng, last: &mut Option<(usize, Vec<u8>)>) -> RequestBuilder {
        // One callback in ten is the previous one again, byte for byte
        // (Meta delivers at least once); the rest report delivered or read
        // for a random message, which repeats a status now and then too.
        let (company, body) = match last.take() {
            Some(previous) if rng.random_range(0..10) == 0 => previous,
            _ => {
                let (company, id) = &self.fx.statuses[rng.random_range(0..self.fx.statuses.len())];
                let status = if rng.random_bool(0.5) { MessageStatus::Delivered } else { MessageStatus::Read };
                let at = chrono::DateTime::from_timestamp(1_764_000_000 + i64::from(status == MessageStatus::Read), 0)
                    .unwrap_or_default();
                let c = &self.fx.companies[*company];
                (*company, meta::status_payload(&c.phone_number_id, id, status, "14155550100", at))
            }
        };
        let signature = meta::sign(self.fx.companies[company].app_secret.as_bytes(), &body);
        *last = Some((company, body.clone()));
        self.http
            .post(format!("{}/api/whatsapp/webhook", self.url))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
    }

    fn list(&self, client: usize) -> RequestBuilder {
        self.agent(client, Method::GET, "/api/conversations?limit=50")
    }

    fn search(&self, client: usize, rng: &mut StdRng) -> RequestBuilder {
        let term = if rng.random_bool(0.5) {
            SURNAMES[rng.random_range(0..SURNAMES.len())].to_owned()
        } else {
            // Four digits of the seeded numbers: matches about ten contacts.
            format!("{}", 2000 + rng.random_range(0..1000))
        };
        self.agent(client, Method::GET, &format!("/api/conversations?limit=50&search={term}"))
    }

    fn find(&self, client: usize, rng: &mut StdRng) -> RequestBuilder {
        let words = FIND_WORDS[rng.random_range(0..FIND_WORDS.len())];
        self.agent(client, Method::GET, &format!("/api/messages/search?limit=20&q={}", words.replace(' ', "%20")))
    }

    fn page(&self, client: usize, conversation: uuid::Uuid) -> RequestBuilder {
        self.agent(client, Method::GET, &format!("/api/conversations/{conversation}/messages?limit=50"))
    }

    fn request(
        &self,
        scenario: Scenario,
        client: usize,
        rng: &mut StdRng,
        last: &mut Option<(usize, Vec<u8>)>,
    ) -> RequestBuilder {
        let open = |rng: &mut StdRng| {
            let c = &self.company(client).conversations;
            c[rng.random_range(0..c.len())]
        };
        match scenario {
            Scenario::Send => {
                let known = rng.random_bool(0.5);
                self.send_new(client, rng, known)
            }
            Scenario::Status => self.status(rng, last),
            Scenario::List => self.list(client),
            Scenario::Search => self.search(client, rng),
            Scenario::Find => self.find(client, rng),
            // Everyone reads the long thread, as the first company's agent.
            Scenario::Page => self.page(0, self.fx.long_conversation),
            Scenario::Mixed => match rng.random_range(0..100) {
                0..35 => self.list(client),
                35..60 => self.page(client, open(rng)),
                60..70 => self.search(client, rng),
                70..85 => self.send_in(client, open(rng)),
                85..90 => self.send_new(client, rng, false),
                90..95 => self.agent(client, Method::GET, &format!("/api/conversations/{}", open(rng))),
                _ => self.agent(client, Method::POST, &format!("/api/conversations/{}/read", open(rng))),
            },
        }
    }
}

#[derive(Default)]
struct ClientResult {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_us: Vec<u32>,
}

/// Runs `scenario` with `clients` concurrent clients: `warmup` unmeasured,
/// then `measure` measured (latency from sending to the last byte read).
pub async fn run(
    target: &Arc<Target>,
    scenario: Scenario,
    clients: usize,
    warmup: Duration,
    measure: Duration,
    server_pid: u32,
) -> anyhow::Result<Sample> {
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + measure);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64((client as u64) << 8 | scenario as u64);
            let mut last = None;
            let mut out = ClientResult::default();
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let answer = match target.request(scenario, client, &mut rng, &mut last).send().await {
                    Ok(r) => {
                        let status = r.status();
                        r.bytes().await.map(|b| (status, b)).map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                };
                if sent < from {
                    continue;
                }
                match answer {
                    Ok((status, _)) if status.is_success() => {
                        out.ok += 1;
                        out.latencies_us.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Ok((status, body)) => {
                        out.errors += 1;
                        out.first_error.get_or_insert_with(|| {
                            format!("{status} {}", String::from_utf8_lossy(&body).chars().take(200).collect::<String>())
                        });
                    }
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                    }
                }
            }
            out
        }));
    }
    tokio::time::sleep_until(from.into()).await;
    let before = (sys::cpu_seconds(server_pid)?, sys::cpu_seconds(std::process::id())?, sys::machine_seconds()?);
    tokio::time::sleep_until(until.into()).await;
    let after = (sys::cpu_seconds(server_pid)?, sys::cpu_seconds(std::process::id())?, sys::machine_seconds()?);
    let mut total = ClientResult::default();
    for task in tasks {
        let r = task.await?;
        total.ok += r.ok;
        total.errors += r.errors;
        total.first_error = total.first_error.or(r.first_error);
        total.latencies_us.extend(r.latencies_us);
    }
    total.latencies_us.sort_unstable();
    let seconds = measure.as_secs_f64();
    Ok(Sample {
        scenario: scenario.name().to_owned(),
        clients,
        ok: total.ok,
        errors: total.errors,
        first_error: total.first_error,
        seconds,
        latencies_us: total.latencies_us,
        server_cores: Some((after.0 - before.0) / seconds),
        client_cores: (after.1 - before.1) / seconds,
        machine_busy: (after.2.0 - before.2.0) / (after.2.1 - before.2.1).max(f64::EPSILON),
    })
}
