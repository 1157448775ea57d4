//! Messages from customers: recordInboundMessage.

use inbox_domain::conversations;
use inbox_domain::inbound::{self, InboundMessage, InboundOutcome};
use inbox_domain::provider::ScriptedProvider;
use inbox_types::dto::ConversationListParams;
use inbox_types::{ConversationId, MessageDirection, MessageStatus};
use sqlx::PgPool;

use crate::common::*;

fn inbound_from(wa_id: &str, wamid: &str, text: &str) -> InboundMessage {
    inbound_text(wa_id, wamid, text, Some("Maria Lopez"))
}

fn recorded(o: InboundOutcome) -> (inbox_types::dto::MessageDto, ConversationId, bool, bool) {
    match o {
        InboundOutcome::Recorded { message, conversation_id, created_contact, created_conversation } => {
            (*message, conversation_id, created_contact, created_conversation)
        }
        InboundOutcome::Duplicate(id) => panic!("unexpected duplicate {id}"),
    }
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_first_inbound_message_creates_the_contact_with_its_profile_name_and_the_conversation(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let out = inbound::record_inbound_message(&db, t.company, &inbound_from("+34612345678", "wamid.IN1", "Hola"))
        .await
        .unwrap();
    let (message, conv, created_contact, created_conversation) = recorded(out);
    assert!(created_contact && created_conversation);
    assert_eq!(message.direction, MessageDirection::Inbound);
    assert_eq!(message.status, MessageStatus::Delivered);
    assert_eq!(message.provider_message_id.as_deref(), Some("wamid.IN1"));
    let dto = conversations::get_conversation(&db, t.company, conv).await.unwrap();
    assert_eq!(dto.contact.name.as_deref(), Some("Maria Lopez"));
    assert_eq!(dto.unread_count, 1);
    assert_eq!(dto.last_message_preview.as_deref(), Some("Hola"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn inbound_messages_add_to_unread_and_move_the_conversation_to_the_top(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let maria = t.send(&db, &provider, "+34612345678", "hi maria").await;
    let other = t.send(&db, &provider, "+14155550100", "hi other").await;
    for (i, wamid) in ["wamid.A", "wamid.B"].iter().enumerate() {
        inbound::record_inbound_message(&db, t.company, &inbound_from("+34612345678", wamid, &format!("reply {i}")))
            .await
            .unwrap();
    }
    let list = conversations::list_conversations(&db, t.company, &ConversationListParams::default()).await.unwrap();
    let ids: Vec<_> = list.conversations.iter().map(|c| c.id).collect();
    assert_eq!(ids, [maria.conversation_id, other.conversation_id]);
    assert_eq!(list.conversations[0].unread_count, 2);
    assert_eq!(list.conversations[0].last_message_direction, Some(MessageDirection::Inbound));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_same_inbound_message_delivered_twice_is_recorded_once(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let m = inbound_from("+34612345678", "wamid.DUP", "once");
    let (first, conv, _, _) = recorded(inbound::record_inbound_message(&db, t.company, &m).await.unwrap());
    let again = inbound::record_inbound_message(&db, t.company, &m).await.unwrap();
    assert_eq!(again, InboundOutcome::Duplicate(inbox_types::MessageId(first.id)));
    assert_eq!(conversations::get_conversation(&db, t.company, conv).await.unwrap().unread_count, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE company_id = $1", t.company).await, 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn an_archived_conversation_stays_archived_when_a_message_arrives(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (_, conv, _, _) = recorded(
        inbound::record_inbound_message(&db, t.company, &inbound_from("+34612345678", "wamid.1", "a")).await.unwrap(),
    );
    conversations::set_archived(&db, t.company, conv, true, None).await.unwrap();
    inbound::record_inbound_message(&db, t.company, &inbound_from("+34612345678", "wamid.2", "b")).await.unwrap();
    let dto = conversations::get_conversation(&db, t.company, conv).await.unwrap();
    assert!(dto.is_archived);
    assert_eq!(dto.unread_count, 2);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn the_same_provider_id_in_two_companies_is_two_messages(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let m = inbound_from("+34612345678", "wamid.SAME", "x");
    recorded(inbound::record_inbound_message(&db, a.company, &m).await.unwrap());
    recorded(inbound::record_inbound_message(&db, b.company, &m).await.unwrap());
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn marking_read_marks_the_customers_messages_read(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (message, conv, _, _) = recorded(
        inbound::record_inbound_message(&db, t.company, &inbound_from("+34612345678", "wamid.R", "read me"))
            .await
            .unwrap(),
    );
    conversations::mark_conversation_read(&db, t.company, conv, None).await.unwrap();
    let m = inbox_domain::messages::find(&db, t.company, inbox_types::MessageId(message.id)).await.unwrap();
    assert_eq!(m.status, MessageStatus::Read);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn wa_ids_at_the_edges_of_their_shape_are_recorded_with_a_contact(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    // The shortest and longest wa_id, and one starting with 0 (not E.164:
    // kept as the wa_id, with no number to show).
    for (wa_id, phone) in
        [("123456", Some("+123456")), ("123456789012345", Some("+123456789012345")), ("012345678", None)]
    {
        let m = inbound_from(wa_id, &format!("wamid.edge.{wa_id}"), "hi");
        let out = inbound::record_inbound_message(&db, t.company, &m).await.unwrap();
        let (message, _, created_contact, _) = recorded(out);
        assert!(created_contact, "{wa_id}");
        let stored: (Option<String>, Option<String>) =
            sqlx::query_as("SELECT phone, wa_id FROM contacts WHERE id = $1")
                .bind(message.contact_id)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(stored, (phone.map(str::to_owned), Some(wa_id.to_owned())), "{wa_id}");
    }
}
