use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use inbox_api::config::Config;
use inbox_domain::channels::{self, NewChannel, ProviderKind};
use inbox_domain::companies;
use inbox_domain::users::{self, NewUser, Password, Role, User};
use inbox_types::CompanyId;
use inbox_whatsapp::{Providers, ProvidersConfig, SandboxDelays};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers like Meta's send endpoint, with a new wamid each time, naming
/// the recipient as Meta does: `wa_id` for a number sent in `to`, `user_id`
/// for a BSUID sent in `recipient`.
pub struct MetaAccepts;

impl Respond for MetaAccepts {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let sent: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let contact = match (sent["to"].as_str(), sent["recipient"].as_str()) {
            (Some(to), _) => json!({"input": to, "wa_id": to.trim_start_matches('+')}),
            (None, Some(bsuid)) => json!({"input": bsuid, "user_id": bsuid}),
            (None, None) => json!({}),
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": format!("wamid.{}", uuid::Uuid::now_v7().simple())}]
        }))
    }
}

pub const PASSWORD: &str = "password-123";

/// One company with an agent, an API token and a Meta channel.
pub struct Tenant {
    pub company: CompanyId,
    pub agent: User,
    pub token: String,
    pub phone_number_id: String,
}

pub struct TestApp {
    pub address: String,
    pub db: PgPool,
    pub meta: MockServer,
    pub a: Tenant,
    pub b: Tenant,
    pub http: Client,
}

/// A company with an agent, an API token and a Meta channel whose app secret
/// is `secret-<name in lower case>`.
pub async fn tenant(db: &PgPool, name: &str, phone_number_id: &str) -> Tenant {
    let company = CompanyId(companies::create(db, name).await.unwrap().id);
    let slug = name.to_lowercase();
    let agent = users::create(
        db,
        company,
        NewUser {
            email: &format!("agent@{slug}.test"),
            display_name: &format!("{name} Agent"),
            password: Password::new(PASSWORD).unwrap(),
            role: Role::Agent,
        },
    )
    .await
    .unwrap();
    let token = users::create_token(db, &agent, "tests").await.unwrap().secret;
    let phone_number_id = phone_number_id.to_owned();
    channels::create(
        db,
        company,
        NewChannel {
            provider: ProviderKind::Meta,
            name: "Meta".into(),
            phone_number: Some("+15550001111".into()),
            external_id: phone_number_id.clone(),
            credentials: json!({ "access_token": format!("EAAG-{slug}") }),
            verify_token: Some(format!("verify-{slug}")),
            app_secret: Some(format!("secret-{slug}")),
            is_default: true,
        },
    )
    .await
    .unwrap();
    Tenant { company, agent, token, phone_number_id }
}

impl TestApp {
    pub async fn spawn(db: PgPool) -> TestApp {
        Self::spawn_with(db, Config::default()).await
    }

    pub async fn spawn_with(db: PgPool, config: Config) -> TestApp {
        let meta = MockServer::start().await;
        let a = tenant(&db, "Acme", "100000000000001").await;
        let b = tenant(&db, "Globex", "100000000000002").await;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let provider = Providers::new(ProvidersConfig {
            meta_api_base: meta.uri(),
            twilio_api_base: meta.uri(),
            sandbox_webhook_url: Some(format!("{address}/api/whatsapp/webhook")),
            sandbox_delays: SandboxDelays {
                delivered: Duration::from_millis(50),
                read: Duration::from_millis(150),
                reply: Duration::from_millis(250),
            },
            ..ProvidersConfig::default()
        });
        let server = inbox_api::server::start(&config, db.clone(), Arc::new(provider), listener).unwrap();
        tokio::spawn(server);
        let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { address, db, meta, a, b, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request authenticated as company A's integrator token.
    pub fn as_a(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.a.token)
    }

    pub fn as_b(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.b.token)
    }

    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Meta accepts every message sent through company A's channel.
    pub async fn meta_accepts(&self) {
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{}/messages", self.a.phone_number_id)))
            .respond_with(MetaAccepts)
            .mount(&self.meta)
            .await;
    }

    /// Meta accepts company B's sends as well.
    pub async fn meta_accepts_b(&self) {
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{}/messages", self.b.phone_number_id)))
            .respond_with(MetaAccepts)
            .mount(&self.meta)
            .await;
    }

