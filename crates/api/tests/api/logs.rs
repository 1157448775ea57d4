//! The log's levels say who is at fault: a client's mistake is routine
//! (INFO, with its code), WhatsApp refusing a message is a warning where it
//! happens (`message.failed`: a customer did not get it), and only the
//! server's own faults are errors, logged once.
//! A scan or a buggy integrator must not flood the warnings an operator
//! watches.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_clients_mistake_is_info_a_provider_refusal_a_warning_and_our_fault_one_error(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let meta_api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Recipient phone number not in allowed list", "type": "OAuthException", "code": 131030,
        }})))
        .mount(&meta_api)
        .await;
    let meta_base = meta_api.uri();
    let env = [("INBOX_META_API_BASE", meta_base.as_str()), ("INBOX_LOG", "info")];
    let server = Served::start_logged(url_of(&db), &env).await;
    let (url, client) = (server.url.clone(), http());

    let missing = client
        .get(format!("{url}/api/conversations/{}/messages", uuid::Uuid::new_v4()))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    let unsigned = client.get(format!("{url}/api/conversations")).send().await.unwrap();
    let send = |phone: &'static str| {
        client
            .post(format!("{url}/api/messages"))
            .bearer_auth(&acme.token)
            .json(&json!({"phoneNumber": phone, "messageText": "hello"}))
            .send()
    };
    let invalid = send("12").await.unwrap();
    let refused = send("+14155550100").await.unwrap();
    // Our own fault: a table the server needs is gone.
    sqlx::query("ALTER TABLE conversations RENAME TO conversations_gone").execute(&db).await.unwrap();
    let broken = client.get(format!("{url}/api/conversations")).bearer_auth(&acme.token).send().await.unwrap();
    let mut requests = Vec::new();
    for (res, status) in [
        (&missing, StatusCode::NOT_FOUND),
        (&unsigned, StatusCode::UNAUTHORIZED),
        (&invalid, StatusCode::UNPROCESSABLE_ENTITY),
        (&refused, StatusCode::BAD_GATEWAY),
        (&broken, StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        assert_eq!(res.status(), status);
        requests.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
    }

    let output = server.stop_and_read_log().await;
    let lines_of = |id: &str| output.lines().filter(|l| l.contains(id)).collect::<Vec<_>>();
    for (id, code) in requests.iter().zip(["NOT_FOUND", "UNAUTHORIZED", "VALIDATION_ERROR"]) {
        let lines = lines_of(id);
        assert!(
            lines.iter().any(|l| l.contains(" INFO ") && l.contains("request refused") && l.contains(code)),
            "the {code} is logged at INFO with its code: {lines:#?}"
        );
        assert!(lines.iter().all(|l| l.contains(" INFO ")), "a client's mistake is no warning: {lines:#?}");
    }
    let lines = lines_of(&requests[3]);
    assert!(
        lines.iter().any(|l| l.contains(" WARN ") && l.contains("message.failed")),
        "the refused send is a warning: {lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains(" ERROR ")), "the provider's refusal is not our error: {lines:#?}");
    let lines = lines_of(&requests[4]);
    let errors: Vec<_> = lines.iter().filter(|l| l.contains(" ERROR ")).collect();
    assert_eq!(errors.len(), 1, "our own fault is one error: {lines:#?}");
    assert!(errors[0].contains("request failed") && errors[0].contains("status=500"), "{errors:#?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_webhook_event_we_cannot_apply_is_a_warning_naming_the_stored_callback(db: PgPool) {
    // Acme's Meta channel (app secret `secret-acme`) signs the callback.
    tenant(&db, "Acme", "100000000000001").await;
    let env = [("INBOX_LOG", "info")];
    let server = Served::start_logged(url_of(&db), &env).await;
    // Signed by Acme's app, for a number Acme has not set up.
    let body = inbox_whatsapp::webhook::meta::text_message_payload(
        "100000000000999",
        "5215512345678",
        "Lucía",
        "wamid.LOGGED",
        "hola",
        chrono::Utc::now(),
    );
    let signature = inbox_whatsapp::webhook::meta::sign(b"secret-acme", &body);
    let res = http()
        .post(format!("{}/api/whatsapp/webhook", server.url))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stored: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM webhook_events WHERE error IS NOT NULL").fetch_one(&db).await.unwrap();
    let output = server.stop_and_read_log().await;
    let warned: Vec<_> = output.lines().filter(|l| l.contains(" WARN ") && l.contains("not applied")).collect();
    assert_eq!(warned.len(), 1, "{output}");
    assert!(warned[0].contains(&stored.to_string()) && warned[0].contains("unknown_channel"), "{warned:#?}");
    assert!(!output.lines().any(|l| l.contains(" ERROR ")), "not our fault: {output}");
}
