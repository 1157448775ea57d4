//! One contact per WhatsApp account over time: backfilling the equivalence
//! key of contacts made before keys existed, reporting the duplicates such
//! contacts may be, and merging them when an admin asks.

use inbox_domain::contacts::{self, Ensured, Identity};
use inbox_domain::conversations::{self, LastMessage};
use inbox_domain::identities::{self, DuplicateGroup};
use inbox_domain::inbound::{self, InboundMessage, InboundOutcome};
use inbox_domain::messages::{self, NewMessage};
use inbox_types::{
    CompanyId, ContactId, ConversationId, ErrorCode, MessageContent, MessageDirection, MessageId, MessageStatus, WaId,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::*;

/// Mexico's two forms of one mobile: what agents typed before 2019 and what
/// WhatsApp still delivers.
const MX_TYPED: &str = "+525512345678";
const MX_WHATSAPP: &str = "+5215512345678";
const MX_KEY: &str = "525512345678";

/// A contact as it was before keys existed: a number and nothing else,
/// made `days_ago` days ago. The id is given so a test can make the older
/// contact's id sort after the newer one's (ids of old rows need not follow
/// their age), proving that age, not id order, decides which one is kept.
async fn old_contact(db: &PgPool, company: CompanyId, id: u128, phone: &str, days_ago: i32) -> ContactId {
    let id = Uuid::from_u128(id);
    sqlx::query(
        "INSERT INTO contacts (id, company_id, phone, created_at) VALUES ($1, $2, $3, now() - make_interval(days => $4))",
    )
    .bind(id)
    .bind(company.0)
    .bind(phone)
    .bind(days_ago)
    .execute(db)
    .await
    .unwrap();
    ContactId(id)
}

async fn key_of(db: &PgPool, contact: ContactId) -> Option<String> {
    sqlx::query_scalar("SELECT wa_key FROM contacts WHERE id = $1").bind(contact.0).fetch_one(db).await.unwrap()
}

async fn is_active(db: &PgPool, table: &'static str, id: Uuid) -> bool {
    let sql = match table {
        "contacts" => "SELECT is_active FROM contacts WHERE id = $1",
        "conversations" => "SELECT is_active FROM conversations WHERE id = $1",
        _ => unreachable!(),
    };
    sqlx::query_scalar(sql).bind(id).fetch_one(db).await.unwrap()
}

/// A customer's message recorded on this very contact, as inbound messages
/// reached each of two duplicates before keys existed (today
/// `record_inbound_message` matches by key and would pick the key holder).
/// The same steps as `inbound::record_inbound_message_in`.
async fn received(db: &PgPool, company: CompanyId, contact: ContactId, wamid: &str, text: &str) -> ConversationId {
    let mut tx = db.begin().await.unwrap();
    let id = MessageId::new();
    let last = LastMessage { id, preview: text, unread_increment: 1 };
    let (conv, _) = conversations::upsert(&mut tx, company, contact, None, Some(last), None).await.unwrap();
    let new = NewMessage {
        id,
        company_id: company,
        conversation_id: ConversationId(conv.id),
        contact_id: contact,
        channel_id: None,
        direction: MessageDirection::Inbound,
        status: MessageStatus::Delivered,
        content: MessageContent::text(text),
        reply_to: None,
        provider_message_id: Some(wamid),
        client_key: None,
        created_by: None,
        created_at: Some(conv.last_message_time),
    };
    messages::insert(&mut *tx, &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    ConversationId(conv.id)
}

async fn messages_in(db: &PgPool, conv: ConversationId, contact: ContactId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM messages WHERE conversation_id = $1 AND contact_id = $2")
        .bind(conv.0)
        .bind(contact.0)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Every row of the tables a merge writes, as text (updated_at included),
/// to show that a refused merge wrote nothing.
async fn snapshot(db: &PgPool) -> Vec<Option<String>> {
    let mut all = Vec::new();
    for sql in [
        "SELECT string_agg(c::text, '|' ORDER BY id) FROM contacts c",
        "SELECT string_agg(c::text, '|' ORDER BY id) FROM conversations c",
        "SELECT string_agg(m::text, '|' ORDER BY id) FROM messages m",
    ] {
        all.push(sqlx::query_scalar(sql).fetch_one(db).await.unwrap());
    }
    all
}

fn inbound_from(wa_id: &str, wamid: &str, text: &str) -> InboundMessage {
    inbound_text(wa_id, wamid, text, None)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn backfill_gives_contacts_made_before_keys_the_key_of_their_whatsapp_account(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let mexico = old_contact(&db, t.company, 1, MX_WHATSAPP, 3).await;
    let brazil = old_contact(&db, t.company, 2, "+5511987654321", 2).await;
    let usa = old_contact(&db, t.company, 3, "+14155550100", 1).await;

    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 3);
    // Each equivalent form maps to one key: Mexico without the mobile "1",
    // Brazil without the ninth digit; other numbers are their own key.
    assert_eq!(key_of(&db, mexico).await.as_deref(), Some(MX_KEY));
    assert_eq!(key_of(&db, brazil).await.as_deref(), Some("551187654321"));
    assert_eq!(key_of(&db, usa).await.as_deref(), Some("14155550100"));
    // Run at every server start: a second run finds nothing to write.
    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn backfill_gives_the_key_of_two_contacts_of_one_account_to_the_older_only(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    // The older contact's id sorts after the newer's on purpose.
    let older = old_contact(&db, t.company, u128::MAX, MX_TYPED, 30).await;
    let newer = old_contact(&db, t.company, 1, MX_WHATSAPP, 1).await;

    // The key is unique per company: one of the two keeps none, to be
    // reported as a duplicate. The older is the one an admin keeps, and the
    // one inbound messages should reach until then.
    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 1);
    assert_eq!(key_of(&db, older).await.as_deref(), Some(MX_KEY));
    assert_eq!(key_of(&db, newer).await, None);

    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 0, "a second run writes nothing");
    assert_eq!(key_of(&db, older).await.as_deref(), Some(MX_KEY));
    assert_eq!(key_of(&db, newer).await, None);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn backfill_gives_the_same_number_in_another_company_its_own_key(db: PgPool) {
    let acme = Tenant::new(&db, "Acme").await;
    let globex = Tenant::new(&db, "Globex").await;
    let a = old_contact(&db, acme.company, 1, MX_WHATSAPP, 2).await;
    let g = old_contact(&db, globex.company, 2, MX_WHATSAPP, 1).await;

    // Keys are unique per company, not across companies.
    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 2);
    assert_eq!(key_of(&db, a).await.as_deref(), Some(MX_KEY));
    assert_eq!(key_of(&db, g).await.as_deref(), Some(MX_KEY));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn duplicates_reports_two_contacts_of_one_account_oldest_first_and_nothing_else(db: PgPool) {
    let acme = Tenant::new(&db, "Acme").await;
    let globex = Tenant::new(&db, "Globex").await;
    let newer = old_contact(&db, acme.company, 1, MX_WHATSAPP, 1).await;
    let older = old_contact(&db, acme.company, 2, MX_TYPED, 30).await;
    // Not duplicates: another number of the same length, and the same
    // number in another company.
    old_contact(&db, acme.company, 3, "+525512345679", 20).await;
    old_contact(&db, globex.company, 4, MX_TYPED, 10).await;
    identities::backfill_keys(&db).await.unwrap();

    let groups = identities::duplicates(&db).await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let DuplicateGroup { company_id, key, contacts } = &groups[0];
    assert_eq!(*company_id, acme.company);
    assert_eq!(key, MX_KEY);
    let ids: Vec<_> = contacts.iter().map(|c| ContactId(c.id)).collect();
    assert_eq!(ids, [older, newer], "the first is the one to keep");
    assert_eq!(contacts[0].phone.as_deref(), Some(MX_TYPED));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn duplicates_is_empty_for_distinct_numbers_and_for_one_number_in_two_companies(db: PgPool) {
    let acme = Tenant::new(&db, "Acme").await;
    let globex = Tenant::new(&db, "Globex").await;
    old_contact(&db, acme.company, 1, MX_TYPED, 2).await;
    old_contact(&db, acme.company, 2, "+14155550100", 2).await;
    old_contact(&db, globex.company, 3, MX_WHATSAPP, 1).await;
    identities::backfill_keys(&db).await.unwrap();
    assert_eq!(identities::duplicates(&db).await.unwrap(), []);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn merging_moves_the_duplicates_messages_and_unread_into_the_kept_conversation(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let keep = old_contact(&db, t.company, u128::MAX, MX_TYPED, 30).await;
    let dup = old_contact(&db, t.company, 1, MX_WHATSAPP, 1).await;
    identities::backfill_keys(&db).await.unwrap();
    let kept_conv = received(&db, t.company, keep, "wamid.K1", "old form 1").await;
    received(&db, t.company, keep, "wamid.K2", "old form 2").await;
    let dup_conv = received(&db, t.company, dup, "wamid.D1", "new form 1").await;
    received(&db, t.company, dup, "wamid.D2", "new form 2").await;
    received(&db, t.company, dup, "wamid.D3", "new form 3").await;

    let merged = identities::merge(&db, t.company, keep, dup, false).await.unwrap();
    assert_eq!(merged.messages_moved, 3);

    // All five messages are the kept contact's, in its conversation.
    assert_eq!(messages_in(&db, kept_conv, keep).await, 5);
    assert_eq!(count(&db, "SELECT count(*) FROM messages WHERE company_id = $1", t.company).await, 5);
    let kept = conversations::get_conversation(&db, t.company, kept_conv).await.unwrap();
    assert_eq!(kept.unread_count, 5, "2 unread + 3 unread");
    // The duplicate's messages were the newer: the list shows its last one.
    assert_eq!(kept.last_message_preview.as_deref(), Some("new form 3"));
    assert!(!is_active(&db, "conversations", dup_conv.0).await, "the duplicate's conversation is closed");
    assert!(!is_active(&db, "contacts", dup.0).await, "the duplicate is deactivated");
    assert!(is_active(&db, "contacts", keep.0).await);
    assert_eq!(key_of(&db, keep).await.as_deref(), Some(MX_KEY));
    assert_eq!(key_of(&db, dup).await, None);
    assert_eq!(identities::duplicates(&db).await.unwrap(), []);
    // The merged duplicate has no key and must not take one back at the
    // next server start.
    assert_eq!(identities::backfill_keys(&db).await.unwrap(), 0);
    assert_eq!(key_of(&db, dup).await, None);

    // The customer writing again in WhatsApp's form reaches the kept
    // conversation.
    let out =
        inbound::record_inbound_message(&db, t.company, &inbound_from(MX_WHATSAPP, "wamid.N", "after")).await.unwrap();
    let InboundOutcome::Recorded { conversation_id, created_contact, .. } = out else { panic!("{out:?}") };
    assert_eq!(conversation_id, kept_conv);
    assert!(!created_contact);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn merging_into_a_contact_without_a_conversation_hands_it_the_duplicates(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let keep = old_contact(&db, t.company, 2, MX_TYPED, 30).await;
    let dup = old_contact(&db, t.company, 1, MX_WHATSAPP, 1).await;
    identities::backfill_keys(&db).await.unwrap();
    let dup_conv = received(&db, t.company, dup, "wamid.D1", "only here").await;

    let merged = identities::merge(&db, t.company, keep, dup, false).await.unwrap();
    assert_eq!(merged.messages_moved, 1);
    let conv = conversations::get_conversation(&db, t.company, dup_conv).await.unwrap();
    assert_eq!(conv.contact.id, keep.0);
    assert_eq!(conv.unread_count, 1);
    assert_eq!(messages_in(&db, dup_conv, keep).await, 1);
    assert!(!is_active(&db, "contacts", dup.0).await);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn merging_takes_the_key_from_a_newer_duplicate_that_holds_it(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let keep = old_contact(&db, t.company, 2, MX_TYPED, 30).await;
    // The newer contact learned the key first (e.g. from a webhook before
    // the older one's was backfilled).
    let dup = ContactId(Uuid::from_u128(1));
    sqlx::query("INSERT INTO contacts (id, company_id, phone, wa_id, wa_key) VALUES ($1, $2, $3, $4, $5)")
        .bind(dup.0)
        .bind(t.company.0)
        .bind(MX_WHATSAPP)
        .bind(MX_WHATSAPP.trim_start_matches('+'))
        .bind(MX_KEY)
        .execute(&db)
        .await
        .unwrap();
    identities::backfill_keys(&db).await.unwrap();
    assert_eq!(key_of(&db, keep).await, None);

    identities::merge(&db, t.company, keep, dup, false).await.unwrap();
    assert_eq!(key_of(&db, keep).await.as_deref(), Some(MX_KEY));
    let wa_id: Option<String> =
        sqlx::query_scalar("SELECT wa_id FROM contacts WHERE id = $1").bind(keep.0).fetch_one(&db).await.unwrap();
    assert_eq!(wa_id.as_deref(), Some("5215512345678"), "replies go to the form WhatsApp uses");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn a_contact_cannot_be_merged_into_itself(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let c = old_contact(&db, t.company, 1, MX_TYPED, 1).await;
    received(&db, t.company, c, "wamid.1", "hi").await;
    let before = snapshot(&db).await;
    let e = identities::merge(&db, t.company, c, c, false).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
    assert_eq!(snapshot(&db).await, before);
    assert!(is_active(&db, "contacts", c.0).await);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn merging_with_another_companys_contact_is_not_found_and_changes_nothing(db: PgPool) {
    let acme = Tenant::new(&db, "Acme").await;
    let globex = Tenant::new(&db, "Globex").await;
    let a = old_contact(&db, acme.company, 1, MX_TYPED, 2).await;
    let g = old_contact(&db, globex.company, 2, MX_WHATSAPP, 1).await;
    identities::backfill_keys(&db).await.unwrap();
    received(&db, acme.company, a, "wamid.A", "to acme").await;
    received(&db, globex.company, g, "wamid.G", "to globex").await;
    let before = snapshot(&db).await;

    // Either way round, and whichever company asks: another company's
    // contact is as good as absent.
    for (company, keep, dup) in [(acme.company, a, g), (acme.company, g, a), (globex.company, a, g)] {
        let e = identities::merge(&db, company, keep, dup, false).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
    }
    assert_eq!(snapshot(&db).await, before);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn after_backfill_whatsapps_other_form_of_a_number_finds_the_old_contact(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let old = old_contact(&db, t.company, 1, MX_TYPED, 30).await;
    identities::backfill_keys(&db).await.unwrap();

    // WhatsApp delivers the number with Mexico's mobile "1": one customer,
    // one contact, however the number is written.
    let who = Identity { wa_id: Some(WaId::parse("5215512345678").unwrap()), ..Default::default() };
    let mut conn = db.acquire().await.unwrap();
    let (contact, ensured) = contacts::ensure(&mut conn, t.company, &who, None, None).await.unwrap();
    assert_eq!(ensured, Ensured::Found);
    assert_eq!(contact.id, old);
    assert_eq!(contact.phone.as_deref(), Some(MX_TYPED));
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE company_id = $1", t.company).await, 1);
}
