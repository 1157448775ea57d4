//! `Providers` sends each channel's messages through that channel's provider.

use inbox_domain::provider::WhatsappProvider;
use inbox_whatsapp::{Providers, ProvidersConfig};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn providers_route_each_channel_to_its_provider() {
    let meta = MockServer::start().await;
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1234567890/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.meta"}]})))
        .expect(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/2010-04-01/Accounts/AC[0-9a-f]+/Messages\.json$"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SMtwilio"})))
        .expect(1)
        .mount(&twilio)
        .await;
    // Through the trait object, as the domain holds it.
    let providers: Box<dyn WhatsappProvider> = Box::new(Providers::new(ProvidersConfig {
        meta_api_base: meta.uri(),
        twilio_api_base: twilio.uri(),
        ..ProvidersConfig::default()
    }));

    assert_eq!(providers.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap().id.0, "wamid.meta");
    assert_eq!(providers.send_text(&twilio_channel(), &to(), &text("hi")).await.unwrap().id.0, "SMtwilio");
    let sandboxed = providers.send_text(&sandbox_channel(), &to(), &text("hi")).await.unwrap();
    assert!(sandboxed.id.0.starts_with("wamid.sandbox."), "{}", sandboxed.id.0);

    // Exactly one request each: the sandbox called neither.
    assert_eq!(meta.received_requests().await.unwrap().len(), 1);
    assert_eq!(twilio.received_requests().await.unwrap().len(), 1);
}
