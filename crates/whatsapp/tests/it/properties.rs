//! The webhook parsers and signature checks against generated input: no
//! input panics them, and no signature but the right one is accepted.
//! Cases per property: 256 by default; `make hardening` runs many more
//! (`PROPTEST_CASES`).

use inbox_whatsapp::webhook::{meta, twilio};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Strings, numbers, nulls, arrays and objects, nested a few levels: the
/// shapes a webhook field may take, right or wrong.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("timestamp".to_owned()),
                    Just("from".to_owned()),
                    Just("type".to_owned()),
                    Just("text".to_owned()),
                    Just("errors".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn meta_parse_never_panics_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = meta::parse(&body);
    }

    #[test]
    fn meta_parse_never_panics_on_webhook_shaped_json(
        statuses in any_json(), messages in any_json(), contacts in any_json(), metadata in any_json()
    ) {
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
            "field": "messages",
            "value": {"metadata": metadata, "statuses": statuses, "messages": messages, "contacts": contacts},
        }]}]});
        let _ = meta::parse(&serde_json::to_vec(&body).unwrap());
    }

    #[test]
    fn a_meta_signature_is_accepted_only_when_it_is_the_bodys(
        body in prop::collection::vec(any::<u8>(), 0..512),
        forged in "(sha256=)?[0-9a-fA-F]{0,70}",
    ) {
        let right = meta::sign(b"app-secret", &body);
        prop_assert!(meta::verify_signature(b"app-secret", &body, Some(&right)));
        prop_assert!(!meta::verify_signature(b"another-secret", &body, Some(&right)));
        prop_assert_eq!(
            meta::verify_signature(b"app-secret", &body, Some(&forged)),
            forged.eq_ignore_ascii_case(&right)
        );
    }

    #[test]
    fn twilio_parse_never_panics(params in prop::collection::vec(("[A-Za-z]{0,14}", ".{0,40}"), 0..24)) {
        let _ = twilio::parse(&params);
    }

    #[test]
    fn a_twilio_signature_is_accepted_only_when_it_is_the_requests(
        params in prop::collection::vec(("[A-Za-z]{1,14}", ".{0,40}"), 0..12),
        forged in "[A-Za-z0-9+/=]{0,40}",
    ) {
        let url = "https://inbox.example.com/api/whatsapp/webhook/twilio";
        let right = twilio::sign("auth-token", url, &params);
        prop_assert!(twilio::verify_signature("auth-token", url, &params, Some(&right)));
        prop_assert!(!twilio::verify_signature("other-token", url, &params, Some(&right)));
        prop_assert_eq!(twilio::verify_signature("auth-token", url, &params, Some(&forged)), forged == right);
    }
}
