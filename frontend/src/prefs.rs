//! The UI state that survives a reload and works with the back button: the
//! open conversation, the filter and the archived view live in the URL
//! (`/?c=<id>&filter=unread&archived=1`) and in localStorage (for a bare `/`).

use inbox_types::ConversationFilter;
use uuid::Uuid;

const KEY: &str = "inbox.view";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct View {
    pub selected: Option<Uuid>,
    pub filter: ConversationFilter,
    pub archived: bool,
}

impl View {
    fn to_query(self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = self.selected {
            parts.push(format!("c={id}"));
        }
        if self.filter != ConversationFilter::All {
            parts.push(format!("filter={}", self.filter.as_str()));
        }
        if self.archived {
            parts.push("archived=1".to_owned());
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }

    fn from_query(q: &str) -> Option<View> {
        let q = q.trim_start_matches('?');
        if q.is_empty() {
            return None;
        }
        let mut v = View::default();
        for pair in q.split('&') {
            let (k, val) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "c" => v.selected = Uuid::parse_str(val).ok(),
                "filter" => v.filter = parse_filter(val),
                "archived" => v.archived = val == "1" || val == "true",
                _ => {}
            }
        }
        Some(v)
    }
}

pub fn parse_filter(s: &str) -> ConversationFilter {
    ConversationFilter::ALL.into_iter().find(|f| f.as_str() == s).unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The view to start with: the URL's, else the last one stored.
pub fn initial() -> View {
    current_url()
        .or_else(|| storage()?.get_item(KEY).ok().flatten().and_then(|s| View::from_query(&s)))
        .unwrap_or_default()
}

pub fn current_url() -> Option<View> {
    let search = web_sys::window()?.location().search().ok()?;
    View::from_query(&search)
}

/// Records a view: a new history entry when it differs from the URL's.
pub fn save(v: View, push: bool) {
    let query = v.to_query();
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &query);
    }
    let Some(window) = web_sys::window() else { return };
    let current = window.location().search().unwrap_or_default();
    if current == query {
        return;
    }
    let url = if query.is_empty() { "/".to_owned() } else { format!("/{query}") };
    if let Ok(history) = window.history() {
        let _ = if push {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    }
}

/// Forgets what this browser kept for the agent (on sign-out): the view and
/// every draft.
pub fn forget() {
    let Some(s) = storage() else { return };
    let _ = s.remove_item(KEY);
    let keys: Vec<String> = (0..s.length().unwrap_or(0)).filter_map(|i| s.key(i).ok().flatten()).collect();
    for key in keys.iter().filter(|k| k.starts_with(DRAFT_PREFIX)) {
        let _ = s.remove_item(key);
    }
}

const DRAFT_PREFIX: &str = "inbox.draft.";

/// A chat's unsent text as this browser kept it (it survives a reload).
pub fn draft(id: Uuid) -> Option<String> {
    storage()?.get_item(&format!("{DRAFT_PREFIX}{id}")).ok().flatten()
}

/// Keeps a chat's unsent text; an empty one is forgotten.
pub fn save_draft(id: Uuid, text: &str) {
    let Some(s) = storage() else { return };
    let key = format!("{DRAFT_PREFIX}{id}");
    let _ = if text.is_empty() { s.remove_item(&key) } else { s.set_item(&key, text) };
}
