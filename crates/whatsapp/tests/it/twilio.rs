//! Twilio's Messages resource: the request we send and how each answer is classified.

use std::time::Duration;

use inbox_domain::channels::ProviderKind;
use inbox_domain::provider::{ProviderErrorKind, WhatsappProvider};
use serde_json::json;
use wiremock::matchers::{basic_auth, body_string, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

#[tokio::test]
async fn twilio_receives_a_form_with_whatsapp_addresses_and_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")))
        .and(basic_auth(TWILIO_SID, TWILIO_TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("To=whatsapp%3A%2B14155550100&From=whatsapp%3A%2B14155238886&Body=Ol%C3%A1+%26+bye%3D1"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "status": "queued",
            "to": "whatsapp:+14155550100",
            "from": "whatsapp:+14155238886"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let id = providers(&server).send_text(&twilio_channel(), &to(), &text("Olá & bye=1")).await.unwrap();
    assert_eq!(id.id.0, "SM0123456789abcdef0123456789abcdef");
}

#[tokio::test]
async fn a_twilio_sender_stored_with_the_whatsapp_prefix_is_not_prefixed_twice() {
    let server = MockServer::start().await;
    Mock::given(body_string_contains("From=whatsapp%3A%2B14155238886&"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1"})))
        .expect(2)
        .mount(&server)
        .await;
    let credentials = json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN});
    for sender in ["whatsapp:+14155238886", "14155238886"] {
        let ch = channel(ProviderKind::Twilio, sender, credentials.clone());
        assert_eq!(providers(&server).send_text(&ch, &to(), &text("hi")).await.unwrap().id.0, "SM1");
    }
}

#[tokio::test]
async fn twilio_outside_the_24_hour_window_is_permanent_and_asks_for_a_template() {
    let body = twilio_error(
        400,
        63016,
        "Failed to send freeform message because you are outside the allowed window. Please use a Template.",
    );
    let f = failure_for(&twilio_channel(), ResponseTemplate::new(400).set_body_json(body)).await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("63016")));
    assert!(f.error.message.starts_with("Outside the 24-hour customer service window"), "{}", f.error.message);
    assert!(f.error.message.contains("template message"), "{}", f.error.message);
    assert!(f.error.message.contains("Twilio says: Failed to send freeform message"), "{}", f.error.message);
}

#[tokio::test]
async fn twilio_rejected_credentials_are_permanent() {
    let f = failure_for(
        &twilio_channel(),
        ResponseTemplate::new(401).set_body_json(twilio_error(401, 20003, "Authenticate")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("20003")));
    assert!(f.error.message.contains("account_sid and auth_token"), "{}", f.error.message);
}

#[tokio::test]
async fn twilio_invalid_or_non_whatsapp_numbers_are_permanent() {
    for code in [21211, 21614, 63003] {
        let f =
            failure_for(&twilio_channel(), ResponseTemplate::new(400).set_body_json(twilio_error(400, code, "bad To")))
                .await;
        assert_eq!(f.error.kind, ProviderErrorKind::Permanent, "{code}");
        assert_eq!(f.error.code, Some(code.to_string()));
        assert!(f.error.message.contains("cannot receive WhatsApp messages"), "{}", f.error.message);
    }
}

#[tokio::test]
async fn twilio_rate_limits_are_transient_and_honour_retry_after() {
    let f = failure_for(
        &twilio_channel(),
        ResponseTemplate::new(429).insert_header("Retry-After", "2").set_body_json(twilio_error(
            429,
            20429,
            "Too Many Requests",
        )),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("20429")));
    assert_eq!(f.retry_after, Some(Duration::from_secs(2)));
    assert!(f.error.message.contains("retry after 2 s"), "{}", f.error.message);

    let f = failure_for(
        &twilio_channel(),
        ResponseTemplate::new(400).set_body_json(twilio_error(400, 63018, "Rate limit")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("63018")));
    assert_eq!(f.retry_after, None);
}

#[tokio::test]
async fn twilio_server_errors_are_transient() {
    let f = failure_for(&twilio_channel(), ResponseTemplate::new(503).set_body_string("Service Unavailable")).await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("http_503")));
}

#[tokio::test]
async fn twilio_other_client_errors_are_permanent() {
    let f = failure_for(
        &twilio_channel(),
        ResponseTemplate::new(400).set_body_json(twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")),
    )
    .await;
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("21610")));
    assert!(f.error.message.contains("unsubscribed recipient"), "{}", f.error.message);
}

#[tokio::test]
async fn twilio_success_without_a_sid_is_delivery_unknown() {
    for answer in [
        ResponseTemplate::new(201).set_body_json(json!({"status": "queued"})),
        ResponseTemplate::new(201).set_body_string("not json"),
    ] {
        let f = failure_for(&twilio_channel(), answer).await;
        assert_eq!(f.error.kind, ProviderErrorKind::Unknown);
        assert!(f.error.message.contains("delivery unknown"), "{}", f.error.message);
    }
}

#[tokio::test]
async fn a_hanging_twilio_is_a_timeout_with_delivery_unknown_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1"})).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let f = providers_with_timeout(&server, Duration::from_millis(300))
        .send(&twilio_channel(), &to(), &text("hi"))
        .await
        .unwrap_err();
    assert_eq!(f.error.kind, ProviderErrorKind::Unknown);
    assert!(f.error.message.contains("Twilio did not answer in time"), "{}", f.error.message);
    assert!(f.error.message.contains("delivery unknown"), "{}", f.error.message);
}

#[tokio::test]
async fn a_misconfigured_twilio_channel_fails_permanently_without_calling_twilio() {
    let server = MockServer::start().await;
    let both = json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN});
    for (sender, credentials, complaint) in [
        ("+14155238886", json!({"auth_token": TWILIO_TOKEN}), "no account_sid"),
        ("+14155238886", json!({"account_sid": TWILIO_SID, "auth_token": " "}), "no auth_token"),
        ("+14155238886", json!({"account_sid": "AC1/../../x", "auth_token": TWILIO_TOKEN}), "not a Twilio account SID"),
        ("whatsapp:", both, "no sender number"),
    ] {
        let ch = channel(ProviderKind::Twilio, sender, credentials);
        let e = providers(&server).send_text(&ch, &to(), &text("hi")).await.unwrap_err();
        assert_eq!(e.kind, ProviderErrorKind::Permanent);
        assert!(e.message.contains(complaint), "{}", e.message);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
