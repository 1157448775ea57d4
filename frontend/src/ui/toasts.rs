use leptos::prelude::*;

use crate::icons::{Icon, icon};
use crate::store::{Store, ToastKind};

/// Toasts at the bottom, announced to screen readers (errors assertively).
#[component]
pub fn Toasts() -> impl IntoView {
    let store = expect_context::<Store>();
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
        <div class="toasts">
            <div role="status" aria-live="polite">{of(false)}</div>
            <div role="alert" aria-live="assertive">{of(true)}</div>
        </div>
    }
}
