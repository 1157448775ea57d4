//! Plan 10.1: createMessage, updateMessageStatus, getConversationMessages.

use chrono::FixedOffset;
use inbox_domain::contacts;
use inbox_domain::conversations;
use inbox_domain::delivery::{self, ProviderStatus, StatusOutcome};
use inbox_domain::messages::{self, NewMessage, StatusChange, StatusUpdate};
use inbox_domain::provider::ScriptedProvider;
use inbox_types::content::{Choice, Location, Media, MediaFile};
use inbox_types::dto::{MessageListParams, MessagePage, PageLimit};
use inbox_types::timeline::{TimelineItem, with_date_separators};
use inbox_types::{
    ContactId, ConversationId, Cursor, ErrorCode, MessageContent, MessageDirection, MessageId, MessageKind,
    MessageStatus,
};
use sqlx::PgPool;

use crate::common::*;

async fn conversation(db: &PgPool, t: &Tenant, phone: &str) -> (ConversationId, ContactId) {
    let (contact, _) = contacts::ensure_contact(db, t.company, &phone_of(phone), None).await.unwrap();
    let (conv, _) = conversations::ensure_conversation(db, t.company, contact.id).await.unwrap();
    (ConversationId(conv.id), contact.id)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn create_message_inserts_with_correct_fields_and_sending_by_default(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    let new = NewMessage::outbound(t.company, conv, contact, "Hello 👋", Some(t.agent.id));
    let m = messages::create_message(&db, &new).await.unwrap();
    assert_eq!(m.id, new.id.0, "returns the inserted message id");
    assert_eq!(m.status, MessageStatus::Sending);
    assert_eq!(m.direction, MessageDirection::Outbound);
    assert_eq!(m.content, "Hello 👋");
    assert_eq!(m.conversation_id, conv.0);
    assert_eq!(m.contact_id, contact.0);
    assert_eq!(m.created_by, Some(t.agent.id.0));
    assert_eq!(m.provider_message_id, None);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_kind_of_content_is_stored_and_read_back_as_it_was_with_its_rendering(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    let media =
        Media { caption: None, files: vec![MediaFile { provider_media_id: Some("1".into()), ..MediaFile::default() }] };
    let contents = [
        MessageContent::text("hi"),
        MessageContent::System { body: "changed their number".into(), change: Some("user_changed_number".into()) },
        MessageContent::Image(media.clone()),
        MessageContent::Video(media.clone()),
        MessageContent::Audio(media.clone()),
        MessageContent::Document(media.clone()),
        MessageContent::Sticker(media),
        MessageContent::Reaction { target_provider_id: "wamid.1".into(), emoji: Some("👍".into()) },
        MessageContent::Location(Location { latitude: 1.5, longitude: -2.25, ..Location::default() }),
        MessageContent::Contacts { contacts: vec![] },
        MessageContent::Choice(Choice { title: "Yes".into(), ..Choice::default() }),
        MessageContent::Unsupported { kind: "order".into(), text: None, raw: Some(serde_json::json!({"a": 1})) },
    ];
    // The database's list of kinds is the type's.
    assert_eq!(contents.len(), MessageKind::ALL.len());
    for content in contents {
        let new = NewMessage { content: content.clone(), ..NewMessage::outbound(t.company, conv, contact, "", None) };
        let m = messages::create_message(&db, &new).await.unwrap();
        assert_eq!((m.kind, &m.payload, m.content.as_str()), (content.kind(), &content, content.rendering().as_ref()));
        assert_eq!(messages::find(&db, t.company, new.id).await.unwrap().payload, content);
    }
    // A payload that is not its kind's is refused by the database.
    let wrong = sqlx::query("UPDATE messages SET payload = '{\"type\": \"video\"}' WHERE kind = 'image'")
        .execute(&db)
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("messages_payload_is_kind"), "{wrong}");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn every_pair_of_statuses_moves_in_the_database_exactly_as_the_type_says(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    let mut conn = db.acquire().await.unwrap();
    for from in MessageStatus::ALL {
        for to in MessageStatus::ALL {
            // By our id (a provider's answer) and by the provider's id (a
            // webhook); back to sending only by an agent's retry.
            for by_webhook in [false, true] {
                let wamid = format!("wamid.{from}.{to}.{by_webhook}");
                let new = NewMessage {
                    status: from,
                    provider_message_id: Some(&wamid),
                    ..NewMessage::outbound(t.company, conv, contact, "x", None)
                };
                messages::create_message(&db, &new).await.unwrap();
                let moved = match (to, by_webhook) {
                    (MessageStatus::Sending, _) => {
                        messages::claim_retry(&mut *conn, t.company, new.id, None).await.unwrap().is_some()
                    }
                    (_, false) => {
                        let none = StatusUpdate::default();
                        messages::update_message_status(&mut conn, t.company, new.id, to, &none).await.unwrap()
                            == StatusChange::Applied
                    }
                    (_, true) => {
                        let status = ProviderStatus {
                            provider_message_id: wamid.clone(),
                            status: to,
                            error_code: None,
                            error_message: None,
                        };
                        matches!(
                            delivery::apply_provider_status(&db, t.company, &status).await.unwrap(),
                            StatusOutcome::Applied(_)
                        )
                    }
                };
                assert_eq!(moved, from.can_move_to(to), "{from} -> {to} (webhook: {by_webhook})");
                let now = messages::find(&db, t.company, new.id).await.unwrap().status;
                assert_eq!(now, if moved { to } else { from }, "{from} -> {to} (webhook: {by_webhook})");
            }
        }
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn create_message_fails_on_db_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    break_writes_to(&db, "messages", false).await;
    let e =
        messages::create_message(&db, &NewMessage::outbound(t.company, conv, contact, "hi", None)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MessageInsertFailed);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn create_message_in_another_companys_conversation_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let (conv_b, contact_b) = conversation(&db, &b, "+14155550100").await;
    let e = messages::create_message(&db, &NewMessage::outbound(a.company, conv_b, contact_b, "hi", None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE company_id = $1", b.company).await, 0);
}

async fn stored(db: &PgPool, t: &Tenant) -> MessageId {
    let (conv, contact) = conversation(db, t, "+14155550100").await;
    let m = messages::create_message(db, &NewMessage::outbound(t.company, conv, contact, "hi", None)).await.unwrap();
    MessageId(m.id)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn update_message_status_updates_status_stores_provider_id_and_updated_at(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    let before = messages::find(&db, t.company, id).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    let update = StatusUpdate { provider_message_id: Some("wamid.ABC"), ..Default::default() };
    let change = messages::update_message_status(&mut conn, t.company, id, MessageStatus::Sent, &update).await.unwrap();
    assert_eq!(change, StatusChange::Applied);
    let after = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!(after.status, MessageStatus::Sent);
    assert_eq!(after.provider_message_id.as_deref(), Some("wamid.ABC"));
    assert!(after.updated_at > before.updated_at, "updatedAt moves forward");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn update_message_status_stores_the_error_on_failure(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    let mut conn = db.acquire().await.unwrap();
    let update = StatusUpdate {
        error_code: Some("131047"),
        error_message: Some("Outside the 24-hour window"),
        ..Default::default()
    };
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Failed, &update).await.unwrap();
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(m.error_code.as_deref(), Some("131047"));
    assert_eq!(m.error_message.as_deref(), Some("Outside the 24-hour window"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_late_or_repeated_status_changes_nothing_and_is_not_an_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    let mut conn = db.acquire().await.unwrap();
    let none = StatusUpdate::default();
    use MessageStatus::*;
    for (status, expected) in [
        (Sent, StatusChange::Applied),
        (Sent, StatusChange::Ignored),
        (Read, StatusChange::Applied),
        (Delivered, StatusChange::Ignored),
        (Failed, StatusChange::Ignored),
        (Sending, StatusChange::Ignored),
    ] {
        let change = messages::update_message_status(&mut conn, t.company, id, status, &none).await.unwrap();
        assert_eq!(change, expected, "{status}");
    }
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, Read);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_stale_status_still_records_a_missing_provider_id(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    let mut conn = db.acquire().await.unwrap();
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Read, &StatusUpdate::default())
        .await
        .unwrap();
    let update = StatusUpdate { provider_message_id: Some("wamid.LATE"), ..Default::default() };
    let change = messages::update_message_status(&mut conn, t.company, id, MessageStatus::Sent, &update).await.unwrap();
    assert_eq!(change, StatusChange::Ignored);
    let m = messages::find(&db, t.company, id).await.unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Read, Some("wamid.LATE")));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn update_message_status_of_another_companys_message_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let id = stored(&db, &b).await;
    let mut conn = db.acquire().await.unwrap();
    let e = messages::update_message_status(&mut conn, a.company, id, MessageStatus::Read, &StatusUpdate::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(messages::find(&db, b.company, id).await.unwrap().status, MessageStatus::Sending);
}

/// Sends `n` messages to one number, returning their ids oldest first.
async fn history(db: &PgPool, t: &Tenant, n: usize) -> (ConversationId, Vec<uuid::Uuid>) {
    history_via(db, t, &ScriptedProvider::accepting(), n).await
}

async fn history_via(
    db: &PgPool,
    t: &Tenant,
    provider: &ScriptedProvider,
    n: usize,
) -> (ConversationId, Vec<uuid::Uuid>) {
    let mut ids = Vec::new();
    let mut conv = None;
    for i in 0..n {
        let out = t.send(db, provider, "+14155550100", &format!("message {i}")).await;
        conv = Some(ConversationId(out.conversation_id));
        ids.push(out.message_id);
    }
    (conv.unwrap(), ids)
}

fn params(cursor: Option<&str>, limit: i64) -> MessageListParams {
    let page = cursor.map_or(MessagePage::Newest, |c| MessagePage::Before(Cursor::decode(c).unwrap()));
    MessageListParams { page, limit: PageLimit::new(limit).unwrap() }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_conversation_messages_fetches_newest_first(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, ids) = history(&db, &t, 5).await;
    let page = messages::get_conversation_messages(&db, t.company, conv, &params(None, 50)).await.unwrap();
    let got: Vec<_> = page.messages.iter().map(|m| m.id).collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(got, newest_first, "ordered by createdAt DESC");
    assert!(!page.has_more);
    assert_eq!(page.previous_cursor, None);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_conversation_messages_pages_to_older_messages_by_cursor(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, ids) = history(&db, &t, 7).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page =
            messages::get_conversation_messages(&db, t.company, conv, &params(cursor.as_deref(), 3)).await.unwrap();
        pages += 1;
        assert!(pages <= 3, "pagination ends (no infinite loop)");
        seen.extend(page.messages.iter().map(|m| m.id));
        if !page.has_more {
            assert_eq!(page.previous_cursor, None);
            break;
        }
        cursor = page.previous_cursor;
    }
    let mut expected = ids;
    expected.reverse();
    assert_eq!(seen, expected, "every message once, newest to oldest");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn messages_arriving_between_pages_are_neither_repeated_nor_skipped(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let (conv, ids) = history_via(&db, &t, &provider, 6).await;
    let first = messages::get_conversation_messages(&db, t.company, conv, &params(None, 3)).await.unwrap();
    // Two new messages arrive while the agent reads the first page.
    history_via(&db, &t, &provider, 2).await;
    let second =
        messages::get_conversation_messages(&db, t.company, conv, &params(first.previous_cursor.as_deref(), 3))
            .await
            .unwrap();
    let got: Vec<_> = first.messages.iter().chain(&second.messages).map(|m| m.id).collect();
    let mut expected = ids;
    expected.reverse();
    assert_eq!(got, expected);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_conversation_messages_excludes_soft_deleted_messages(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, ids) = history(&db, &t, 3).await;
    sqlx::query("UPDATE messages SET is_active = false WHERE id = $1").bind(ids[1]).execute(&db).await.unwrap();
    let page = messages::get_conversation_messages(&db, t.company, conv, &params(None, 50)).await.unwrap();
    let got: Vec<_> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(got, [ids[2], ids[0]]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_conversation_messages_include_date_separators(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, ids) = history(&db, &t, 3).await;
    // Move the oldest message two days back.
    sqlx::query("UPDATE messages SET created_at = created_at - interval '2 days' WHERE id = $1")
        .bind(ids[0])
        .execute(&db)
        .await
        .unwrap();
    let page = messages::get_conversation_messages(&db, t.company, conv, &params(None, 50)).await.unwrap();
    let items = with_date_separators(&page.messages, FixedOffset::east_opt(0).unwrap());
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| match i {
            TimelineItem::DateSeparator(_) => "day",
            TimelineItem::Message(_) => "msg",
        })
        .collect();
    assert_eq!(kinds, ["day", "msg", "day", "msg", "msg"]);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn get_conversation_messages_of_another_company_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let (conv_b, _) = history(&db, &b, 2).await;
    let e = messages::get_conversation_messages(&db, a.company, conv_b, &params(None, 50)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = messages::get_conversation_messages(&db, a.company, ConversationId::new(), &params(None, 50))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

// Plan 10.1 names each of these on its own.

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn create_message_sets_status_to_sending_by_default(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    let m = messages::create_message(&db, &NewMessage::outbound(t.company, conv, contact, "x", None)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Sending);
    let stored: String =
        sqlx::query_scalar("SELECT status FROM messages WHERE id = $1").bind(m.id).fetch_one(&db).await.unwrap();
    assert_eq!(stored, "sending");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn create_message_returns_the_inserted_message_id(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (conv, contact) = conversation(&db, &t, "+14155550100").await;
    let new = NewMessage::outbound(t.company, conv, contact, "x", None);
    let m = messages::create_message(&db, &new).await.unwrap();
    assert_eq!(m.id, new.id.0);
    assert_eq!(messages::find(&db, t.company, MessageId(m.id)).await.unwrap().content, "x");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn update_message_status_stores_the_provider_message_id(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    let mut conn = db.acquire().await.unwrap();
    let update = StatusUpdate { provider_message_id: Some("wamid.STORED"), ..Default::default() };
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Sent, &update).await.unwrap();
    let found: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM messages WHERE company_id = $1 AND provider_message_id = 'wamid.STORED'")
            .bind(t.company.0)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(found, id.0, "a webhook can find the message by the provider's id");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn update_message_status_updates_the_updated_at_timestamp(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = stored(&db, &t).await;
    sqlx::query("UPDATE messages SET updated_at = now() - interval '1 hour' WHERE id = $1")
        .bind(id.0)
        .execute(&db)
        .await
        .unwrap();
    let before = messages::find(&db, t.company, id).await.unwrap().updated_at;
    let mut conn = db.acquire().await.unwrap();
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Delivered, &StatusUpdate::default())
        .await
        .unwrap();
    let after = messages::find(&db, t.company, id).await.unwrap().updated_at;
    assert!(after - before > chrono::Duration::minutes(59), "{before} -> {after}");
}
