use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::icons::Icon;

/// One entry of a drop-down menu.
#[derive(Clone)]
pub struct Item {
    pub label: String,
    pub icon: Option<Icon>,
    pub danger: bool,
    /// Shown greyed out, still reachable with the arrow keys (as ARIA menus
    /// do), and does nothing when chosen.
    pub disabled: bool,
    pub run: Callback<()>,
}

impl Item {
    pub fn new(label: impl Into<String>, run: impl Fn() + Send + Sync + 'static) -> Self {
        Item { label: label.into(), icon: None, danger: false, disabled: false, run: Callback::new(move |()| run()) }
    }

    /// An entry for something that does not exist yet.
    pub fn unavailable(label: impl Into<String>) -> Self {
        Item { disabled: true, ..Item::new(label, || {}) }
    }

    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }

    pub fn icon(mut self, icon: Icon) -> Self {
        self.icon = Some(icon);
        self
    }
}

fn menu_items(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all("[role=menuitem]") else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<web_sys::HtmlElement>().ok()).collect()
}

/// An icon button and its menu (the 3 dots by default): opens on click or
/// Enter, arrow keys move, Esc or a click outside closes and gives focus back
/// to the button.
#[component]
pub fn MenuButton(
    /// The button's and the menu's accessible name, and the button's tooltip.
    label: &'static str,
    items: Signal<Vec<Item>>,
    #[prop(default = Icon::Dots)] icon: Icon,
    /// Opens above the button, from its left edge (for a button at the
    /// bottom left, like the composer's); otherwise below, from its right edge.
    #[prop(optional)]
    up: bool,
    /// A line under the entries, also the menu's accessible description.
    #[prop(optional)]
    note: Option<&'static str>,
) -> impl IntoView {
    let note_id = note.map(|_| format!("{}-note", label.to_lowercase().replace(|c: char| !c.is_alphanumeric(), "-")));
    let open = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let list = NodeRef::<html::Div>::new();
    let close = move |refocus: bool| {
        open.set(false);
        if refocus && let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    };
    Effect::new(move |_| {
        if open.get()
            && let Some(menu) = list.get()
        {
            request_animation_frame(move || {
                if let Some(first) = menu_items(&menu).into_iter().next() {
                    let _ = first.focus();
                }
            });
        }
    });
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(menu) = list.get_untracked() else { return };
        let items = menu_items(&menu);
        let active = document().active_element();
        let pos =
            items.iter().position(|e| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>()));
        let n = items.len();
        let to = match ev.key().as_str() {
            "ArrowDown" => Some(pos.map_or(0, |p| (p + 1) % n)),
            "ArrowUp" => Some(pos.map_or(n.saturating_sub(1), |p| (p + n - 1) % n)),
            "Home" => Some(0),
            "End" => Some(n.saturating_sub(1)),
            "Escape" => {
                ev.stop_propagation();
                close(true);
                None
            }
            "Tab" => {
                close(false);
                None
            }
            _ => None,
        };
        if let Some(i) = to.filter(|_| n > 0) {
            ev.prevent_default();
            let _ = items[i].focus();
        }
    };
    view! {
        <div class="menu-wrap">
            <button
                class="icon-btn"
                class:active=move || open.get()
                aria-label=label
                title=label
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                node_ref=button
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {crate::icons::icon(icon)}
            </button>
            <Show when=move || open.get()>
                <div class="menu-catcher" on:mousedown=move |_| close(false)></div>
                <div class="menu" class:up=up>
                    <div
                        class="menu-items"
                        role="menu"
                        aria-label=label
                        aria-describedby=note_id.clone()
                        node_ref=list
                        on:keydown=keydown
                    >
                        {move || {
                            items
                                .get()
                                .into_iter()
                                .map(|item| {
                                    let (run, disabled) = (item.run, item.disabled);
                                    view! {
                                        <button
                                            role="menuitem"
                                            class="menu-item"
                                            class:danger=item.danger
                                            aria-disabled=disabled.then_some("true")
                                            tabindex="-1"
                                            on:click=move |_| {
                                                if !disabled {
                                                    close(true);
                                                    run.run(());
                                                }
                                            }
                                        >
                                            {item.icon.map(crate::icons::icon)}
                                            {item.label}
                                        </button>
                                    }
                                })
                                .collect_view()
                        }}
                    </div>
                    {note.map(|n| view! { <p class="menu-note" id=note_id.clone()>{n}</p> })}
                </div>
            </Show>
        </div>
    }
}
