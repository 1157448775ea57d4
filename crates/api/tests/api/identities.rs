//! A customer's message is never dropped for their identity: WhatsApp's
//! `wa_id` forms (Mexico's 521, Brazil's ninth digit, Argentina's 549,
//! ranges the phone library does not list), business-scoped user ids for
//! customers who share no number, and one conversation per customer
//! whichever form their identity arrives in. Payloads are shaped like
//! Meta's and Twilio's own.

use chrono::Utc;
use inbox_whatsapp::webhook::meta;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

const META_SECRET: &str = "secret-acme";

/// A Meta callback for company A with this `value` (contacts, messages...).
fn meta_callback(app: &TestApp, value: Value) -> Vec<u8> {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": "15550001111", "phone_number_id": app.a.phone_number_id});
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
    }))
    .unwrap()
}

/// An inbound message of `kind` with its type's object, from a number.
fn message_from(wa_id: &str, id: &str, kind: &str, body: Value) -> Value {
    let mut m = json!({"from": wa_id, "id": id, "timestamp": Utc::now().timestamp().to_string(), "type": kind});
    if kind != "unknown" {
        m[kind] = body;
    }
    m
}

impl TestApp {
    async fn conversations_of_a(&self) -> Vec<Value> {
        let res = self.as_a(Method::GET, "/api/conversations").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let list: Value = res.json().await.unwrap();
        list["conversations"].as_array().unwrap().clone()
    }

