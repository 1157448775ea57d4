//! Meta's Cloud API: the request we send and how each answer is classified.

use std::time::{Duration, Instant};

use inbox_domain::channels::ProviderKind;
use inbox_domain::provider::{ProviderErrorKind, WhatsappProvider};
use inbox_whatsapp::{Providers, ProvidersConfig};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn meta_receives_the_documented_request_and_its_wamid_is_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1234567890/messages"))
        .and(header("authorization", format!("Bearer {META_TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "14155550100",
            "type": "text",
            "text": {"preview_url": false, "body": "Olá 👋 https://example.com"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "14155550100", "wa_id": "14155550100"}],
            "messages": [{"id": "wamid.HBgLMTQxNTU1NTAxMDAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let id = providers(&server).send_text(&meta_channel(), &to(), &text("Olá 👋 https://example.com")).await.unwrap();
    assert_eq!(id.id.0, "wamid.HBgLMTQxNTU1NTAxMDAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA");
}

#[tokio::test]
async fn meta_base_url_and_graph_version_are_configurable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graph-proxy/v22.0/1234567890/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.B"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let providers = Providers::new(ProvidersConfig {
        meta_api_base: format!("{}/graph-proxy/", server.uri()),
        meta_api_version: "v22.0".into(),
        ..ProvidersConfig::default()
    });
    let id = providers.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap();
    assert_eq!(id.id.0, "wamid.B");
}

#[tokio::test]
async fn meta_outside_the_24_hour_window_is_permanent_and_asks_for_a_template() {
    let body = json!({"error": {
        "message": "(#131047) Re-engagement message",
        "type": "OAuthException",
        "code": 131047,
        "error_data": {"messaging_product": "whatsapp",
                       "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
        "fbtrace_id": "AbCdEf123"
    }});
    let f = failure_for(&meta_channel(), ResponseTemplate::new(400).set_body_json(body)).await;
    assert_eq!(f.error.kind, ProviderErrorKind::Permanent);
    assert_eq!(f.error.code.as_deref(), Some("131047"));
    assert!(f.error.message.starts_with("Outside the 24-hour customer service window"), "{}", f.error.message);
    assert!(f.error.message.contains("template message"), "{}", f.error.message);
    // Meta's details say more than its title, so they are what is kept.
    assert!(f.error.message.contains("more than 24 hours have passed"), "{}", f.error.message);
    assert!(!f.error.message.contains("Re-engagement"), "{}", f.error.message);
    assert_eq!(f.retry_after, None);
}

#[tokio::test]
async fn meta_undeliverable_number_is_permanent() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(400).set_body_json(graph_error(131026, "Message Undeliverable.")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("131026")));
    assert!(f.error.message.contains("may not be on WhatsApp"), "{}", f.error.message);
    assert!(f.error.message.contains("Meta says: Message Undeliverable."), "{}", f.error.message);
}

#[tokio::test]
async fn meta_empty_details_fall_back_to_the_error_message() {
    let body = json!({"error": {"message": "Message Undeliverable.", "code": 131026, "error_data": {"details": " "}}});
    let f = failure_for(&meta_channel(), ResponseTemplate::new(400).set_body_json(body)).await;
    assert!(f.error.message.ends_with("Meta says: Message Undeliverable."), "{}", f.error.message);
}

#[tokio::test]
async fn meta_recipient_outside_the_allowed_list_is_permanent() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(400).set_body_json(graph_error(131030, "Recipient phone number not in allowed list")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("131030")));
    assert!(f.error.message.contains("allowed recipients list"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_invalid_parameter_is_permanent() {
    let f =
        failure_for(&meta_channel(), ResponseTemplate::new(400).set_body_json(graph_error(100, "Invalid parameter")))
            .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("100")));
    assert!(f.error.message.contains("rejected a parameter"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_expired_access_token_is_permanent_and_says_to_update_it() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(401)
            .set_body_json(graph_error(190, "Error validating access token: Session has expired on Friday.")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("190")));
    assert!(f.error.message.contains("access token is invalid or expired"), "{}", f.error.message);
    assert!(f.error.message.contains("Session has expired"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_other_client_errors_are_permanent() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(403).set_body_json(graph_error(368, "Temporarily blocked for policies violations")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("368")));
    assert!(f.error.message.contains("Temporarily blocked for policies violations"), "{}", f.error.message);

    // No JSON at all: the HTTP status stands in for the code.
    let f = failure_for(&meta_channel(), ResponseTemplate::new(404).set_body_string("Not Found")).await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("http_404")));
    assert!(f.error.message.contains("HTTP 404"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_rate_limit_codes_are_transient() {
    for code in [130429, 131056, 80007, 4] {
        let f = failure_for(&meta_channel(), ResponseTemplate::new(400).set_body_json(graph_error(code, "slow down")))
            .await;
        assert_eq!(f.error.kind, ProviderErrorKind::Transient, "{code}");
        assert_eq!(f.error.code, Some(code.to_string()));
        assert!(f.error.message.contains("Meta says: slow down"), "{}", f.error.message);
    }
}

#[tokio::test]
async fn meta_temporary_problem_codes_are_transient() {
    for code in [2, 131000, 131016, 133004] {
        let f = failure_for(&meta_channel(), ResponseTemplate::new(400).set_body_json(graph_error(code, "try later")))
            .await;
        assert_eq!(f.error.kind, ProviderErrorKind::Transient, "{code}");
        assert_eq!(f.error.code, Some(code.to_string()));
    }
}

#[tokio::test]
async fn meta_429_with_retry_after_is_transient_and_says_when_to_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7").set_body_string("{}"))
        .expect(2)
        .mount(&server)
        .await;
    let providers = providers(&server);
    let f = providers.send(&meta_channel(), &to(), &text("hi")).await.unwrap_err();
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("http_429")));
    assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
    assert!(f.error.message.contains("retry after 7 s"), "{}", f.error.message);
    // The trait carries the same error and the wait.
    let e = providers.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap_err();
    assert_eq!(e, f.error.clone().with_retry_after(Some(Duration::from_secs(7))));
}

