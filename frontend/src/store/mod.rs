//! The app's state and every read and write it makes. Reads fill signals with
//! an explicit load state; writes change the view at once (optimistic) and
//! roll back with a toast when the server refuses (plan 8.3).
//!
//! A store rather than one resource per read: live updates (server-sent events)
//! and optimistic writes both need to fold answers into what is shown.
//! `Store` is one Copy handle of signals; its methods live in the modules
//! below by concern, and the decisions they make are pure functions over
//! `ListState` and `ChatState`, tested on the host.

mod chat;
mod events;
mod found;
mod list;
mod live_sync;
mod navigation;
mod optimistic;
mod outbox;
mod send_answer;
mod sending;
mod session;
mod toasts;
mod writes;

use std::collections::{HashMap, HashSet};

use inbox_types::ConversationFilter;
use inbox_types::dto::{ConversationDto, MeResponse, UserDto};
use leptos::prelude::*;
use uuid::Uuid;

use crate::merge::UiMessage;
use crate::prefs;
use crate::thread::UnreadDivider;

pub use toasts::{Toast, ToastKind};

const PAGE: u32 = 50;

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
    /// Set while the chat shows an older stretch (opened at a search hit):
    /// the cursor of the newer messages not loaded yet.
    pub next_cursor: Option<String>,
    pub loading_newer: bool,
    /// The message to bring into view and mark (a search hit), with a
    /// counter so choosing the same hit again brings it back.
    pub highlight: Option<(Uuid, u32)>,
    pub sends_in_flight: u32,
    /// Where the messages that were unread when the chat was opened start;
    /// it stays while the chat stays open.
    pub unread_divider: Option<UnreadDivider>,
}

/// Messages found by the sidebar's search (below the matching chats).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FoundState {
    /// The words searched for; empty when the search box is.
    pub term: String,
    pub hits: Vec<inbox_types::search::MessageHit>,
    pub load: Load,
    pub next_cursor: Option<String>,
    pub has_more: bool,
    pub loading_more: bool,
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
    pub found: RwSignal<FoundState>,
    pub toasts: RwSignal<Vec<Toast>>,
    pub modal: RwSignal<Option<Modal>>,
    /// Asks the sidebar to focus its search box (Ctrl+Alt+/).
    pub focus_search: RwSignal<u32>,
    /// The number the New chat dialog opens with ("Start a chat with +…").
    pub new_chat_phone: StoredValue<Option<String>>,
    drafts: StoredValue<HashMap<Uuid, String>>,
    /// Messages only this tab holds (being sent, or a send whose answer
    /// never came), per conversation: they survive switching chats and
    /// refetches until the server has them.
    outbox: StoredValue<HashMap<Uuid, Vec<UiMessage>>>,
    /// Conversations whose waiting messages are being sent, one at a time.
    draining: StoredValue<HashSet<Uuid>>,
    /// Pauses taken since the last answer, and whether one is running
    /// (sends that got no answer while the browser believed it was online).
    retry_attempt: StoredValue<u32>,
    retry_scheduled: StoredValue<bool>,
    /// Bumped on each change of the list's query, so late answers to an old
    /// query are dropped.
    list_gen: StoredValue<u64>,
    chat_gen: StoredValue<u64>,
    found_gen: StoredValue<u64>,
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
            found: RwSignal::new(FoundState::default()),
            toasts: RwSignal::new(Vec::new()),
            modal: RwSignal::new(None),
            focus_search: RwSignal::new(0),
            new_chat_phone: StoredValue::new(None),
            drafts: StoredValue::new(HashMap::new()),
            outbox: StoredValue::new(HashMap::new()),
            draining: StoredValue::new(HashSet::new()),
            retry_attempt: StoredValue::new(0),
            retry_scheduled: StoredValue::new(false),
            list_gen: StoredValue::new(0),
            chat_gen: StoredValue::new(0),
            found_gen: StoredValue::new(0),
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

    /// Runs a pure change over the shown list and open chat, then tells
    /// their readers.
    fn update_shown<T>(self, f: impl FnOnce(&mut ListState, &mut ChatState) -> T) -> T {
        let out = {
            let (mut list, mut chat) = (self.list.write_untracked(), self.chat.write_untracked());
            f(&mut list, &mut chat)
        };
        self.list.notify();
        self.chat.notify();
        out
    }

    /// Changes one conversation wherever it is shown (list row and chat).
    fn patch(self, id: Uuid, f: impl Fn(&mut ConversationDto)) {
        self.list.update(|l| l.patch(id, &f));
        self.chat.update(|c| c.patch(id, &f));
    }

    /// Puts the server's version of a conversation everywhere it is shown.
    fn replace(self, dto: ConversationDto) {
        let id = dto.id;
        self.patch(id, |c| *c = dto.clone());
    }

    fn conversation(&self, id: Uuid) -> Option<ConversationDto> {
        self.list.with_untracked(|l| self.chat.with_untracked(|c| shown_conversation(l, c, id)))
    }
}

impl ListState {
    fn patch(&mut self, id: Uuid, f: impl Fn(&mut ConversationDto)) {
        if let Some(c) = self.items.iter_mut().find(|c| c.id == id) {
            f(c);
        }
    }

    /// Takes a row out; returns whether it was shown.
    fn remove(&mut self, id: Uuid) -> bool {
        let before = self.items.len();
        self.items.retain(|c| c.id != id);
        self.items.len() != before
    }
}

impl ChatState {
    /// Changes the open chat's conversation when it is `id`.
    fn patch(&mut self, id: Uuid, f: impl Fn(&mut ConversationDto)) {
        if let Some(conv) = self.conversation.as_mut().filter(|conv| conv.id == id) {
            f(conv);
        }
    }
}

/// A conversation as shown: the open chat's copy, else its row.
fn shown_conversation(list: &ListState, chat: &ChatState, id: Uuid) -> Option<ConversationDto> {
    chat.conversation.clone().filter(|c| c.id == id).or_else(|| list.items.iter().find(|c| c.id == id).cloned())
}

fn document_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}
