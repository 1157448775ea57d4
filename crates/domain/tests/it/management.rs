//! Plan 10.2 conversation management: read, assign, clear, delete,
//! archive, favorite; each one also refuses another company's conversation.

use inbox_domain::conversations;
use inbox_domain::messages;
use inbox_domain::provider::ScriptedProvider;
use inbox_domain::users::{self, NewUser, Password, Role};
use inbox_types::dto::ConversationListParams;
use inbox_types::{ConversationId, ErrorCode, UserId};
use sqlx::PgPool;

use crate::common::*;

async fn one_conversation(db: &PgPool, t: &Tenant) -> ConversationId {
    let provider = ScriptedProvider::accepting();
    t.send(db, &provider, "+14155550100", "one").await;
    ConversationId(t.send(db, &provider, "+14155550100", "two").await.conversation_id)
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn mark_conversation_as_read_sets_unread_count_to_zero(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    sqlx::query("UPDATE conversations SET unread_count = 4 WHERE id = $1").bind(conv.0).execute(&db).await.unwrap();
    conversations::mark_conversation_read(&db, t.company, conv, Some(t.agent.id)).await.unwrap();
    assert_eq!(conversations::get_conversation(&db, t.company, conv).await.unwrap().unread_count, 0);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn assign_conversation_to_user_updates_the_assignee_and_null_unassigns(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    conversations::assign_conversation(&db, t.company, conv, Some(t.agent.id), None).await.unwrap();
    let dto = conversations::get_conversation(&db, t.company, conv).await.unwrap();
    assert_eq!(dto.assigned_to_user_id, Some(t.agent.id.0));
    conversations::assign_conversation(&db, t.company, conv, None, None).await.unwrap();
    assert_eq!(conversations::get_conversation(&db, t.company, conv).await.unwrap().assigned_to_user_id, None);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn assigning_to_a_user_of_another_company_or_an_inactive_user_is_not_found(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let conv = one_conversation(&db, &a).await;
    let e = conversations::assign_conversation(&db, a.company, conv, Some(b.agent.id), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.to_string(), "user not found");

    let gone = users::create(
        &db,
        a.company,
        NewUser {
            email: "gone@acme.test",
            display_name: "Gone",
            password: Password::new("password-123").unwrap(),
            role: Role::Agent,
        },
    )
    .await
    .unwrap();
    sqlx::query("UPDATE users SET is_active = false WHERE id = $1").bind(gone.id.0).execute(&db).await.unwrap();
    let e = conversations::assign_conversation(&db, a.company, conv, Some(gone.id), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = conversations::assign_conversation(&db, a.company, conv, Some(UserId::new()), None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    // Still the agent who started it.
    let kept = conversations::get_conversation(&db, a.company, conv).await.unwrap().assigned_to_user_id;
    assert_eq!(kept, Some(a.agent.id.0));
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn clear_conversation_soft_deletes_all_its_messages(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    conversations::clear_conversation(&db, t.company, conv, None).await.unwrap();
    let page = messages::get_conversation_messages(&db, t.company, conv, &Default::default()).await.unwrap();
    assert!(page.messages.is_empty());
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE conversation_id = $1 AND NOT is_active")
        .bind(conv.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(kept, 2, "soft-deleted, not removed");
    let dto = conversations::get_conversation(&db, t.company, conv).await.unwrap();
    assert_eq!((dto.last_message_id, dto.last_message_preview, dto.unread_count), (None, None, 0));
    let list = conversations::list_conversations(&db, t.company, &ConversationListParams::default()).await.unwrap();
    assert_eq!(list.conversations.len(), 1, "a cleared chat stays in the list");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn delete_conversation_soft_deletes_it_and_its_messages(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    conversations::delete_conversation(&db, t.company, conv, None).await.unwrap();
    assert_eq!(conversations::get_conversation(&db, t.company, conv).await.unwrap_err().code(), ErrorCode::NotFound);
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE conversation_id = $1 AND is_active")
        .bind(conv.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(active, 0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations WHERE id = $1")
        .bind(conv.0)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(rows, 1, "soft-deleted, not removed");
    let e = conversations::delete_conversation(&db, t.company, conv, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "deleting twice finds nothing the second time");
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn archive_and_unarchive_toggle_is_archived(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    conversations::set_archived(&db, t.company, conv, true, None).await.unwrap();
    assert!(conversations::get_conversation(&db, t.company, conv).await.unwrap().is_archived);
    conversations::set_archived(&db, t.company, conv, false, None).await.unwrap();
    assert!(!conversations::get_conversation(&db, t.company, conv).await.unwrap().is_archived);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn favorite_and_unfavorite_toggle_is_favorite(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let conv = one_conversation(&db, &t).await;
    conversations::set_favorite(&db, t.company, conv, true, None).await.unwrap();
    assert!(conversations::get_conversation(&db, t.company, conv).await.unwrap().is_favorite);
    conversations::set_favorite(&db, t.company, conv, false, None).await.unwrap();
    assert!(!conversations::get_conversation(&db, t.company, conv).await.unwrap().is_favorite);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn no_management_action_touches_another_companys_conversation(db: PgPool) {
    let a = Tenant::new(&db, "Acme").await;
    let b = Tenant::new(&db, "Globex").await;
    let theirs = one_conversation(&db, &b).await;
    sqlx::query("UPDATE conversations SET unread_count = 2 WHERE id = $1").bind(theirs.0).execute(&db).await.unwrap();
    let before = conversations::get_conversation(&db, b.company, theirs).await.unwrap();

    let c = a.company;
    let results = [
        conversations::mark_conversation_read(&db, c, theirs, None).await,
        conversations::assign_conversation(&db, c, theirs, None, None).await,
        conversations::clear_conversation(&db, c, theirs, None).await,
        conversations::delete_conversation(&db, c, theirs, None).await,
        conversations::set_archived(&db, c, theirs, true, None).await,
        conversations::set_favorite(&db, c, theirs, true, None).await,
    ];
    for r in results {
        assert_eq!(r.unwrap_err().code(), ErrorCode::NotFound);
    }
    let after = conversations::get_conversation(&db, b.company, theirs).await.unwrap();
    assert_eq!(after, before, "nothing of the other company changed");
    let page = messages::get_conversation_messages(&db, b.company, theirs, &Default::default()).await.unwrap();
    assert_eq!(page.messages.len(), 2);
}

#[sqlx::test(migrator = "inbox_domain::MIGRATOR")]
async fn unknown_conversation_ids_are_not_found(db: PgPool) {
    let t = Tenant::new(&db, "Acme").await;
    let id = ConversationId::new();
    assert_eq!(
        conversations::mark_conversation_read(&db, t.company, id, None).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        conversations::set_archived(&db, t.company, id, true, None).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        conversations::clear_conversation(&db, t.company, id, None).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}