#[tokio::test]
async fn meta_429_without_retry_after_is_transient() {
    let f =
        failure_for(&meta_channel(), ResponseTemplate::new(429).set_body_json(graph_error(130429, "Rate limit hit")))
            .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("130429")));
    assert_eq!(f.retry_after, None);
    assert!(!f.error.message.contains("retry after"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_rate_limit_code_keeps_the_retry_after_it_came_with() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(400).insert_header("retry-after", "30").set_body_json(graph_error(131056, "pair rate")),
    )
    .await;
    assert_eq!(f.error.kind, ProviderErrorKind::Transient);
    assert_eq!(f.retry_after, Some(Duration::from_secs(30)));
}

#[tokio::test]
async fn meta_server_errors_are_transient() {
    let f = failure_for(
        &meta_channel(),
        ResponseTemplate::new(500).set_body_json(graph_error(1, "An unknown error occurred")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("1")));

    let f = failure_for(&meta_channel(), ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>")).await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("http_502")));
    assert!(!f.error.message.contains("<html>"), "{}", f.error.message);
}

#[tokio::test]
async fn a_hanging_meta_is_a_timeout_with_delivery_unknown_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"messages": [{"id": "wamid.late"}]}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let f = providers_with_timeout(&server, Duration::from_millis(300))
        .send(&meta_channel(), &to(), &text("hi"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "waited {:?}", started.elapsed());
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Unknown, None));
    assert!(f.error.message.contains("did not answer in time"), "{}", f.error.message);
    assert!(f.error.message.contains("delivery unknown"), "{}", f.error.message);
}

#[tokio::test]
async fn unreachable_meta_is_transient_and_says_nothing_was_sent() {
    let providers = Providers::new(ProvidersConfig {
        meta_api_base: format!("http://127.0.0.1:{}", closed_port()),
        ..ProvidersConfig::default()
    });
    let e = providers.send_text(&meta_channel(), &to(), &text("hi")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_deref()), (ProviderErrorKind::Transient, None));
    assert!(e.message.contains("could not be reached, so the message was not sent"), "{}", e.message);
}

#[tokio::test]
async fn meta_malformed_json_on_success_is_delivery_unknown() {
    let f = failure_for(&meta_channel(), ResponseTemplate::new(200).set_body_string("<html>oops</html>")).await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Unknown, None));
    assert!(f.error.message.contains("not JSON"), "{}", f.error.message);
    assert!(f.error.message.contains("delivery unknown"), "{}", f.error.message);
}

#[tokio::test]
async fn meta_success_without_a_message_id_is_delivery_unknown() {
    for body in [json!({}), json!({"messages": []}), json!({"messages": [{"id": ""}]}), json!({"messages": [{}]})] {
        let f = failure_for(&meta_channel(), ResponseTemplate::new(200).set_body_json(&body)).await;
        assert_eq!(f.error.kind, ProviderErrorKind::Unknown, "{body}");
        assert!(f.error.message.contains("without a message id"), "{}", f.error.message);
        assert!(f.error.message.contains("delivery unknown"), "{}", f.error.message);
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/1234567890/messages"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let f = providers(&server).send(&meta_channel(), &to(), &text("hi")).await.unwrap_err();
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("http_307")));
}

#[tokio::test]
async fn a_meta_channel_without_an_access_token_fails_permanently_without_calling_meta() {
    let server = MockServer::start().await;
    for credentials in [json!({}), json!({"access_token": ""}), json!({"access_token": 42})] {
        let ch = channel(ProviderKind::Meta, "1234567890", credentials);
        let e = providers(&server).send_text(&ch, &to(), &text("hi")).await.unwrap_err();
        assert_eq!(e.kind, ProviderErrorKind::Permanent);
        assert!(e.message.contains("channel has no access_token"), "{}", e.message);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_phone_number_id_that_is_not_an_id_fails_permanently_without_calling_meta() {
    let server = MockServer::start().await;
    for id in ["", "123/../../me", "123?x=1"] {
        let ch = channel(ProviderKind::Meta, id, json!({"access_token": META_TOKEN}));
        let e = providers(&server).send_text(&ch, &to(), &text("hi")).await.unwrap_err();
        assert_eq!(e.kind, ProviderErrorKind::Permanent, "{id}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
