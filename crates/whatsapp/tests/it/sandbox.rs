//! The sandbox: no account, no network, and two magic endings for trying failures.

use inbox_domain::provider::{ProviderErrorKind, WhatsappProvider};
use inbox_whatsapp::{Providers, ProvidersConfig, Sandbox};

use crate::common::*;

#[tokio::test]
async fn the_sandbox_accepts_a_send_with_a_fresh_wamid_like_id() {
    let providers = Providers::new(ProvidersConfig::default());
    let first = providers.send_text(&sandbox_channel(), &to(), &text("hi")).await.unwrap();
    let second = providers.send_text(&sandbox_channel(), &to(), &text("hi")).await.unwrap();
    let uuid = first.id.0.strip_prefix("wamid.sandbox.").unwrap();
    assert_eq!(uuid.len(), 32, "{}", first.id.0);
    assert!(uuid.chars().all(|c| c.is_ascii_hexdigit()), "{}", first.id.0);
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_sandbox_fails_numbers_ending_in_0000_permanently() {
    let f = Sandbox::new().send(&sandbox_channel(), &phone("+14155550000"), &text("hi")).await.unwrap_err();
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("131026")));
    assert!(f.error.message.contains("not a WhatsApp number (sandbox"), "{}", f.error.message);
}

#[tokio::test]
async fn the_sandbox_refuses_a_number_ending_in_0001_once_then_accepts_it() {
    let sandbox = Sandbox::new();
    let (channel, to) = (sandbox_channel(), phone("+14155550001"));
    let f = sandbox.send(&channel, &to, &text("hi")).await.unwrap_err();
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Permanent, Some("131026")));
    assert!(f.error.message.contains("refused the first time"), "{}", f.error.message);
    assert!(sandbox.send(&channel, &to, &text("hi again")).await.unwrap().id.0.starts_with("wamid.sandbox."));
    // Another such number is refused once too.
    assert!(sandbox.send(&channel, &phone("+14155560001"), &text("hi")).await.is_err());
}

#[tokio::test]
async fn the_sandbox_rate_limits_numbers_ending_in_0429_transiently() {
    let f = Sandbox::new().send(&sandbox_channel(), &phone("+14155550429"), &text("hi")).await.unwrap_err();
    assert_eq!((f.error.kind, f.error.code.as_deref()), (ProviderErrorKind::Transient, Some("130429")));
    assert!(f.error.message.contains("Rate limit"), "{}", f.error.message);
}
