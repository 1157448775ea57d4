//! Plan 10.1: ensureContact, ensureConversation.

use inbox_domain::contacts::{self, Ensured};
use inbox_domain::conversations;
use inbox_domain::provider::ScriptedProvider;
use inbox_domain::{DomainError, send};
use inbox_types::{ContactId, ConversationId, E164Phone, ErrorCode};
use sqlx::PgPool;

use crate::common::*;

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_creates_a_new_contact_if_not_exists(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (contact, ensured) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    assert_eq!(ensured, Ensured::Created);
    assert_eq!(contact.phone.as_deref(), Some("+14155550100"));
    assert_eq!(contact.company_id, t.company);
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await, 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_returns_the_existing_contact_if_exists(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (first, _) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    let (again, ensured) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    assert_eq!(ensured, Ensured::Found);
    assert_eq!(again.id, first.id);
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await, 1);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_normalizes_the_phone_number(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (a, _) = contacts::ensure_contact(&db, t.company, &phone_of("+1 (415) 555-0100"), None).await.unwrap();
    let (b, ensured) = contacts::ensure_contact(&db, t.company, &phone_of("001-415-555-0100"), None).await.unwrap();
    assert_eq!(a.phone.as_deref(), Some("+14155550100"));
    assert_eq!(ensured, Ensured::Found, "two spellings of one number are one contact");
    assert_eq!(a.id, b.id);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_fails_on_invalid_phone_format_and_stores_nothing(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    for bad in ["abc", "+1 415", "+999 1234 5678", "0151 2345678"] {
        let e = E164Phone::parse(bad).unwrap_err();
        assert_eq!(DomainError::from(e).code(), ErrorCode::ValidationError, "{bad}");
    }
    // The database refuses a non-E.164 number too, whatever the caller did.
    let raw = sqlx::query("INSERT INTO contacts (id, company_id, phone) VALUES (gen_random_uuid(), $1, '4155550100')")
        .bind(t.company.0)
        .execute(&db)
        .await;
    assert!(raw.is_err());
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_fails_on_db_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    break_writes_to(&db, "contacts", false).await;
    let e = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ContactCreateFailed);
    assert!(!e.is_client_facing(), "the database's message is not shown to clients");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_fills_in_a_missing_name_but_keeps_an_existing_one(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let p = phone_of("+14155550100");
    contacts::ensure_contact(&db, t.company, &p, None).await.unwrap();
    let (c, _) = contacts::ensure_contact(&db, t.company, &p, Some("Maria")).await.unwrap();
    assert_eq!(c.name.as_deref(), Some("Maria"));
    let (c, _) = contacts::ensure_contact(&db, t.company, &p, Some("Someone Else")).await.unwrap();
    assert_eq!(c.name.as_deref(), Some("Maria"));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_contact_of_one_company_never_returns_another_companys_contact(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let p = phone_of("+14155550100");
    let (ca, _) = contacts::ensure_contact(&db, a.company, &p, None).await.unwrap();
    let (cb, ensured) = contacts::ensure_contact(&db, b.company, &p, None).await.unwrap();
    assert_eq!(ensured, Ensured::Created);
    assert_ne!(ca.id, cb.id);
    assert_eq!(cb.company_id, b.company);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_conversation_creates_a_new_conversation_if_not_exists(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (contact, _) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    let (conv, ensured) = conversations::ensure_conversation(&db, t.company, contact.id).await.unwrap();
    assert_eq!(ensured, Ensured::Created);
    assert_eq!(conv.contact_id, contact.id.0);
    assert_eq!(conv.unread_count, 0);
    assert!(!conv.is_archived);
    assert!(conv.is_active);
    assert_eq!(conv.last_message_id, None);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_conversation_returns_the_existing_conversation_if_exists(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (contact, _) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    let (first, _) = conversations::ensure_conversation(&db, t.company, contact.id).await.unwrap();
    let (again, ensured) = conversations::ensure_conversation(&db, t.company, contact.id).await.unwrap();
    assert_eq!(ensured, Ensured::Found);
    assert_eq!(again.id, first.id);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_conversation_fails_on_db_error(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let (contact, _) = contacts::ensure_contact(&db, t.company, &phone_of("+14155550100"), None).await.unwrap();
    break_writes_to(&db, "conversations", true).await;
    let e = conversations::ensure_conversation(&db, t.company, contact.id).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConversationCreateFailed);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn ensure_conversation_with_another_companys_contact_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let (contact_b, _) = contacts::ensure_contact(&db, b.company, &phone_of("+14155550100"), None).await.unwrap();
    let e = conversations::ensure_conversation(&db, a.company, contact_b.id).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = conversations::ensure_conversation(&db, a.company, ContactId::new()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_deleted_conversation_comes_back_new_and_empty(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let provider = ScriptedProvider::accepting();
    let sent = t.send(&db, &provider, "+14155550100", "before delete").await;
    let conv = ConversationId(sent.conversation_id);
    conversations::set_favorite(&db, t.company, conv, true, None).await.unwrap();
    conversations::delete_conversation(&db, t.company, conv, None).await.unwrap();

    let again =
        send::send_new_message(&db, &provider, t.actor(), &new_message("+14155550100", "after delete")).await.unwrap();
    assert!(again.created_conversation, "the deleted conversation counts as a new one");
    assert!(!again.created_contact);
    let dto = conversations::get_conversation(&db, t.company, ConversationId(again.conversation_id)).await.unwrap();
    assert!(!dto.is_favorite, "flags start fresh");
    assert_eq!(dto.last_message_preview.as_deref(), Some("after delete"));
    let page = inbox_domain::messages::get_conversation_messages(
        &db,
        t.company,
        ConversationId(again.conversation_id),
        &Default::default(),
    )
    .await
    .unwrap();
    let texts: Vec<_> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["after delete"], "old messages stay hidden");
}
