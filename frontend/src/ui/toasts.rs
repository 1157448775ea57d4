use leptos::prelude::*;

use crate::icons::{Icon, icon};
use crate::store::{Store, ToastKind};

/// Toasts never cover the composer: they sit this far (px) above its top
/// edge, or this far above the window's bottom when no chat is open.
const GAP: f64 = 12.0;
const BOTTOM: f64 = 24.0;

/// How far above the window's bottom the toasts go: above the composer's
/// top edge when one is on screen.
fn clearance() -> f64 {
    let Some(window) = web_sys::window() else { return BOTTOM };
    let composer = window.document().and_then(|d| d.query_selector(".composer").ok().flatten());
    let height = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or_default();
    match composer.map(|c| c.get_bounding_client_rect()) {
        Some(r) if r.height() > 0.0 => (height - r.top() + GAP).max(BOTTOM),
        _ => BOTTOM,
    }
}

/// Toasts at the bottom, above the composer, announced to screen readers
/// (errors assertively).
#[component]
pub fn Toasts() -> impl IntoView {
    let store = expect_context::<Store>();
    // Measured again when toasts change or the window does.
    let resized = RwSignal::new(0u32);
    let resize = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || resize.remove());
    let bottom = RwSignal::new(BOTTOM);
    Effect::new(move |_| {
        store.toasts.track();
        resized.track();
        bottom.set(clearance());
        // Again once a chat opened with the toast has drawn its composer.
        request_animation_frame(move || bottom.set(clearance()));
    });
    let of = move |errors: bool| {
        move || {
            store
                .toasts
                .get()
                .into_iter()
                .filter(|t| matches!(t.kind, ToastKind::Error | ToastKind::Warning) == errors)
                .map(|t| {
                    let id = t.id;
                    let class = match t.kind {
                        ToastKind::Success => "toast success",
                        ToastKind::Info => "toast info",
                        ToastKind::Warning => "toast warning",
                        ToastKind::Error => "toast error",
                    };
                    let action = t.action.map(|(label, cb)| {
                        view! {
                            <button
                                class="toast-action"
                                on:click=move |_| {
                                    store.dismiss(id);
                                    cb.run(());
                                }
                            >
                                {label}
                            </button>
                        }
                    });
                    view! {
                        <div class=class>
                            <span class="toast-text">{t.text}</span>
                            {action}
                            <button class="toast-close" aria-label="Dismiss" on:click=move |_| store.dismiss(id)>
                                {icon(Icon::Close)}
                            </button>
                        </div>
                    }
                })
                .collect_view()
        }
    };
    view! {
        <div class="toasts" style:bottom=move || format!("{}px", bottom.get())>
            <div role="status" aria-live="polite">{of(false)}</div>
            <div role="alert" aria-live="assertive">{of(true)}</div>
        </div>
    }
}
