use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::icons::{Icon, icon};
use crate::store::Store;

/// The sign-in page. A session cookie keeps the agent signed in.
#[component]
pub fn Login() -> impl IntoView {
    let store = expect_context::<Store>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (e, p) = (email.get_untracked(), password.get_untracked());
        if e.trim().is_empty() || p.is_empty() {
            error.set(Some("Enter your email and password.".to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::login(e.trim(), &p).await {
                Ok(me) => store.signed_in(me),
                Err(err) => {
                    busy.set(false);
                    error.set(Some(err.message()));
                }
            }
        });
    };

    view! {
        <div class="login-page">
            <div class="login-band"></div>
            <main class="login-card" aria-labelledby="login-title">
                <div class="login-brand">
                    <span class="login-logo">{icon(Icon::NewChat)}</span>
                    <span>"Inbox"</span>
                </div>
                <h1 id="login-title">"Sign in to your team's inbox"</h1>
                <p class="sub">"Answer your customers' WhatsApp messages together."</p>
                <form on:submit=submit novalidate>
                    <div class="fld">
                        <label for="login-email">"Email"</label>
                        <input
                            id="login-email"
                            class="input"
                            type="email"
                            autocomplete="username"
                            required
                            autofocus
                            prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="fld">
                        <label for="login-password">"Password"</label>
                        <input
                            id="login-password"
                            class="input"
                            type="password"
                            autocomplete="current-password"
                            required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </div>
                    {move || error.get().map(|e| view! { <p class="err-msg" role="alert">{e}</p> })}
                    <div class="actions">
                        <button
                            type="submit"
                            class="btn primary"
                            class:busy=move || busy.get()
                            aria-busy=move || busy.get().to_string()
                            disabled=move || busy.get()
                        >
                            <span class="lbl">"Sign in"</span>
                            <span class="spin" aria-hidden="true"></span>
                        </button>
                    </div>
                </form>
                <p class="login-foot">{icon(Icon::Lock)}<span>"Your conversations stay on your company's server."</span></p>
            </main>
        </div>
    }
}
