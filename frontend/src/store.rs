//! The app's state and every read and write it makes. Reads fill signals with
//! an explicit load state; writes change the view at once (optimistic) and
//! roll back with a toast when the server refuses (plan 8.3).
//!
//! A store rather than one resource per read: live updates (server-sent events)
//! and optimistic writes both need to fold answers into what is shown.

use std::collections::HashMap;
use std::time::Duration;

use inbox_types::dto::{ConversationDto, MeResponse, MessageDto, SendNewMessageOutput, UserDto};
use inbox_types::{ConversationFilter, ErrorCode, MessageDirection, MessageStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::{self, ApiError, Change, ListQuery};
use crate::format;
use crate::merge::{self, LocalSend, UiMessage};
use crate::prefs::{self, View};

pub const PAGE: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    Connecting,
    Open,
    /// The stream dropped; the browser is reconnecting.
    Reconnecting,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    Checking,
    SignedOut,
    SignedIn(Box<MeResponse>),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Load {
    #[default]
    Loading,
    Ready,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListState {
    pub items: Vec<ConversationDto>,
    pub load: Load,
    pub next_cursor: Option<String>,
    pub has_more: bool,
    pub loading_more: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    pub id: Option<Uuid>,
    pub conversation: Option<ConversationDto>,
    pub messages: Vec<UiMessage>,
    pub load: Load,
    pub previous_cursor: Option<String>,
    pub has_more: bool,
    pub loading_older: bool,
    pub sends_in_flight: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Info,
    Warning,
    Error,
}

#[derive(Clone)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub text: String,
    pub action: Option<(String, Callback<()>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modal {
    NewChat,
    Assign,
    ConfirmClear,
    ConfirmDelete,
}

#[derive(Clone, Copy)]
pub struct Store {
    pub session: RwSignal<Session>,
    pub users: RwSignal<Vec<UserDto>>,
    pub filter: RwSignal<ConversationFilter>,
    /// The search term in force (the box is debounced into it).
    pub search: RwSignal<String>,
    pub archived_view: RwSignal<bool>,
    pub selected: RwSignal<Option<Uuid>>,
    pub list: RwSignal<ListState>,
    /// Archived conversations: how many (up to 100) and whether there are more.
    pub archived_count: RwSignal<(usize, bool)>,
    pub chat: RwSignal<ChatState>,
    pub toasts: RwSignal<Vec<Toast>>,
    pub modal: RwSignal<Option<Modal>>,
    /// Asks the sidebar to focus its search box (Ctrl+Alt+/).
    pub focus_search: RwSignal<u32>,
    drafts: StoredValue<HashMap<Uuid, String>>,
    /// Messages only this tab holds (being sent, or a send whose answer
    /// never came), per conversation: they survive switching chats and
    /// refetches until the server has them.
    outbox: StoredValue<HashMap<Uuid, Vec<UiMessage>>>,
    /// Bumped on each change of the list's query, so late answers to an old
    /// query are dropped.
    list_gen: StoredValue<u64>,
    chat_gen: StoredValue<u64>,
    /// Writes in flight: refetches wait, so they never undo an optimistic change.
    writes: StoredValue<u32>,
    /// What the next refetch covers (list, open chat), whether one is
    /// scheduled, and whether one is running.
    dirty: StoredValue<(bool, bool)>,
    refresh_pending: StoredValue<bool>,
    refreshing: StoredValue<bool>,
    /// The realtime stream's state, for the "reconnecting" banner.
    pub live: RwSignal<Live>,
    next_toast: StoredValue<u64>,
}

impl Store {
    pub fn new() -> Self {
        let view = prefs::initial();
        Store {
            session: RwSignal::new(Session::Checking),
            users: RwSignal::new(Vec::new()),
            filter: RwSignal::new(view.filter),
            search: RwSignal::new(String::new()),
            archived_view: RwSignal::new(view.archived),
            selected: RwSignal::new(view.selected),
            list: RwSignal::new(ListState::default()),
            archived_count: RwSignal::new((0, false)),
            chat: RwSignal::new(ChatState::default()),
            toasts: RwSignal::new(Vec::new()),
            modal: RwSignal::new(None),
            focus_search: RwSignal::new(0),
            drafts: StoredValue::new(HashMap::new()),
            outbox: StoredValue::new(HashMap::new()),
            list_gen: StoredValue::new(0),
            chat_gen: StoredValue::new(0),
            writes: StoredValue::new(0),
            dirty: StoredValue::new((false, false)),
            refresh_pending: StoredValue::new(false),
            refreshing: StoredValue::new(false),
            live: RwSignal::new(Live::Connecting),
            next_toast: StoredValue::new(0),
        }
    }

    pub fn me(&self) -> Option<MeResponse> {
        match self.session.get() {
            Session::SignedIn(me) => Some(*me),
            _ => None,
        }
    }

    fn my_id(&self) -> Option<Uuid> {
        match &*self.session.read_untracked() {
            Session::SignedIn(me) => Some(me.user.id),
            _ => None,
        }
    }

    // ----- session -------------------------------------------------------

    pub fn check_session(self) {
        spawn_local(async move {
            match api::me().await {
                Ok(me) => self.signed_in(me),
                Err(e) if e.is_unauthorized() => self.session.set(Session::SignedOut),
                // The server is down: show the sign-in page with the reason.
                Err(e) => {
                    self.session.set(Session::SignedOut);
                    self.toast(ToastKind::Error, e.message());
                }
            }
        });
    }

    pub fn signed_in(self, me: MeResponse) {
        self.session.set(Session::SignedIn(Box::new(me)));
        self.reload_list();
        self.refresh_archived_count();
        if let Some(id) = self.selected.get_untracked() {
            self.open(id);
        }
        spawn_local(async move {
            if let Ok(out) = api::users().await {
                self.users.set(out.users);
            }
        });
    }

    /// Returns to the sign-in page if the session has ended.
    pub fn check_still_signed_in(self) {
        spawn_local(async move {
            if let Err(e) = api::me().await {
                self.expired(&e);
            }
        });
    }

    pub fn logout(self) {
        spawn_local(async move {
            match api::logout().await {
                Ok(()) => self.signed_out(),
                Err(e) => self.toast(ToastKind::Error, format!("Could not log out. {}", e.message())),
            }
        });
    }

    fn signed_out(self) {
        prefs::forget();
        self.outbox.set_value(HashMap::new());
        self.session.set(Session::SignedOut);
        self.list.set(ListState::default());
        self.chat.set(ChatState::default());
        self.selected.set(None);
        self.modal.set(None);
    }

    /// Every failed call goes through here: an expired session returns to
    /// the sign-in page instead of showing errors everywhere.
    fn expired(self, e: &ApiError) -> bool {
        if e.is_unauthorized() && matches!(*self.session.read_untracked(), Session::SignedIn(_)) {
            self.signed_out();
            self.toast(ToastKind::Info, "Your session ended. Please sign in again.");
            return true;
        }
        false
    }

    // ----- toasts --------------------------------------------------------

    pub fn toast(self, kind: ToastKind, text: impl Into<String>) {
        self.toast_with(kind, text, None);
    }

    pub fn toast_with(self, kind: ToastKind, text: impl Into<String>, action: Option<(String, Callback<()>)>) {
        let id = self.next_toast.get_value() + 1;
        self.next_toast.set_value(id);
        self.toasts.update(|t| {
            t.push(Toast { id, kind, text: text.into(), action });
            // Never a wall of toasts.
            if t.len() > 3 {
                t.remove(0);
            }
        });
        let ms = if matches!(kind, ToastKind::Error | ToastKind::Warning) { 7000 } else { 4000 };
        set_timeout(move || self.dismiss(id), Duration::from_millis(ms));
    }

    pub fn dismiss(self, id: u64) {
        self.toasts.update(|t| t.retain(|x| x.id != id));
    }

    // ----- view state ----------------------------------------------------

    fn view(&self) -> View {
        View {
            selected: self.selected.get_untracked(),
            filter: self.filter.get_untracked(),
            archived: self.archived_view.get_untracked(),
        }
    }

    /// Applies a view from the URL (back/forward buttons).
    pub fn apply_view(self, v: View) {
        let list_changed = v.filter != self.filter.get_untracked() || v.archived != self.archived_view.get_untracked();
        self.filter.set(v.filter);
        self.archived_view.set(v.archived);
        if list_changed {
            self.reload_list();
        }
        match v.selected {
            Some(id) if Some(id) != self.selected.get_untracked() => {
                self.selected.set(Some(id));
                self.open(id);
            }
            Some(_) => {}
            None => self.close_chat(),
        }
        prefs::save(self.view(), false);
    }

    pub fn set_filter(self, f: ConversationFilter) {
        self.set_list_query(self.filter, f, true);
    }

    pub fn set_search(self, term: String) {
        // The search term is not part of the recorded view.
        self.set_list_query(self.search, term, false);
    }

    pub fn show_archived(self, on: bool) {
        self.set_list_query(self.archived_view, on, true);
    }

    /// Changes one part of the list's query and reloads the list.
    fn set_list_query<T: PartialEq + Send + Sync + 'static>(self, part: RwSignal<T>, value: T, record: bool) {
        if part.with_untracked(|v| *v == value) {
            return;
        }
        part.set(value);
        if record {
            prefs::save(self.view(), true);
        }
        self.reload_list();
    }

    pub fn select(self, id: Uuid) {
        if self.selected.get_untracked() == Some(id) {
            // Already open: just make sure it is read.
            self.mark_read_if_unread(id);
            return;
        }
        self.selected.set(Some(id));
        prefs::save(self.view(), true);
        self.open(id);
    }

    /// Back to the list (the mobile back arrow, or a deleted chat).
    pub fn deselect(self) {
        self.close_chat();
        prefs::save(self.view(), true);
    }

    fn close_chat(self) {
        self.selected.set(None);
        self.chat.set(ChatState::default());
    }

    // ----- the sidebar -----------------------------------------------------

    fn query(&self, cursor: Option<String>) -> ListQuery {
        ListQuery {
            filter: self.filter.get_untracked().as_str(),
            search: self.search.get_untracked(),
            archived: self.archived_view.get_untracked(),
            cursor,
            limit: PAGE,
        }
    }

    fn bump_list_gen(&self) -> u64 {
        let g = self.list_gen.get_value() + 1;
        self.list_gen.set_value(g);
        g
    }

    pub fn reload_list(self) {
        let generation = self.bump_list_gen();
        self.list.update(|l| {
            l.load = Load::Loading;
            l.loading_more = false;
        });
        let q = self.query(None);
        spawn_local(async move {
            let res = api::conversations(&q).await;
            if self.list_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(mut page) => self.list.set(ListState {
                    items: {
                        self.overlay_outbox(&mut page.conversations);
                        page.conversations
                    },
                    load: Load::Ready,
                    next_cursor: page.next_cursor,
                    has_more: page.has_more,
                    loading_more: false,
                }),
                Err(e) => {
                    if !self.expired(&e) {
                        self.list.update(|l| l.load = Load::Failed(e.message()));
                    }
                }
            }
        });
    }

    /// The next page, when the agent scrolls near the end.
    pub fn load_more(self) {
        let (cursor, ready) = self
            .list
            .with_untracked(|l| (l.next_cursor.clone(), l.load == Load::Ready && l.has_more && !l.loading_more));
        let (Some(cursor), true) = (cursor, ready) else { return };
        let generation = self.list_gen.get_value();
        self.list.update(|l| l.loading_more = true);
        let q = self.query(Some(cursor));
        spawn_local(async move {
            let res = api::conversations(&q).await;
            if self.list_gen.get_value() != generation {
                return;
            }
            match res {
                Ok(mut page) => self.list.update(|l| {
                    self.overlay_outbox(&mut page.conversations);
                    let known: std::collections::HashSet<Uuid> = l.items.iter().map(|c| c.id).collect();
                    l.items.extend(page.conversations.into_iter().filter(|c| !known.contains(&c.id)));
                    l.next_cursor = page.next_cursor;
                    l.has_more = page.has_more;
                    l.loading_more = false;
                }),
                Err(e) => {
                    self.list.update(|l| l.loading_more = false);
                    if !self.expired(&e) {
                        self.toast(ToastKind::Error, format!("Could not load more chats. {}", e.message()));
                    }
                }
            }
        });
    }

    pub fn refresh_archived_count(self) {
        spawn_local(async move {
            let q = ListQuery { filter: "all", archived: true, limit: 100, ..ListQuery::default() };
            if let Ok(page) = api::conversations(&q).await {
                self.archived_count.set((page.conversations.len(), page.has_more));
            }
        });
    }

    /// Changes one conversation wherever it is shown (list row and chat).
    fn patch(self, id: Uuid, f: impl Fn(&mut ConversationDto)) {
        self.list.update(|l| {
            if let Some(c) = l.items.iter_mut().find(|c| c.id == id) {
                f(c);
            }
        });
        self.chat.update(|c| {
            if let Some(conv) = c.conversation.as_mut().filter(|conv| conv.id == id) {
                f(conv);
            }
        });
    }

    /// Puts the server's version of a conversation everywhere it is shown.
    fn replace(self, dto: ConversationDto) {
        let id = dto.id;
        self.patch(id, |c| *c = dto.clone());
    }

    /// Rows of chats with messages only this tab holds show the newest of
    /// them (a refetch knows nothing of them).
    fn overlay_outbox(&self, items: &mut [ConversationDto]) {
        self.outbox.with_value(|o| {
            for c in items.iter_mut() {
                if let Some(m) = o.get(&c.id).and_then(|l| l.last())
                    && m.dto.created_at >= c.last_message_time
                {
                    c.last_message_preview = Some(inbox_types::text::preview(&m.dto.content, 100));
                    c.last_message_time = m.dto.created_at;
                    c.last_message_direction = Some(MessageDirection::Outbound);
                    c.last_message_status = Some(m.dto.status);
                }
            }
        });
    }

    /// Moves a conversation to the top of the list (a message was just sent).
    fn to_top(self, id: Uuid) {
        self.list.update(|l| {
            if let Some(pos) = l.items.iter().position(|c| c.id == id) {
                let c = l.items.remove(pos);
                l.items.insert(0, c);
            }
        });
    }

    fn remove_row(self, id: Uuid) {
        self.list.update(|l| l.items.retain(|c| c.id != id));
    }

    fn conversation(&self, id: Uuid) -> Option<ConversationDto> {
        self.chat
            .with_untracked(|c| c.conversation.clone().filter(|c| c.id == id))
            .or_else(|| self.list.with_untracked(|l| l.items.iter().find(|c| c.id == id).cloned()))
    }

    // ----- the open chat ---------------------------------------------------

    fn bump_chat_gen(&self) -> u64 {
        let g = self.chat_gen.get_value() + 1;
        self.chat_gen.set_value(g);
        g
    }

    pub fn open(self, id: Uuid) {
        let generation = self.bump_chat_gen();
        let conversation = self.conversation(id);
        self.chat.set(ChatState { id: Some(id), conversation: conversation.clone(), ..ChatState::default() });
        spawn_local(async move {
            let (conv, page) = futures_join(api::conversation(id), api::messages(id, None, PAGE)).await;
            if self.chat_gen.get_value() != generation {
                return;
            }
            let conv = match conv {
                Ok(c) => c,
                Err(e) => {
                    if self.expired(&e) {
                        return;
                    }
                    if e.code() == Some(ErrorCode::NotFound) {
                        self.toast(ToastKind::Info, "That chat no longer exists.");
                        self.remove_row(id);
                        self.deselect();
                    } else {
                        self.chat.update(|c| c.load = Load::Failed(e.message()));
                    }
                    return;
                }
            };
            match page {
                Ok(page) => self.chat.update(|c| {
                    c.conversation = Some(conv.clone());
                    c.messages = page.messages.into_iter().rev().map(UiMessage::server).collect();
                    c.messages.extend(self.outbox.with_value(|o| o.get(&id).cloned().unwrap_or_default()));
                    c.previous_cursor = page.previous_cursor;
                    c.has_more = page.has_more;
                    c.load = Load::Ready;
                }),
                Err(e) => {
                    if !self.expired(&e) {
                        self.chat.update(|c| {
                            c.conversation = Some(conv.clone());
                            c.load = Load::Failed(e.message());
                        });
                    }
                }
            }
            self.mark_read_if_unread(id);
        });
    }

    pub fn reload_chat(self) {
        if let Some(id) = self.chat.with_untracked(|c| c.id) {
            self.open(id);
        }
    }

    /// The page before the oldest shown message. Resolves once it is shown.
    pub async fn load_older(self) {
        let Some((id, cursor)) = self.chat.with_untracked(|c| {
            (c.load == Load::Ready && c.has_more && !c.loading_older)
                .then(|| c.id.zip(c.previous_cursor.clone()))
                .flatten()
        }) else {
            return;
        };
        let generation = self.chat_gen.get_value();
        self.chat.update(|c| c.loading_older = true);
        let res = api::messages(id, Some(&cursor), PAGE).await;
        if self.chat_gen.get_value() != generation {
            return;
        }
        match res {
            Ok(page) => self.chat.update(|c| {
                c.messages = merge::prepend_older(&c.messages, page.messages);
                c.previous_cursor = page.previous_cursor;
                c.has_more = page.has_more;
                c.loading_older = false;
            }),
            Err(e) => {
                self.chat.update(|c| c.loading_older = false);
                if !self.expired(&e) {
                    self.toast(ToastKind::Error, format!("Could not load older messages. {}", e.message()));
                }
            }
        }
    }

    pub fn draft(&self, id: Uuid) -> String {
        self.drafts.with_value(|d| d.get(&id).cloned().unwrap_or_default())
    }

    pub fn set_draft(&self, id: Uuid, text: String) {
        self.drafts.update_value(|d| {
            if text.is_empty() {
                d.remove(&id);
            } else {
                d.insert(id, text);
            }
        });
    }

    // ----- live updates ------------------------------------------------------

    /// Asks for a refetch of the list and/or the open chat. Requests within
    /// 100 ms share one refetch, and none is applied while a write is in
    /// flight (it would undo the optimistic change on screen): it waits.
    pub fn refresh(self, list: bool, chat: bool) {
        self.dirty.update_value(|(l, c)| {
            *l |= list;
            *c |= chat;
        });
        if !self.refresh_pending.get_value() {
            self.refresh_pending.set_value(true);
            set_timeout(move || self.flush(), Duration::from_millis(100));
        }
    }

    /// Everything shown may be stale (a resync, a new stream).
    pub fn refresh_all(self) {
        self.refresh(true, true);
        self.refresh_archived_count();
    }

    fn flush(self) {
        self.refresh_pending.set_value(false);
        if !matches!(*self.session.read_untracked(), Session::SignedIn(_)) {
            self.dirty.set_value((false, false));
            return;
        }
        if self.writes.get_value() > 0 || self.refreshing.get_value() {
            self.refresh_pending.set_value(true);
            set_timeout(move || self.flush(), Duration::from_millis(250));
            return;
        }
        let (list, chat) = self.dirty.get_value();
        self.dirty.set_value((false, false));
        if !(list || chat) {
            return;
        }
        self.refreshing.set_value(true);
        spawn_local(async move {
            if list {
                self.poll_list().await;
            }
            if chat {
                self.poll_chat().await;
            }
            self.refreshing.set_value(false);
        });
    }

    /// Applies one server-sent event: statuses in place, anything larger by
    /// refetching what it touches.
    pub fn on_event(self, kind: &str, data: &serde_json::Value) {
        let uuid = |key: &str| data.get(key).and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok());
        let (id, conversation) = (uuid("id"), uuid("conversationId"));
        let open = self.chat.with_untracked(|c| c.id);
        match kind {
            "message.status" => {
                let status = data.get("status").and_then(|s| serde_json::from_value::<MessageStatus>(s.clone()).ok());
                let (Some(id), Some(status)) = (id, status) else { return };
                let error = data.get("errorMessage").and_then(|v| v.as_str()).map(str::to_owned);
                self.chat.update(|c| {
                    if let Some(m) = c.messages.iter_mut().find(|m| m.dto.id == id && m.local.is_none())
                        && moves_forward(m.dto.status, status)
                    {
                        m.dto.status = status;
                        m.dto.error_message = if status == MessageStatus::Failed { error.clone() } else { None };
                    }
                });
                self.list.update(|l| {
                    for c in l.items.iter_mut().filter(|c| c.last_message_id == Some(id)) {
                        c.last_message_status = Some(status);
                    }
                });
            }
            "message.created" => self.refresh(true, conversation.is_some() && conversation == open),
            "conversation.updated" => {
                // The archived count changes only when an archived chat
                // changes or a chat moves in or out of the archive.
                let archived = data.get("isArchived").and_then(|v| v.as_bool()).unwrap_or(false);
                let shown_archived =
                    self.list.with_untracked(|l| l.items.iter().find(|c| Some(c.id) == id).map(|c| c.is_archived));
                if archived || shown_archived.is_some_and(|was| was != archived) {
                    self.refresh_archived_count();
                }
                self.refresh(true, id.is_some() && id == open);
            }
            "conversation.deleted" => {
                let Some(id) = id else { return };
                self.remove_row(id);
                if open == Some(id) {
                    self.toast(ToastKind::Info, "This chat was deleted.");
                    self.deselect();
                }
                // A refetch already on its way may bring the row back.
                self.refresh(true, false);
                self.refresh_archived_count();
            }
            "resync" => self.refresh_all(),
            _ => {}
        }
    }

    /// The open chat is read once the agent can see it.
    pub fn on_visible(self) {
        if let Some(id) = self.chat.with_untracked(|c| c.id)
            && document_visible()
        {
            self.mark_read_if_unread(id);
        }
    }

    async fn poll_list(self) {
        if self.list.with_untracked(|l| l.load != Load::Ready) {
            return;
        }
        let generation = self.list_gen.get_value();
        let q = self.query(None);
        let res = api::conversations(&q).await;
        if self.list_gen.get_value() != generation {
            return;
        }
        if self.writes.get_value() > 0 {
            return self.refresh(true, false);
        }
        match res {
            Ok(page) => {
                self.list.update(|l| {
                    let (mut items, kept_tail) =
                        merge::merge_conversations(&l.items, page.conversations, page.has_more);
                    self.overlay_outbox(&mut items);
                    l.items = items;
                    if !kept_tail {
                        l.next_cursor = page.next_cursor;
                        l.has_more = page.has_more;
                    }
                });
            }
            Err(e) => {
                self.expired(&e);
            }
        }
    }

    async fn poll_chat(self) {
        let Some(id) = self.chat.with_untracked(|c| c.id.filter(|_| c.load == Load::Ready)) else { return };
        let generation = self.chat_gen.get_value();
        let (conv, page) = futures_join(api::conversation(id), api::messages(id, None, PAGE)).await;
        if self.chat_gen.get_value() != generation {
            return;
        }
        if self.writes.get_value() > 0 {
            return self.refresh(false, true);
        }
        match conv {
            Ok(c) => {
                let unread = c.unread_count > 0;
                self.chat.update(|chat| chat.conversation = Some(c));
                if unread && document_visible() {
                    self.mark_read_if_unread(id);
                }
            }
            Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                self.toast(ToastKind::Info, "This chat was deleted.");
                self.remove_row(id);
                self.deselect();
                return;
            }
            Err(e) => {
                self.expired(&e);
                return;
            }
        }
        if let Ok(page) = page {
            self.chat.update(|c| {
                let merged = merge::merge_messages(&c.messages, page.messages, page.has_more, c.sends_in_flight > 0);
                if merged != c.messages {
                    c.messages = merged;
                }
                if !page.has_more {
                    c.has_more = false;
                    c.previous_cursor = None;
                }
            });
        }
    }

    // ----- writes ----------------------------------------------------------

    fn begin_write(&self) {
        self.writes.update_value(|w| *w += 1);
    }

    fn end_write(&self) {
        self.writes.update_value(|w| *w = w.saturating_sub(1));
    }

    fn mark_read_if_unread(self, id: Uuid) {
        if self.conversation(id).is_some_and(|c| c.unread_count > 0) {
            self.change(id, Change::Read);
        }
    }

    /// Read, archive, unarchive, favorite, unfavorite, clear: optimistic, with
    /// rollback and a toast when the server refuses.
    pub fn change(self, id: Uuid, change: Change) {
        let Some(before) = self.conversation(id) else { return };
        let list_before = self.list.get_untracked();
        let messages_before = self.chat.with_untracked(|c| c.messages.clone());
        let in_archived_view = self.archived_view.get_untracked();
        match change {
            Change::Read => self.patch(id, |c| c.unread_count = 0),
            Change::Favorite => self.patch(id, |c| c.is_favorite = true),
            Change::Unfavorite => {
                self.patch(id, |c| c.is_favorite = false);
                if self.filter.get_untracked() == ConversationFilter::Favorites {
                    self.remove_row(id);
                }
            }
            Change::Archive | Change::Unarchive => {
                let archived = change == Change::Archive;
                self.patch(id, |c| c.is_archived = archived);
                // It leaves the list being looked at.
                if archived != in_archived_view {
                    self.remove_row(id);
                }
                self.archived_count.update(|(n, _)| if archived { *n += 1 } else { *n = n.saturating_sub(1) });
            }
            Change::Clear => {
                self.patch(id, |c| {
                    c.last_message_preview = None;
                    c.last_message_id = None;
                    c.last_message_status = None;
                    c.last_message_direction = None;
                    c.unread_count = 0;
                });
                self.chat.update(|c| {
                    if c.id == Some(id) {
                        c.messages.clear();
                        c.has_more = false;
                        c.previous_cursor = None;
                    }
                });
            }
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::change(id, change).await;
            self.end_write();
            match res {
                Ok(dto) => {
                    self.replace(dto);
                    match change {
                        Change::Archive => self.toast(ToastKind::Info, "Chat archived"),
                        Change::Unarchive => self.toast(ToastKind::Info, "Chat unarchived"),
                        Change::Clear => self.toast(ToastKind::Info, "Chat cleared"),
                        _ => {}
                    }
                }
                Err(e) => {
                    if self.expired(&e) {
                        return;
                    }
                    // Roll back.
                    self.list.set(list_before.clone());
                    self.replace(before.clone());
                    if change == Change::Clear {
                        self.chat.update(|c| {
                            if c.id == Some(id) {
                                c.messages = messages_before.clone();
                            }
                        });
                    }
                    if matches!(change, Change::Archive | Change::Unarchive) {
                        self.refresh_archived_count();
                    }
                    let what = match change {
                        Change::Read => "mark the chat as read",
                        Change::Archive => "archive the chat",
                        Change::Unarchive => "unarchive the chat",
                        Change::Favorite => "add the chat to favorites",
                        Change::Unfavorite => "remove the chat from favorites",
                        Change::Clear => "clear the chat",
                    };
                    self.toast(ToastKind::Error, format!("Could not {what}. {}", e.message()));
                }
            }
        });
    }

    pub fn assign(self, id: Uuid, user: Option<UserDto>) {
        let Some(before) = self.conversation(id) else { return };
        let summary = user.as_ref().map(|u| inbox_types::dto::UserSummary {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
        });
        self.patch(id, |c| {
            c.assigned_to_user_id = summary.as_ref().map(|s| s.id);
            c.assignee = summary.clone();
        });
        self.begin_write();
        spawn_local(async move {
            let res = api::assign(id, user.as_ref().map(|u| u.id)).await;
            self.end_write();
            match res {
                Ok(dto) => {
                    self.replace(dto);
                    match user {
                        Some(u) => self.toast(ToastKind::Info, format!("Assigned to {}", u.name)),
                        None => self.toast(ToastKind::Info, "Chat unassigned"),
                    }
                }
                Err(e) => {
                    if !self.expired(&e) {
                        self.replace(before);
                        self.toast(ToastKind::Error, format!("Could not assign the chat. {}", e.message()));
                    }
                }
            }
        });
    }

    pub fn delete(self, id: Uuid) {
        let list_before = self.list.get_untracked();
        self.remove_row(id);
        if self.selected.get_untracked() == Some(id) {
            self.deselect();
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::delete(id).await;
            self.end_write();
            match res {
                Ok(()) => self.toast(ToastKind::Info, "Chat deleted"),
                Err(e) => {
                    if !self.expired(&e) {
                        self.list.set(list_before);
                        self.toast(ToastKind::Error, format!("Could not delete the chat. {}", e.message()));
                    }
                }
            }
        });
    }

    /// Sends in the open chat: the bubble appears at once with a clock.
    pub fn send(self, text: String) {
        let Some(conv) = self.chat.with_untracked(|c| c.conversation.clone()) else { return };
        let key = Uuid::new_v4();
        let now = format::now();
        let dto = MessageDto {
            id: key,
            conversation_id: conv.id,
            contact_id: conv.contact.id,
            kind: Default::default(),
            direction: MessageDirection::Outbound,
            status: MessageStatus::Sending,
            content: text.clone(),
            media_url: None,
            media_type: None,
            provider_message_id: None,
            error_code: None,
            error_message: None,
            created_by: self.my_id(),
            created_at: now,
            updated_at: now,
        };
        let message = UiMessage { dto, local: Some(LocalSend { client_key: key, failed: None }) };
        self.outbox.update_value(|o| o.entry(conv.id).or_default().push(message.clone()));
        self.chat.update(|c| c.messages.push(message));
        let preview = inbox_types::text::preview(&text, 100);
        self.patch(conv.id, |c| {
            c.last_message_preview = Some(preview.clone());
            c.last_message_time = now;
            c.last_message_direction = Some(MessageDirection::Outbound);
            c.last_message_status = Some(MessageStatus::Sending);
        });
        self.to_top(conv.id);
        self.deliver_local(conv.id, key, text);
    }

    /// Sends (or re-sends) a message this tab holds, under its client key: a
    /// repeat the server already has answers CONFLICT naming the original.
    fn deliver_local(self, conversation: Uuid, key: Uuid, text: String) {
        self.chat.update(|c| c.sends_in_flight += 1);
        spawn_local(async move {
            let res = api::send_message(conversation, &text, key).await;
            self.chat.update(|c| {
                if c.id == Some(conversation) {
                    c.sends_in_flight = c.sends_in_flight.saturating_sub(1);
                }
            });
            self.finish_send(conversation, key, &text, res);
        });
    }

    fn finish_send(self, conversation: Uuid, key: Uuid, text: &str, res: Result<SendNewMessageOutput, ApiError>) {
        let settle = |id: Uuid, status: MessageStatus, error: Option<String>, local_failed: Option<String>| {
            let apply = |m: &mut UiMessage| {
                m.dto.id = id;
                m.dto.status = status;
                m.dto.error_message = error.clone();
                m.local = local_failed.clone().map(|f| LocalSend { client_key: key, failed: Some(f) });
            };
            self.chat.update(|c| {
                if let Some(m) = c.messages.iter_mut().find(|m| is_local(m, key)) {
                    apply(m);
                }
            });
            // The server has it now, or this tab keeps it as failed.
            self.outbox.update_value(|o| {
                if let Some(list) = o.get_mut(&conversation) {
                    if let Some(pos) = list.iter().position(|m| is_local(m, key)) {
                        if local_failed.is_some() {
                            apply(&mut list[pos]);
                        } else {
                            list.remove(pos);
                        }
                    }
                    if list.is_empty() {
                        o.remove(&conversation);
                    }
                }
            });
            self.patch(conversation, |c| {
                if c.last_message_direction == Some(MessageDirection::Outbound) {
                    c.last_message_status = Some(status);
                    if local_failed.is_none() {
                        c.last_message_id = Some(id);
                    }
                }
            });
        };
        match res {
            Ok(out) => settle(out.message_id, out.message.status, None, None),
            Err(e) if self.expired(&e) => {}
            Err(e) => match (e.code(), e.message_id()) {
                // Sent earlier under this key (the first answer was lost).
                (Some(ErrorCode::Conflict), Some(id)) => {
                    settle(id, MessageStatus::Sent, None, None);
                    self.refresh(true, true);
                }
                // Stored and refused by WhatsApp: a failed message the server keeps.
                (_, Some(id)) => {
                    settle(id, MessageStatus::Failed, Some(e.message()), None);
                    self.send_failed_toast(id, text);
                }
                // Nothing stored, or no answer: this tab keeps it, Retry resends.
                _ => {
                    settle(key, MessageStatus::Failed, Some(e.message()), Some(e.message()));
                    self.send_failed_toast(key, text);
                }
            },
        }
    }

    fn send_failed_toast(self, id: Uuid, _text: &str) {
        let retry = Callback::new(move |()| self.retry(id));
        self.toast_with(ToastKind::Warning, "Failed to send message.", Some(("Retry".to_owned(), retry)));
    }

    /// Retries a failed message: the server's retry for one it stored, a
    /// resend under the same key for one only this tab holds.
    pub fn retry(self, id: Uuid) {
        let Some((conversation, msg)) = self.chat.with_untracked(|c| {
            c.id.zip(c.messages.iter().find(|m| m.dto.id == id && m.dto.status == MessageStatus::Failed).cloned())
        }) else {
            return;
        };
        self.chat.update(|c| {
            if let Some(m) = c.messages.iter_mut().find(|m| m.dto.id == id) {
                m.dto.status = MessageStatus::Sending;
                m.dto.error_message = None;
                if let Some(l) = m.local.as_mut() {
                    l.failed = None;
                }
            }
        });
        if let Some(local) = msg.local {
            self.outbox.update_value(|o| {
                if let Some(m) =
                    o.get_mut(&conversation).and_then(|l| l.iter_mut().find(|m| is_local(m, local.client_key)))
                {
                    m.dto.status = MessageStatus::Sending;
                    m.dto.error_message = None;
                    if let Some(l) = m.local.as_mut() {
                        l.failed = None;
                    }
                }
            });
            self.deliver_local(conversation, local.client_key, msg.dto.content);
            return;
        }
        self.begin_write();
        spawn_local(async move {
            let res = api::retry(id).await;
            self.end_write();
            let (status, error) = match &res {
                Ok(out) => (out.message.status, None),
                Err(e) if self.expired(e) => return,
                Err(e) => (MessageStatus::Failed, Some(e.message())),
            };
            self.chat.update(|c| {
                if let Some(m) = c.messages.iter_mut().find(|m| m.dto.id == id) {
                    m.dto.status = status;
                    m.dto.error_message = error.clone();
                }
            });
            if res.is_err() {
                self.send_failed_toast(id, &msg.dto.content);
            }
        });
    }

    /// The new-message modal's send. The caller shows errors itself.
    pub async fn send_new(self, phone: String, text: String, key: Uuid) -> Result<SendNewMessageOutput, ApiError> {
        let res = api::send_new_message(&phone, &text, key).await;
        match &res {
            Ok(out) => {
                // Show the chat with the new message at the top of the list.
                if self.archived_view.get_untracked() {
                    self.archived_view.set(false);
                }
                self.reload_list();
                self.selected.set(Some(out.conversation_id));
                prefs::save(self.view(), true);
                self.open(out.conversation_id);
            }
            Err(e) => {
                if !self.expired(e) && e.conversation_id().is_some() {
                    // A failed send still created the chat: show it.
                    self.reload_list();
                }
            }
        }
        res
    }
}

/// Whether a status from the stream moves a message on: never back along
/// sent → delivered → read (events and refetches can cross), but a retry
/// may take a failed message back to sending.
fn moves_forward(from: MessageStatus, to: MessageStatus) -> bool {
    from != to && !merge::is_behind(to, from)
}

/// Whether `m` is the local message sent under `key`.
fn is_local(m: &UiMessage, key: Uuid) -> bool {
    m.local.as_ref().is_some_and(|l| l.client_key == key)
}

fn document_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Runs two requests at once.
async fn futures_join<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    futures::future::join(a, b).await
}