    async fn messages_in(&self, conversation_id: &str) -> Vec<Value> {
        let res =
            self.as_a(Method::GET, &format!("/api/conversations/{conversation_id}/messages")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        page["messages"].as_array().unwrap().clone()
    }

    async fn webhook_errors(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT error FROM webhook_events WHERE error IS NOT NULL")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }

    async fn contacts_of_a(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM contacts WHERE company_id = $1")
            .bind(self.a.company.0)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn inbound_messages_from_every_wa_id_form_create_their_contact_and_message(db: PgPool) {
    let app = TestApp::spawn(db).await;
    // (wa_id, who): WhatsApp's own forms and a range the library lacks.
    let senders = [
        ("5215512345678", "Mexico, 521"),
        ("551187654321", "Brazil, before the ninth digit"),
        ("5511987654321", "Brazil, with the ninth digit"),
        ("5491123456789", "Argentina, 549"),
        ("14150550100", "a range the phone library does not list"),
        ("447700900123", "an ordinary UK mobile"),
    ];
    for (i, (wa_id, who)) in senders.iter().enumerate() {
        let body = meta::text_message_payload(
            &app.a.phone_number_id,
            wa_id,
            who,
            &format!("wamid.form.{i}"),
            &format!("Hello from {who}"),
            Utc::now(),
        );
        assert_eq!(app.post_meta_signed(body, META_SECRET).await.status(), 200, "{who}");
    }
    assert_eq!(app.webhook_errors().await, Vec::<String>::new());
    let conversations = app.conversations_of_a().await;
    // Brazil's two forms are one customer: five conversations for six senders.
    assert_eq!(conversations.len(), 5, "{conversations:#?}");
    for (wa_id, who) in senders {
        let found = conversations.iter().find(|c| c["contact"]["name"] == who);
        if wa_id == "5511987654321" {
            continue; // the Brazilian already named by the first message
        }
        let c = found.unwrap_or_else(|| panic!("no conversation for {who}"));
        assert_eq!(c["contact"]["phoneNumber"], format!("+{wa_id}"), "{who}");
        // WhatsApp's latest form is the one replies go to.
        let latest = if wa_id == "551187654321" { "5511987654321" } else { wa_id };
        assert_eq!(c["contact"]["waId"], latest, "{who}");
    }
    let brazil = conversations.iter().find(|c| c["contact"]["name"] == "Brazil, before the ninth digit").unwrap();
    let texts: Vec<Value> =
        app.messages_in(brazil["id"].as_str().unwrap()).await.iter().map(|m| m["content"].clone()).collect();
    assert_eq!(texts.len(), 2, "both forms' messages are in one conversation: {texts:?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_message_type_meta_documents_is_applied_never_stored_as_an_error(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let wa = "5215512345678";
    let media = |extra: Value| {
        let mut m = json!({"id": "1234567890", "mime_type": "image/jpeg", "sha256": "a1b2c3"});
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        m
    };
    let messages = vec![
        message_from(wa, "wamid.t.text", "text", json!({"body": "Hola"})),
        message_from(wa, "wamid.t.image", "image", media(json!({"caption": "the receipt"}))),
        message_from(wa, "wamid.t.video", "video", media(json!({"mime_type": "video/mp4"}))),
        message_from(wa, "wamid.t.document", "document", media(json!({"filename": "invoice.pdf"}))),
        message_from(wa, "wamid.t.audio", "audio", media(json!({"mime_type": "audio/ogg", "voice": true}))),
        message_from(wa, "wamid.t.sticker", "sticker", media(json!({"mime_type": "image/webp", "animated": false}))),
        message_from(wa, "wamid.t.reaction", "reaction", json!({"message_id": "wamid.t.text", "emoji": "👍"})),
        message_from(
            wa,
            "wamid.t.location",
            "location",
            json!({"latitude": 19.4326, "longitude": -99.1332, "name": "Zócalo", "address": "Centro, CDMX"}),
        ),
        message_from(
            wa,
            "wamid.t.contacts",
            "contacts",
            json!([{"name": {"formatted_name": "Ana Ruiz", "first_name": "Ana"}, "phones": [{"phone": "+52 55 0000 0000", "wa_id": "5215500000000", "type": "CELL"}]}]),
        ),
        message_from(
            wa,
            "wamid.t.order",
            "order",
            json!({"catalog_id": "c1", "text": "for Friday", "product_items": [{"product_retailer_id": "p1", "quantity": 2, "item_price": 10, "currency": "MXN"}]}),
        ),
        message_from(
            wa,
            "wamid.t.button",
            "interactive",
            json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes, please"}}),
        ),
        message_from(
            wa,
            "wamid.t.list",
            "interactive",
            json!({"type": "list_reply", "list_reply": {"id": "l1", "title": "Large", "description": "XL"}}),
        ),
        message_from(wa, "wamid.t.quick", "button", json!({"payload": "STOP", "text": "Stop promotions"})),
        {
            let mut m = message_from(wa, "wamid.t.unsupported", "unsupported", json!({"type": "edit"}));
            m["errors"] = json!([{"code": 131051, "title": "Message type unknown", "message": "Message type unknown", "error_data": {"details": "Message type is currently not supported."}}]);
            m
        },
        message_from(
            wa,
            "wamid.t.edit",
            "edit",
            json!({"original_message_id": "wamid.t.text", "message": {"type": "text", "text": {"body": "Hola!"}}}),
        ),
        message_from(wa, "wamid.t.revoke", "revoke", json!({"original_message_id": "wamid.t.image"})),
        message_from(
            wa,
            "wamid.t.system",
            "system",
            json!({"body": "User A changed from 5215512345678 to 5215587654321", "wa_id": "5215587654321", "type": "user_changed_number"}),
        ),
    ];
    let expected = messages.len();
    let body = meta_callback(
        &app,
        json!({"contacts": [{"profile": {"name": "Lucía"}, "wa_id": wa, "user_id": "MX.1502576394655843"}], "messages": messages}),
    );
    assert_eq!(app.post_meta_signed(body, META_SECRET).await.status(), 200);
    assert_eq!(app.webhook_errors().await, Vec::<String>::new());
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1);
    let lines = app.messages_in(conversations[0]["id"].as_str().unwrap()).await;
    assert_eq!(lines.len(), expected, "every message is in the chat");
    let content = |id: &str| {
        let m = lines.iter().find(|m| m["providerMessageId"] == id).unwrap_or_else(|| panic!("no {id}"));
        (m["content"].as_str().unwrap().to_owned(), m["kind"].as_str().unwrap().to_owned())
    };
    assert_eq!(content("wamid.t.image").0, "the receipt");
    assert_eq!(content("wamid.t.document").0, "[document: invoice.pdf]");
    assert_eq!(content("wamid.t.audio").0, "[voice message]");
    assert_eq!(content("wamid.t.reaction").0, "Reacted 👍 to a message");
    assert_eq!(content("wamid.t.location").0, "[location: Zócalo, Centro, CDMX]");
    assert_eq!(content("wamid.t.contacts").0, "[contact: Ana Ruiz]");
    assert_eq!(content("wamid.t.order").0, "[order: 1 item: for Friday]");
    assert_eq!(content("wamid.t.button").0, "Yes, please");
    assert_eq!(content("wamid.t.quick").0, "Stop promotions");
    assert_eq!(content("wamid.t.unsupported").0, "[unsupported message: edit]");
    assert_eq!(content("wamid.t.edit").0, "Edited: Hola!");
    assert_eq!(content("wamid.t.revoke").0, "This message was deleted");
    assert_eq!(
        content("wamid.t.system"),
        ("User A changed from 5215512345678 to 5215587654321".into(), "system".into())
    );
    // The number change moved the customer to the new number, in the same chat.
    let contact = &app.conversations_of_a().await[0]["contact"];
    assert_eq!(contact["waId"], "5215587654321");
    assert_eq!(contact["phoneNumber"], "+5215587654321");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_customer_with_a_username_and_no_number_is_read_answered_by_bsuid_and_kept_in_one_chat(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let bsuid = "US.13491208655302741918";
    // Meta's own example of a username customer: no `from`, no `wa_id`.
    let first = meta_callback(
        &app,
        json!({
            "contacts": [{"profile": {"name": "Sheena Nelson", "username": "@realsheenanelson"},
                          "user_id": bsuid, "parent_user_id": "US.ENT.11815799212886844830"}],
            "messages": [{"from_user_id": bsuid, "from_parent_user_id": "US.ENT.11815799212886844830",
                          "id": "wamid.bsuid.1", "timestamp": Utc::now().timestamp().to_string(),
                          "type": "text", "text": {"body": "Does it come in another color?"}}],
        }),
    );
    assert_eq!(app.post_meta_signed(first, META_SECRET).await.status(), 200);
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1);
    let contact = &conversations[0]["contact"];
    assert_eq!(contact["phoneNumber"], Value::Null);
    assert_eq!(contact["bsuid"], bsuid);
    assert_eq!(contact["username"], "@realsheenanelson");
    assert_eq!(contact["name"], "Sheena Nelson");
    let conversation_id = conversations[0]["id"].as_str().unwrap().to_owned();

    // Found by username in the search.
    let res = app.as_a(Method::GET, "/api/conversations?search=realsheena").send().await.unwrap();
    let found: Value = res.json().await.unwrap();
    assert_eq!(found["conversations"].as_array().unwrap().len(), 1);

    // The agent's reply goes out with `recipient` set to the BSUID, no `to`.
    let res = app
        .as_a(Method::POST, &format!("/api/conversations/{conversation_id}/messages"))
        .json(&json!({"messageText": "Yes: blue and green."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let sent: Vec<Value> =
        app.meta.received_requests().await.unwrap().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["recipient"], bsuid);
    assert_eq!(sent[0].get("to"), None, "a BSUID never goes in `to`: {}", sent[0]);

    // Later the customer shares their number: same contact, same chat.
    let second = meta_callback(
        &app,
        json!({
            "contacts": [{"profile": {"name": "Sheena Nelson", "username": "@realsheenanelson"},
                          "wa_id": "16505551234", "user_id": bsuid}],
            "messages": [{"from": "16505551234", "from_user_id": bsuid, "id": "wamid.bsuid.2",
                          "timestamp": Utc::now().timestamp().to_string(), "type": "text", "text": {"body": "Thanks!"}}],
        }),
    );
    assert_eq!(app.post_meta_signed(second, META_SECRET).await.status(), 200);
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1, "{conversations:#?}");
    assert_eq!(conversations[0]["contact"]["phoneNumber"], "+16505551234");
    assert_eq!(app.messages_in(&conversation_id).await.len(), 3);
    assert_eq!(app.contacts_of_a().await, 1);
}

/// Sends to a typed number with Meta answering WhatsApp's own form of it,
/// then the customer answers from that form: one contact, one conversation.
async fn a_typed_number_and_its_whatsapp_form_are_one_customer(db: PgPool, typed: &str, wa_id: &str) {
    let app = TestApp::spawn(db).await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{}/messages", app.a.phone_number_id)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": typed, "wa_id": wa_id}],
            "messages": [{"id": "wamid.typed.1"}]
        })))
        .mount(&app.meta)
        .await;
    let sent = app.send_as_a(typed, "Your order is ready").await;
    let reply =
        meta::text_message_payload(&app.a.phone_number_id, wa_id, "Cliente", "wamid.reply.1", "Gracias", Utc::now());
    assert_eq!(app.post_meta_signed(reply, META_SECRET).await.status(), 200);
    assert_eq!(app.contacts_of_a().await, 1);
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1, "{conversations:#?}");
    assert_eq!(conversations[0]["id"], sent["conversationId"]);
    assert_eq!(conversations[0]["contact"]["waId"], wa_id);
    assert_eq!(app.messages_in(sent["conversationId"].as_str().unwrap()).await.len(), 2);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_to_a_mexican_number_and_the_reply_from_521_share_one_conversation(db: PgPool) {
    a_typed_number_and_its_whatsapp_form_are_one_customer(db, "+52 55 1234 5678", "5215512345678").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_send_to_a_brazilian_mobile_and_the_reply_without_the_ninth_digit_share_one_conversation(db: PgPool) {
    a_typed_number_and_its_whatsapp_form_are_one_customer(db, "+55 11 98765 4321", "551187654321").await;
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_twilio_message_from_a_mexican_wa_id_or_a_bsuid_is_recorded(db: PgPool) {
    let app = TestApp::spawn(db).await;
    inbox_domain::channels::create(
        &app.db,
        app.a.company,
        inbox_domain::channels::NewChannel {
            provider: inbox_domain::channels::ProviderKind::Twilio,
            name: "Twilio".into(),
            phone_number: None,
            external_id: "+14155238886".into(),
            credentials: json!({"account_sid": "AC123", "auth_token": "tw-secret"}),
            verify_token: None,
            app_secret: None,
            is_default: false,
        },
    )
    .await
    .unwrap();
    let url = app.url("/api/whatsapp/webhook/twilio");
    let from_number = |sid: &'static str, digits: &'static str, name: &'static str| {
        vec![
            ("MessageSid", sid),
            ("SmsStatus", "received"),
            ("To", "whatsapp:+14155238886"),
            ("Body", "Oi"),
            ("ProfileName", name),
            ("WaId", digits),
        ]
    };
    let mut forms = [
        (from_number("SMbr1", "551187654321", "Brazil without the nine"), "whatsapp:+551187654321"),
        (from_number("SMar1", "5491123456789", "Argentina"), "whatsapp:+5491123456789"),
        (from_number("SMnew1", "14150550100", "A new range"), "whatsapp:+14150550100"),
    ];
    let numbers: Vec<Vec<(&str, &str)>> = forms
        .iter_mut()
        .map(|(params, from)| {
            params.push(("From", from));
            params.clone()
        })
        .collect();
    for params in numbers.into_iter().chain([
        vec![
            ("MessageSid", "SMmx1"),
            ("SmsStatus", "received"),
            ("From", "whatsapp:+5215512345678"),
            ("To", "whatsapp:+14155238886"),
            ("Body", "Hola"),
            ("ProfileName", "Lucía"),
            ("WaId", "5215512345678"),
            ("NumMedia", "0"),
        ],
        vec![
            ("MessageSid", "SMbsuid1"),
            ("SmsStatus", "received"),
            ("From", "whatsapp:US.13491208655302741918"),
            ("To", "whatsapp:+14155238886"),
            ("Body", "Hi there"),
            ("ProfileName", "Pablo"),
            ("ExternalUserId", "US.13491208655302741918"),
        ],
    ]) {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let signature = inbox_whatsapp::webhook::twilio::sign("tw-secret", &url, &params);
        let res = app
            .anonymous(Method::POST, "/api/whatsapp/webhook/twilio")
            .header("x-twilio-signature", signature)
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.webhook_errors().await, Vec::<String>::new());
    let conversations = app.conversations_of_a().await;
    let by_name = |n: &str| conversations.iter().find(|c| c["contact"]["name"] == n).unwrap()["contact"].clone();
    assert_eq!(by_name("Lucía")["waId"], "5215512345678");
    assert_eq!(by_name("Pablo")["bsuid"], "US.13491208655302741918");
    assert_eq!(by_name("Pablo")["phoneNumber"], Value::Null);
    assert_eq!(by_name("Brazil without the nine")["phoneNumber"], "+551187654321");
    assert_eq!(by_name("Argentina")["waId"], "5491123456789");
    assert_eq!(by_name("A new range")["phoneNumber"], "+14150550100");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_customer_messaged_by_number_who_later_hides_it_stays_in_the_same_chat(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    let sent = app.send_as_a("+14155550123", "Your table is booked").await;
    let wamid = app.provider_id_of(sent["messageId"].as_str().unwrap()).await;
    let bsuid = "US.20491208655302741918";
    // Meta's `sent` status names the customer's BSUID (the send's answer
    // did not: it was sent to a number).
    let status = meta_callback(
        &app,
        json!({
            "contacts": [{"profile": {"name": "Ben"}, "wa_id": "14155550123", "user_id": bsuid}],
            "statuses": [{"id": wamid, "status": "sent", "timestamp": Utc::now().timestamp().to_string(),
                          "recipient_id": "14155550123", "recipient_user_id": bsuid}],
        }),
    );
    assert_eq!(app.post_meta_signed(status, META_SECRET).await.status(), 200);
    // The customer adopts a username: their reply carries no number.
    let reply = meta::bsuid_text_message_payload(
        &app.a.phone_number_id,
        bsuid,
        "@ben",
        "Ben",
        "wamid.hidden.1",
        "See you at eight",
        Utc::now(),
    );
    assert_eq!(app.post_meta_signed(reply, META_SECRET).await.status(), 200);
    assert_eq!(app.contacts_of_a().await, 1);
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0]["id"], sent["conversationId"]);
    assert_eq!(conversations[0]["contact"]["username"], "@ben");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_changed_bsuid_moves_the_contact_and_a_changed_number_taken_by_another_contact_moves_nothing(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let old = "US.30491208655302741918";
    let new = "US.40491208655302741918";
    let first =
        meta::bsuid_text_message_payload(&app.a.phone_number_id, old, "@cy", "Cy", "wamid.cy.1", "hi", Utc::now());
    assert_eq!(app.post_meta_signed(first, META_SECRET).await.status(), 200);
    // Meta's user_changed_user_id: no number, the old BSUID in previous_user_id.
    let changed = meta_callback(
        &app,
        json!({"messages": [{"from_user_id": new, "id": "wamid.cy.sys", "timestamp": Utc::now().timestamp().to_string(),
            "type": "system", "system": {"body": "Cy's account changed", "type": "user_changed_user_id",
                                         "user_id": new, "previous_user_id": old}}]}),
    );
    assert_eq!(app.post_meta_signed(changed, META_SECRET).await.status(), 200);
    let after = meta::bsuid_text_message_payload(
        &app.a.phone_number_id,
        new,
        "@cy",
        "Cy",
        "wamid.cy.2",
        "me again",
        Utc::now(),
    );
    assert_eq!(app.post_meta_signed(after, META_SECRET).await.status(), 200);
    let conversations = app.conversations_of_a().await;
    assert_eq!(conversations.len(), 1, "{conversations:#?}");
    assert_eq!(conversations[0]["contact"]["bsuid"], new);
    assert_eq!(app.messages_in(conversations[0]["id"].as_str().unwrap()).await.len(), 3);

    // Another customer already has the number Dee changes to: nothing is
    // moved onto that contact; the line shows in that number's chat.
    for (wa_id, id) in [("447700900001", "wamid.dee.1"), ("447700900002", "wamid.eve.1")] {
        let body = meta::text_message_payload(&app.a.phone_number_id, wa_id, id, id, "hello", Utc::now());
        assert_eq!(app.post_meta_signed(body, META_SECRET).await.status(), 200);
    }
    let clash = meta_callback(
        &app,
        json!({"messages": [message_from("447700900001", "wamid.dee.sys", "system",
            json!({"body": "Dee changed to 447700900002", "type": "user_changed_number", "wa_id": "447700900002"}))]}),
    );
    assert_eq!(app.post_meta_signed(clash, META_SECRET).await.status(), 200);
    assert_eq!(app.webhook_errors().await, Vec::<String>::new());
    let numbers: Vec<Value> = app.conversations_of_a().await.iter().map(|c| c["contact"]["waId"].clone()).collect();
    assert!(numbers.contains(&json!("447700900001")) && numbers.contains(&json!("447700900002")), "{numbers:?}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_company_may_send_to_numbers_of_a_possible_length_and_is_told_which_rule_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.meta_accepts().await;
    // A US exchange starting with 0 is in no range yet: strict by default.
    let new_range = json!({"phoneNumber": "+1 415 055 0100", "messageText": "Hi"});
    let res = app.as_a(Method::POST, "/api/messages").json(&new_range).send().await.unwrap();
    let body = expect_error(res, 422, "VALIDATION_ERROR").await;
    assert!(body["error"].as_str().unwrap().contains("rule: valid numbers only"), "{body}");
    let me: Value = app.as_a(Method::GET, "/api/auth/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["company"]["numberRule"], "valid");

    inbox_domain::companies::set_number_rule(&app.db, app.a.company, inbox_types::NumberRule::Possible).await.unwrap();
    let res = app.as_a(Method::POST, "/api/messages").json(&new_range).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let me: Value = app.as_a(Method::GET, "/api/auth/me").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["company"]["numberRule"], "possible");
    // A length the country never uses is still refused, by that rule's name.
    let res = app
        .as_a(Method::POST, "/api/messages")
        .json(&json!({"phoneNumber": "+1 415 055 01000", "messageText": "Hi"}))
        .send()
        .await
        .unwrap();
    let body = expect_error(res, 422, "VALIDATION_ERROR").await;
    assert!(body["error"].as_str().unwrap().contains("Not a possible phone number"), "{body}");
    // Another company keeps its own (strict) rule.
    let res = app.as_b(Method::POST, "/api/messages").json(&new_range).send().await.unwrap();
    expect_error(res, 422, "VALIDATION_ERROR").await;
}
