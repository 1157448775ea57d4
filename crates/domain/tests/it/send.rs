//! Plan 10.1 MessageService.sendNewMessage, 10.2 message sending flow, and
//! retry (10.4).

use inbox_domain::Actor;
use inbox_domain::DomainError;
use inbox_domain::conversations;
use inbox_domain::messages;
use inbox_domain::provider::{Accepted, ProviderError, ScriptedProvider};
use inbox_domain::send;
use inbox_types::dto::{ClientKey, ConversationListParams};
use inbox_types::{ConversationId, ErrorCode, MessageId, MessageStatus, MessageText};
use sqlx::PgPool;

use crate::common::*;

async fn totals(db: &PgPool, t: &Tenant) -> (i64, i64, i64) {
    (
        count(db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await,
        count(db, "SELECT count(*) FROM conversations WHERE company_id = $1", t.company).await,
        count(db, "SELECT count(*) FROM messages WHERE company_id = $1", t.company).await,
    )
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_to_a_new_contact_creates_contact_conversation_and_message(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let out = t.send(&db, &provider, "+1 (415) 555-0100", "Hello there").await;

    assert!(out.created_contact);
    assert!(out.created_conversation);
    assert_eq!(out.message.id, out.message_id);
    assert_eq!(out.message.status, MessageStatus::Sent);
    assert_eq!(out.message.content, "Hello there");
    assert_eq!(totals(&db, &t).await, (1, 1, 1));

    // The provider was called once, with the normalised number and the text.
    let calls = provider.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].to, "+14155550100");
    assert_eq!(calls[0].text, "Hello there");

    let m = messages::find(&db, t.company, MessageId(out.message_id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Sent);
    assert_eq!(m.provider_message_id.as_deref(), Some("wamid.test.1"));
    assert_eq!(m.created_by, Some(t.agent.id.0));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_to_an_existing_contact_reuses_contact_and_conversation(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let first = t.send(&db, &provider, "+14155550100", "one").await;
    let second = t.send(&db, &provider, "+1 415 555 0100", "two").await;
    assert!(!second.created_contact);
    assert!(!second.created_conversation);
    assert_eq!(second.contact_id, first.contact_id);
    assert_eq!(second.conversation_id, first.conversation_id);
    assert_eq!(totals(&db, &t).await, (1, 1, 2));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_updates_the_conversations_last_message_preview(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    t.send(&db, &provider, "+14155550100", "first").await;
    let long = format!("second line\n{}", "x".repeat(300));
    let out = t.send(&db, &provider, "+14155550100", &long).await;
    let conv = conversations::get_conversation(&db, t.company, ConversationId(out.conversation_id)).await.unwrap();
    assert_eq!(conv.last_message_id, Some(out.message_id));
    let preview = conv.last_message_preview.unwrap();
    assert!(preview.starts_with("second line xxx"), "{preview}");
    assert_eq!(preview.chars().count(), conversations::PREVIEW_CHARS);
    assert_eq!(conv.last_message_time, out.message.created_at);
    assert_eq!(conv.last_message_status, Some(MessageStatus::Sent));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_moves_the_conversation_to_the_top_of_the_list(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let older = t.send(&db, &provider, "+14155550100", "to ana").await;
    let newer = t.send(&db, &provider, "+442079460958", "to ben").await;
    let ids = conversation_order(&db, &t).await;
    assert_eq!(ids, [newer.conversation_id, older.conversation_id]);
    t.send(&db, &provider, "+14155550100", "to ana again").await;
    assert_eq!(conversation_order(&db, &t).await, [older.conversation_id, newer.conversation_id]);
}

async fn conversation_order(db: &PgPool, t: &Tenant) -> Vec<uuid::Uuid> {
    let page = conversations::list_conversations(db, t.company, &ConversationListParams::default()).await.unwrap();
    page.conversations.iter().map(|c| c.id).collect()
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn message_status_moves_from_sending_to_sent_to_delivered_to_read(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    // Hold the provider's answer to see the stored `sending` state first.
    let (conv, contact) = {
        let out = t.send(&db, &ScriptedProvider::accepting(), "+14155550100", "warm up").await;
        (ConversationId(out.conversation_id), inbox_types::ContactId(out.contact_id))
    };
    let m = messages::create_message(&db, &messages::NewMessage::outbound(t.company, conv, contact, "hi", None))
        .await
        .unwrap();
    let id = MessageId(m.id);
    assert_eq!(m.status, MessageStatus::Sending);
    let mut conn = db.acquire().await.unwrap();
    for next in [MessageStatus::Sent, MessageStatus::Delivered, MessageStatus::Read] {
        let update = messages::StatusUpdate { provider_message_id: Some("wamid.X"), ..Default::default() };
        messages::update_message_status(&mut conn, t.company, id, next, &update).await.unwrap();
        assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, next);
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_handles_whatsapp_api_failure_by_storing_a_failed_message(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Err(ProviderError::permanent(
        Some("131047"),
        "Re-engagement message: more than 24 hours since the customer last replied",
    ))]);
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::WhatsappSendFailed);
    let DomainError::WhatsappSendFailed { message_id, conversation_id, provider_code, transient, .. } = e else {
        unreachable!()
    };
    assert_eq!(provider_code.as_deref(), Some("131047"));
    assert!(!transient);
    let m = messages::find(&db, t.company, MessageId(message_id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Failed, "the message stays in the database as failed");
    assert_eq!(m.conversation_id, conversation_id);
    assert_eq!(m.error_code.as_deref(), Some("131047"));
    assert!(m.error_message.unwrap().contains("24 hours"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_handles_contact_creation_failure(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    break_writes_to(&db, "contacts", false).await;
    let provider = ScriptedProvider::accepting();
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ContactCreateFailed);
    assert_eq!(totals(&db, &t).await, (0, 0, 0));
    assert!(provider.calls().is_empty(), "nothing is sent when nothing is stored");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_handles_conversation_creation_failure_and_rolls_back_the_contact(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    break_writes_to(&db, "conversations", true).await;
    let provider = ScriptedProvider::accepting();
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConversationCreateFailed);
    assert_eq!(totals(&db, &t).await, (0, 0, 0), "the new contact was rolled back");
    assert!(provider.calls().is_empty());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_handles_message_insertion_failure_and_rolls_back_the_transaction(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    break_writes_to(&db, "messages", false).await;
    let provider = ScriptedProvider::accepting();
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MessageInsertFailed);
    assert_eq!(totals(&db, &t).await, (0, 0, 0), "contact and conversation were rolled back");
    assert!(provider.calls().is_empty());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_failed_send_to_an_existing_conversation_rolls_back_its_last_message(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let first = t.send(&db, &provider, "+14155550100", "kept").await;
    break_writes_to(&db, "messages", false).await;
    send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "lost")).await.unwrap_err();
    let conv = conversations::get_conversation(&db, t.company, ConversationId(first.conversation_id)).await.unwrap();
    assert_eq!(conv.last_message_preview.as_deref(), Some("kept"));
    assert_eq!(conv.last_message_id, Some(first.message_id));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_repeated_client_key_is_a_conflict_and_sends_nothing(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let mut input = new_message("+14155550100", "only once");
    input.client_key = Some(ClientKey::parse("k-123").unwrap());
    let first = send::send_new_message(&db, &provider, t.actor(), &input).await.unwrap();
    let e = send::send_new_message(&db, &provider, t.actor(), &input).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    let DomainError::Conflict { existing_message_id, .. } = e else { unreachable!() };
    assert_eq!(existing_message_id, Some(first.message_id), "the conflict names the original message");
    assert_eq!(provider.calls().len(), 1);
    assert_eq!(totals(&db, &t).await, (1, 1, 1));

    // The same key in another company is another message.
    let other = Tenant::new(&db, "Globex").await;
    send::send_new_message(&db, &provider, other.actor(), &input).await.unwrap();
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_company_without_a_channel_cannot_send_and_nothing_is_stored(db: PgPool) {
    let company = inbox_types::CompanyId(inbox_domain::companies::create(&db, "No Channel").await.unwrap().id);
    let provider = ScriptedProvider::accepting();
    let actor = Actor { company_id: company, user_id: None };
    let e = send::send_new_message(&db, &provider, actor, &new_message("+14155550100", "hi")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ChannelNotConfigured);
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", company).await, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn special_characters_and_a_4096_character_message_are_sent_intact(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let emoji = "Olá 👋🏽 — “quotes” <b>&amp;</b> 👨‍👩‍👧 ñ € ✓";
    let out = t.send(&db, &provider, "+14155550100", emoji).await;
    assert_eq!(messages::find(&db, t.company, MessageId(out.message_id)).await.unwrap().content, emoji);
    let long = "🙂".repeat(MessageText::MAX_CHARS);
    let out = t.send(&db, &provider, "+14155550100", &long).await;
    assert_eq!(messages::find(&db, t.company, MessageId(out.message_id)).await.unwrap().content, long);
    assert_eq!(provider.calls()[1].text.chars().count(), 4096);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_in_conversation_sends_to_its_contact(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let first = t.send(&db, &provider, "+14155550100", "one").await;
    let out = send::send_in_conversation(
        &db,
        &provider,
        t.actor(),
        ConversationId(first.conversation_id),
        &MessageText::parse("two").unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.conversation_id, first.conversation_id);
    assert!(!out.created_contact && !out.created_conversation);
    assert_eq!(provider.calls()[1].to, "+14155550100");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn send_in_another_companys_conversation_is_not_found_and_sends_nothing(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let provider = ScriptedProvider::accepting();
    let theirs = b.send(&db, &provider, "+14155550100", "theirs").await;
    let e = send::send_in_conversation(
        &db,
        &provider,
        a.actor(),
        ConversationId(theirs.conversation_id),
        &MessageText::parse("sneaky").unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(provider.calls().len(), 1);
    assert_eq!(totals(&db, &a).await, (0, 0, 0));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn retrying_a_failed_message_sends_it_again_on_the_same_row(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Err(ProviderError::permanent(Some("131026"), "Undeliverable"))]);
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "again")).await.unwrap_err();
    let DomainError::WhatsappSendFailed { message_id, .. } = e else { unreachable!() };

    let out = send::retry_failed_message(&db, &provider, t.actor(), MessageId(message_id)).await.unwrap();
    assert_eq!(out.message_id, message_id, "the same message, not a new one");
    assert_eq!(out.message.status, MessageStatus::Sent);
    assert_eq!(provider.calls().len(), 2, "the provider really was called again");
    assert_eq!(provider.calls()[1].text, "again");
    let m = messages::find(&db, t.company, MessageId(message_id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Sent);
    assert_eq!(m.error_code, None, "the old error is cleared");
    assert_eq!(m.provider_message_id.as_deref(), Some("wamid.test.2"));
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE company_id = $1", t.company).await, 1);
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(attempts, 1, "an agent's retry starts a new series of attempts");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_retry_that_fails_again_leaves_the_message_failed_with_the_new_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([
        Err(ProviderError::permanent(Some("131047"), "Outside the window")),
        Err(ProviderError::permanent(Some("131026"), "Not a WhatsApp number")),
    ]);
    let e = send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "x")).await.unwrap_err();
    let DomainError::WhatsappSendFailed { message_id, .. } = e else { unreachable!() };
    let e = send::retry_failed_message(&db, &provider, t.actor(), MessageId(message_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::WhatsappSendFailed);
    let m = messages::find(&db, t.company, MessageId(message_id)).await.unwrap();
    assert_eq!((m.status, m.error_code.as_deref()), (MessageStatus::Failed, Some("131026")));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn only_a_failed_message_can_be_retried(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let out = t.send(&db, &provider, "+14155550100", "delivered fine").await;
    let e = send::retry_failed_message(&db, &provider, t.actor(), MessageId(out.message_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert_eq!(provider.calls().len(), 1, "a sent message is never sent twice");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn retrying_another_companys_or_an_unknown_message_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let provider = ScriptedProvider::answering([Err(ProviderError::permanent(None, "no"))]);
    let e = send::send_new_message(&db, &provider, b.actor(), &new_message("+14155550100", "x")).await.unwrap_err();
    let DomainError::WhatsappSendFailed { message_id, .. } = e else { unreachable!() };
    let e = send::retry_failed_message(&db, &provider, a.actor(), MessageId(message_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = send::retry_failed_message(&db, &provider, a.actor(), MessageId::new()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(messages::find(&db, b.company, MessageId(message_id)).await.unwrap().status, MessageStatus::Failed);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_provider_answer_overtaken_by_a_webhook_does_not_move_the_message_back(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::answering([Ok(Accepted::id_only("wamid.FAST"))]);
    let out = t.send(&db, &provider, "+14155550100", "hi").await;
    // A read receipt lands, then a duplicate "sent" answer is recorded.
    let mut conn = db.acquire().await.unwrap();
    let id = MessageId(out.message_id);
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Read, &Default::default()).await.unwrap();
    let update = messages::StatusUpdate { provider_message_id: Some("wamid.FAST"), ..Default::default() };
    messages::update_message_status(&mut conn, t.company, id, MessageStatus::Sent, &update).await.unwrap();
    assert_eq!(messages::find(&db, t.company, id).await.unwrap().status, MessageStatus::Read);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_agent_who_starts_a_chat_takes_it_unless_someone_has_it(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let assignee = |out: &send::Sent| {
        let id = ConversationId(out.conversation_id);
        let db = db.clone();
        let company = t.company;
        async move { conversations::get_conversation(&db, company, id).await.unwrap().assigned_to_user_id }
    };
    // New chat: the agent takes it.
    let started = t.send(&db, &provider, "+14155550100", "Hello").await;
    assert_eq!(assignee(&started).await, Some(t.agent.id.0));

    // A chat a customer started stays unassigned when answered in it...
    let inbound = common_inbound(&t, &db, "14155550101").await;
    let text = MessageText::parse("Hi!").unwrap();
    let out = send::send_in_conversation(&db, &provider, t.actor(), inbound, &text, None).await.unwrap();
    assert_eq!(assignee(&out).await, None);
    // ...and New chat to its number takes it, since nobody has it.
    let again = t.send(&db, &provider, "+14155550101", "About your order").await;
    assert_eq!(assignee(&again).await, Some(t.agent.id.0));

    // Someone else's chat stays theirs.
    let colleague = Tenant::colleague(&db, &t).await;
    let theirs = t.send(&db, &provider, "+14155550102", "first").await;
    let id = ConversationId(theirs.conversation_id);
    conversations::assign_conversation(&db, t.company, id, Some(colleague), None).await.unwrap();
    let out = t.send(&db, &provider, "+14155550102", "second").await;
    assert_eq!(assignee(&out).await, Some(colleague.0));

    // An API send without a user (none today) would assign nobody: the rule
    // is the actor's, not the endpoint's.
    let anonymous = Actor { company_id: t.company, user_id: None };
    let out = send::send_new_message(&db, &provider, anonymous, &new_message("+14155550103", "hi")).await.unwrap();
    assert_eq!(assignee(&out).await, None);
}

async fn common_inbound(t: &Tenant, db: &PgPool, wa_id: &str) -> ConversationId {
    let m = inbound_text(wa_id, &format!("wamid.{wa_id}"), "Hello?", None);
    match inbox_domain::inbound::record_inbound_message(db, t.company, &m).await.unwrap() {
        inbox_domain::inbound::InboundOutcome::Recorded { conversation_id, .. } => conversation_id,
        other => panic!("{other:?}"),
    }
}
