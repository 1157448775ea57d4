//! No secret reaches the logs: `inbox serve` with every debug log on, driven
//! through sign-in, cookie and token requests, a send that Meta refuses with
//! the access token in its error text, and signed and forged webhooks; its
//! whole output must not contain any of the secrets involved.

use inbox_types::MessageStatus;
use inbox_whatsapp::webhook::meta;
use reqwest::Client;
use serde_json::json;
use sqlx::PgPool;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn no_secret_is_ever_written_to_the_log(db: PgPool) {
    let acme = tenant(&db, "Acme", "100000000000001").await;
    let meta_api = MockServer::start().await;
    // Meta refuses and, as some APIs do, repeats the credential it was given.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Invalid OAuth access token - Cannot parse access token EAAG-acme",
            "type": "OAuthException", "code": 190,
        }})))
        .mount(&meta_api)
        .await;
    let meta_base = meta_api.uri();
    let env = [("INBOX_META_API_BASE", meta_base.as_str()), ("INBOX_LOG", "trace")];
    let server = Served::start_logged(url_of(&db), &env).await;
    let url = server.url.clone();
    // Without cookies (a token, a wrong password, the provider), and a browser.
    let plain = http();
    let http = Client::builder().cookie_store(true).build().unwrap();

    let login = http
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": acme.agent.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = login.cookies().find(|c| c.name() == "inbox_session").unwrap().value().to_owned();
    assert_eq!(http.get(format!("{url}/api/auth/me")).send().await.unwrap().status(), 200);
    let wrong = plain
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"email": acme.agent.email, "password": "wrong-password-456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let send = plain
        .post(format!("{url}/api/messages"))
        .bearer_auth(&acme.token)
        .json(&json!({"phoneNumber": "+14155550100", "messageText": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(send.status(), 502, "Meta refused");
    let body = meta::status_payload(
        &acme.phone_number_id,
        "wamid.unknown",
        MessageStatus::Delivered,
        "14155550100",
        chrono::Utc::now(),
    );
    for (secret, expected) in [("secret-acme", 200), ("not-the-secret", 401)] {
        let res = plain
            .post(format!("{url}/api/whatsapp/webhook"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", meta::sign(secret.as_bytes(), &body))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
    }
    let verify = format!("{url}/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=verify-acme&hub.challenge=7");
    assert_eq!(plain.get(verify).send().await.unwrap().status(), 200);

    let output = server.stop_and_read_log().await;
    assert!(output.contains("message.failed"), "the log has the failed send (and is the log): {output}");
    for secret in [
        PASSWORD,
        "wrong-password-456",
        session.as_str(),
        acme.token.as_str(),
        "secret-acme",
        "EAAG-acme",
        "verify-acme",
    ] {
        let at = output.find(secret).map(|i| output[i.saturating_sub(200)..(i + 40).min(output.len())].to_owned());
        assert!(at.is_none(), "the log contains the test secret {secret:?}: …{}…", at.unwrap_or_default());
    }
}
