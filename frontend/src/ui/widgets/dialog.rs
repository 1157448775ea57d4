use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::icons::{Icon, icon};

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), textarea:not([disabled]), \
                         [tabindex]:not([tabindex='-1'])";

fn focusables(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<web_sys::HtmlElement>().ok()).collect()
}

/// A modal dialog: dims the app, traps focus, closes on Esc, the close
/// button or a click outside, and gives focus back where it was.
#[component]
pub fn Dialog(
    /// The heading, also the dialog's accessible name.
    title: String,
    #[prop(into)] on_close: Callback<()>,
    /// While busy (a send in flight) the dialog cannot be closed.
    #[prop(into, optional)]
    busy: Signal<bool>,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Div>::new();
    let before = document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    on_cleanup(move || {
        if let Some(el) = before {
            let _ = el.focus();
        }
    });
    // Focus the first field (or button) once shown.
    Effect::new(move |_| {
        if let Some(dialog) = node.get() {
            request_animation_frame(move || {
                let auto = dialog.query_selector("[data-autofocus]").ok().flatten();
                let first = auto
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    .or_else(|| focusables(&dialog).into_iter().next());
                if let Some(el) = first {
                    let _ = el.focus();
                }
            });
        }
    });
    let close = move || {
        if !busy.get_untracked() {
            on_close.run(());
        }
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.stop_propagation();
            close();
        }
        "Tab" => {
            let Some(dialog) = node.get_untracked() else { return };
            let items = focusables(&dialog);
            let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
            let active = document().active_element();
            let at =
                |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>());
            if ev.shift_key() && at(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && at(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };
    let id = format!("dlg-{}", title.to_lowercase().replace(|c: char| !c.is_alphanumeric(), "-"));
    let label_id = id.clone();
    view! {
        <div class="layer" on:mousedown=move |ev| {
            // Only a press on the backdrop itself closes.
            if ev.target() == ev.current_target() {
                close();
            }
        }>
            <div
                class=format!("modal {class}")
                role="dialog"
                aria-modal="true"
                aria-labelledby=label_id
                node_ref=node
                on:keydown=keydown
            >
                <div class="modal-head">
                    <h2 id=id>{title}</h2>
                    <button
                        class="icon-btn"
                        aria-label="Close"
                        title="Close (Esc)"
                        disabled=move || busy.get()
                        on:click=move |_| close()
                    >
                        {icon(Icon::Close)}
                    </button>
                </div>
                {children()}
            </div>
        </div>
    }
}
