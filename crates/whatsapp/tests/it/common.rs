//! Channels, numbers and fakes shared by the tests.

use std::time::Duration;

use inbox_domain::channels::{Channel, ProviderKind, Secret};
use inbox_domain::provider::Recipient;
use inbox_types::{ChannelId, CompanyId, E164Phone, MessageText, WaId};
use inbox_whatsapp::{Providers, ProvidersConfig, SendFailure};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const META_TOKEN: &str = "EAAG-meta-secret-token";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio-secret-auth-token";

pub fn channel(provider: ProviderKind, external_id: &str, credentials: Value) -> Channel {
    Channel {
        id: ChannelId::new(),
        company_id: CompanyId::new(),
        provider,
        name: "test".into(),
        phone_number: None,
        external_id: external_id.into(),
        credentials: Secret::new(credentials.to_string()),
        verify_token: None,
        app_secret: None,
        is_default: true,
    }
}

pub fn meta_channel() -> Channel {
    channel(ProviderKind::Meta, "1234567890", json!({"access_token": META_TOKEN}))
}

pub fn twilio_channel() -> Channel {
    channel(ProviderKind::Twilio, "+14155238886", json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}))
}

pub fn sandbox_channel() -> Channel {
    channel(ProviderKind::Sandbox, "sandbox-1", json!({}))
}

/// Providers whose Meta and Twilio both are `server`.
pub fn providers(server: &MockServer) -> Providers {
    providers_with_timeout(server, Duration::from_secs(5))
}

pub fn providers_with_timeout(server: &MockServer, timeout: Duration) -> Providers {
    Providers::new(ProvidersConfig {
        meta_api_base: server.uri(),
        twilio_api_base: server.uri(),
        timeout,
        ..ProvidersConfig::default()
    })
}

pub fn phone(s: &str) -> Recipient {
    Recipient::Number(WaId::of_phone(&E164Phone::parse(s).unwrap()))
}

/// The customer every test writes to.
pub fn to() -> Recipient {
    phone("+14155550100")
}

pub fn text(s: &str) -> MessageText {
    MessageText::parse(s).unwrap()
}

/// How a send through `channel` fails when the provider answers `answer`.
pub async fn failure_for(channel: &Channel, answer: ResponseTemplate) -> SendFailure {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST")).respond_with(answer).expect(1).mount(&server).await;
    providers(&server).send(channel, &to(), &text("hi")).await.unwrap_err()
}

/// A Graph API error body as Meta sends it.
pub fn graph_error(code: i64, message: &str) -> Value {
    json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}})
}

/// A Twilio error body as Twilio sends it.
pub fn twilio_error(status: u16, code: i64, message: &str) -> Value {
    json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
           "status": status})
}

/// A local port nothing listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