    /// Meta refuses: outside the 24-hour customer service window.
    pub async fn meta_refuses(&self) {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error": {
                    "message": "(#131047) Re-engagement message",
                    "type": "OAuthException",
                    "code": 131047,
                    "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
                    "fbtrace_id": "AbCdEf"
                }
            })))
            .mount(&self.meta)
            .await;
    }

    /// Sends a message as company A to `phone`; returns the answer's JSON.
    /// Posts a Meta-format body signed with `secret`.
    pub async fn post_meta_signed(&self, body: Vec<u8>, secret: &str) -> Response {
        let signature = inbox_whatsapp::webhook::meta::sign(secret.as_bytes(), &body);
        self.anonymous(Method::POST, "/api/whatsapp/webhook")
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_as_a(&self, phone: &str, text: &str) -> Value {
        sent(self.as_a(Method::POST, "/api/messages"), phone, text).await
    }

    /// Sends as company B, whatever the answer (some tests leave B's
    /// provider unanswered: the stored message is what they need).
    pub async fn send_as_b(&self, phone: &str, text: &str) -> Value {
        let res = self
            .as_b(Method::POST, "/api/messages")
            .json(&json!({"phoneNumber": phone, "messageText": text}))
            .send()
            .await
            .unwrap();
        res.json().await.unwrap()
    }

    /// A client with a session cookie for company A's agent (same-origin).
    pub async fn browser_as_a(&self) -> Client {
        let client = Client::builder().cookie_store(true).build().unwrap();
        let res = client
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": self.a.agent.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        client
    }
}

/// Posts a send of `text` to `phone` through `request` (a `POST
/// /api/messages`, authenticated); expects 201 and returns the answer.
pub async fn sent(request: RequestBuilder, phone: &str, text: &str) -> Value {
    let res = request.json(&json!({"phoneNumber": phone, "messageText": text})).send().await.unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    res.json().await.unwrap()
}

/// A plain HTTP client, for tests that talk to `inbox serve` processes.
/// Building the provider clients once installs the process-wide TLS crypto
/// provider every reqwest client needs.
pub fn http() -> Client {
    let _ = Providers::new(ProvidersConfig::default());
    Client::new()
}

/// An `inbox serve` process of the test's own, on a free port: ready when
/// [`Served::start`] returns, killed when dropped (an orphan would keep the
/// test database open).
pub struct Served {
    pub child: Child,
    pub url: String,
    /// Where its output goes ([`Served::start_logged`]).
    log: Option<PathBuf>,
}

impl Served {
    /// Starts `inbox serve` on the test's database (`database_url`, so a
    /// test may add connection parameters) with these extra variables;
    /// stdout is dropped and stderr shown with the test's.
    pub async fn start(database_url: String, env: &[(&str, &str)]) -> Served {
        Self::spawn(database_url, env, None).await
    }

    /// [`Served::start`], its whole output kept for [`Served::stop_and_read_log`].
    pub async fn start_logged(database_url: String, env: &[(&str, &str)]) -> Served {
        let log = std::env::temp_dir().join(format!("inbox-serve-{}.log", uuid::Uuid::new_v4()));
        Self::spawn(database_url, env, Some(log)).await
    }

    async fn spawn(database_url: String, env: &[(&str, &str)], log: Option<PathBuf>) -> Served {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (stdout, stderr) = match &log {
            Some(path) => {
                let file = std::fs::File::create(path).unwrap();
                (Stdio::from(file.try_clone().unwrap()), Stdio::from(file))
            }
            None => (Stdio::null(), Stdio::inherit()),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_inbox"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("INBOX_BIND", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        // Owned at once, so a failing test never leaves it running.
        let served = Served { child, url: format!("http://127.0.0.1:{port}"), log };
        let (client, started) = (http(), Instant::now());
        while client.get(format!("{}/readyz", served.url)).send().await.map(|r| r.status() != 200).unwrap_or(true) {
            assert!(started.elapsed() < Duration::from_secs(30), "inbox serve did not get ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        served
    }

    /// How many passes its background `job` (`retries`, `sweeper`) has
    /// finished, from its /metrics.
    pub async fn worker_passes(&self, job: &str) -> u64 {
        let text = http().get(format!("{}/metrics", self.url)).send().await.unwrap().text().await.unwrap();
        let series = format!("inbox_worker_passes_total{{job=\"{job}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&series)).map_or(0, |n| n.trim().parse().unwrap())
    }

    /// Waits until `job` has finished two more passes than now: whatever it
    /// had claimed by now has been handled to the end. The marker a test
    /// waits on to prove a worker did *not* do something.
    pub async fn two_more_passes(&self, job: &str, within: Duration) {
        let (before, deadline) = (self.worker_passes(job).await, Instant::now() + within);
        while self.worker_passes(job).await < before + 2 {
            assert!(Instant::now() < deadline, "the {job} worker made no progress");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server as a deploy does and returns all it logged.
    pub async fn stop_and_read_log(mut self) -> String {
        self.terminate();
        self.exited().await;
        let path = self.log.as_ref().expect("started with start_logged");
        std::fs::read_to_string(path).unwrap()
    }

    /// Sends SIGTERM, as a deploy does.
    pub fn terminate(&self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
    }

    /// Waits until the process has exited.
    pub async fn exited(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "inbox serve did not stop");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(log) = &self.log {
            let _ = std::fs::remove_file(log);
        }
    }
}

/// The URL of the test's own database, built from the server URL the suite
/// runs against (for `inbox` processes the tests start).
pub fn url_of(db: &PgPool) -> String {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by make test");
    let name = db.connect_options().get_database().unwrap().to_owned();
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server).to_owned();
    format!("{base}/{name}")
}

/// Asserts the status and the error code, and returns the body.
pub async fn expect_error(res: Response, status: u16, code: &str) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    body
}
