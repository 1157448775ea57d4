//! Provider credentials never show up in errors, `Debug` output or logs.

use std::io;
use std::sync::{Arc, Mutex};

use inbox_domain::provider::WhatsappProvider;
use inbox_whatsapp::{Providers, ProvidersConfig};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn meta_error_messages_hide_an_access_token_meta_echoes_back() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(401)
            .set_body_json(graph_error(190, &format!("Malformed access token {META_TOKEN} (token: {META_TOKEN})"))),
    )
    .await;
    assert!(f.error.message.contains("Malformed access token *** (token: ***)"), "{}", f.error.message);
    let shown = format!("{f} {f:?} {} {:?}", f.error, f.error);
    assert!(!shown.contains(META_TOKEN), "{shown}");
}

#[tokio::test]
async fn twilio_error_messages_hide_an_auth_token_twilio_echoes_back() {
    let f = failure_for(
        &twilio_channel(),
        ResponseTemplate::new(401).set_body_json(twilio_error(401, 20003, &format!("Bad password {TWILIO_TOKEN}"))),
    )
    .await;
    assert!(f.error.message.contains("Bad password ***"), "{}", f.error.message);
    assert!(!format!("{f} {f:?}").contains(TWILIO_TOKEN));
}

#[tokio::test]
async fn debug_output_of_the_clients_and_channels_shows_no_credentials() {
    // The clients hold no credentials at all; channels hide theirs behind `Secret`.
    let providers = Providers::new(ProvidersConfig::default());
    let shown = format!("{providers:?} {:?} {:?}", meta_channel(), twilio_channel());
    for secret in [META_TOKEN, TWILIO_TOKEN] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// Everything the `tracing` subscriber of one test wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_of_successes_refusals_and_transport_failures_show_no_credentials() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so the thread's default sees every await.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.ok"}]})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 20003, "message": format!("Authenticate {TWILIO_TOKEN}"), "status": 401
        })))
        .mount(&server)
        .await;
    let providers = providers(&server);
    providers.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap();
    providers.send_text(&twilio_channel(), &to(), &text("hi")).await.unwrap_err();
    let unreachable = Providers::new(ProvidersConfig {
        meta_api_base: format!("http://127.0.0.1:{}", closed_port()),
        twilio_api_base: format!("http://127.0.0.1:{}", closed_port()),
        ..ProvidersConfig::default()
    });
    unreachable.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap_err();
    unreachable.send_text(&twilio_channel(), &to(), &text("hi")).await.unwrap_err();

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("provider accepted a message"), "{logs}");
    assert!(logs.contains("provider did not accept a message"), "{logs}");
    assert!(logs.contains("could not be reached"), "{logs}");
    for secret in [META_TOKEN, TWILIO_TOKEN, TWILIO_SID] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}
