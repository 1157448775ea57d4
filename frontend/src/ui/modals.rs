use inbox_types::dto::UserDto;
use inbox_types::{E164Phone, ErrorCode, MessageText, NumberRule};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::format;
use crate::icons::{Icon, Mark, icon, mark};
use crate::store::{Store, ToastKind};
use crate::ui::widgets::dialog::Dialog;

/// Plan 7.1/7.2/13: phone and message with live validation (the server's own
/// rules, from the shared types), Send disabled until both are valid, a
/// spinner while sending, the error kept in the modal on failure.
#[component]
pub fn NewChatModal() -> impl IntoView {
    let store = expect_context::<Store>();
    // "Start a chat with +…" fills the number in; the message is next.
    let mut prefilled = None;
    store.new_chat_phone.update_value(|p| prefilled = p.take());
    let focus_text = prefilled.is_some();
    let phone = RwSignal::new(prefilled.unwrap_or_default());
    let text = RwSignal::new(String::new());
    let phone_touched = RwSignal::new(false);
    let text_touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Kept across attempts whose outcome is unknown (no answer), so a repeat
    // can never send the message twice.
    let key = StoredValue::new(Uuid::new_v4());

    // A number refused only for its range keeps the strict refusal's words
    // when it is not even of a possible length.
    // The company's own rule (valid numbers only by default); a number
    // refused for its range keeps the strict refusal's words.
    let rule = store.me().map(|me| me.company.number_rule).unwrap_or_default();
    let parsed_phone = Memo::new(move |_| {
        phone.with(|p| match E164Phone::parse(p) {
            Err(e) if rule == NumberRule::Possible && E164Phone::refused_as_not_in_plan(&e) => {
                E164Phone::parse_with_rule(p, None, NumberRule::Possible).map_err(|_| e)
            }
            other => other,
        })
    });
    let in_plan = Memo::new(move |_| phone.with(|p| E164Phone::parse(p).is_ok()));
    let parsed_text = Memo::new(move |_| text.with(|t| MessageText::parse(t)));
    let phone_error = move || {
        let p = parsed_phone.get();
        let show = phone_touched.get() || phone.with(|v| v.chars().any(char::is_alphabetic));
        match p {
            Err(e) if show => Some(e.message),
            _ => None,
        }
    };
    let text_error = move || match parsed_text.get() {
        Err(e) if text_touched.get() => Some(e.message),
        _ => None,
    };
    let valid = move || parsed_phone.with(Result::is_ok) && parsed_text.with(Result::is_ok);
    let chars = move || text.with(|t| t.chars().count());
    let close = Callback::new(move |()| store.modal.set(None));

    let submit = move || {
        phone_touched.set(true);
        text_touched.set(true);
        if !valid() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (p, t) = (phone.get_untracked(), text.get_untracked());
        spawn_local(async move {
            let res = store.send_new(p, t, key.get_value()).await;
            busy.set(false);
            match res {
                Ok(out) => {
                    store.modal.set(None);
                    let kind = if out.message.status == inbox_types::MessageStatus::Sending {
                        ToastKind::Info
                    } else {
                        ToastKind::Success
                    };
                    let msg = if out.message.status == inbox_types::MessageStatus::Sending {
                        "Message queued: WhatsApp is busy, it will be sent shortly."
                    } else {
                        "Message sent successfully"
                    };
                    store.toast(kind, msg);
                }
                Err(e) => {
                    // The message exists (stored, then refused by WhatsApp):
                    // like any failed send it is retried in place, from its
                    // bubble, which `send_new` has opened. Sending from here
                    // again would make a second message.
                    if e.message_id().is_some() && e.conversation_id().is_some() {
                        store.modal.set(None);
                        return;
                    }
                    // An answer came: the next attempt is a new message.
                    if matches!(e, crate::api::ApiError::Server { .. }) {
                        key.set_value(Uuid::new_v4());
                    }
                    if e.code() == Some(ErrorCode::Conflict)
                        && let Some(id) = e.conversation_id()
                    {
                        // Our first attempt did arrive: show it.
                        store.modal.set(None);
                        store.select(id);
                        return;
                    }
                    if !e.is_unauthorized() {
                        error.set(Some(e.message()));
                    }
                }
            }
        });
    };

    view! {
        <Dialog title="New chat".to_owned() on_close=close busy=busy>
            <p class="sub">"Send a WhatsApp message to any number. The chat opens when it is sent."</p>
            <form
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <div class="fld">
                    <label for="new-phone">"Phone number"</label>
                    <input
                        id="new-phone"
                        class="input"
                        class:err=move || phone_error().is_some()
                        type="tel"
                        inputmode="tel"
                        autocomplete="off"
                        placeholder="+1 415 555 0100"
                        data-autofocus=(!focus_text).then_some("")
                        disabled=move || busy.get()
                        aria-invalid=move || phone_error().is_some().to_string()
                        aria-describedby="new-phone-hint"
                        prop:value=move || phone.get()
                        on:input=move |ev| phone.set(event_target_value(&ev))
                        on:blur=move |_| {
                            if !phone.with_untracked(String::is_empty) {
                                phone_touched.set(true)
                            }
                        }
                    />
                    <div id="new-phone-hint">
                        {move || match (phone_error(), parsed_phone.get()) {
                            (Some(e), _) => {
                                view! { <p class="err-msg">{mark(Mark::Failed)}<span>{e}</span></p> }.into_any()
                            }
                            (None, Ok(p)) if in_plan.get() => {
                                view! {
                                    <p class="ok-msg">{icon(Icon::Check)}<span>{format::phone(p.as_str())}</span></p>
                                }
                                    .into_any()
                            }
                            (None, Ok(_)) => {
                                view! {
                                    <p class="hint">
                                        "Not in its country's numbering plan yet; your company sends to such numbers"
                                    </p>
                                }
                                    .into_any()
                            }
                            _ => {
                                let hint = format!("With the country code, e.g. {}", E164Phone::EXAMPLE);
                                view! { <p class="hint">{hint}</p> }.into_any()
                            }
                        }}
                    </div>
                </div>
                <div class="fld">
                    <label for="new-text">"Message"</label>
                    <textarea
                        id="new-text"
                        class="textarea"
                        class:err=move || text_error().is_some()
                        placeholder="Type a message"
                        data-autofocus=focus_text.then_some("")
                        disabled=move || busy.get()
                        aria-invalid=move || text_error().is_some().to_string()
                        aria-describedby="new-text-hint"
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            text.set(event_target_value(&ev));
                            text_touched.set(true);
                        }
                        on:blur=move |_| text_touched.set(true)
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                                ev.prevent_default();
                                submit();
                            }
                        }
                    ></textarea>
                    <div id="new-text-hint" class="fld-foot">
                        {move || text_error().map(|e| view! { <p class="err-msg">{mark(Mark::Failed)}<span>{e}</span></p> })}
                        <span class="counter" class:over={move || chars() > MessageText::MAX_CHARS}>
                            {move || format!("{} / {}", chars(), MessageText::MAX_CHARS)}
                        </span>
                    </div>
                </div>
                {move || {
                    error
                        .get()
                        .map(|e| view! { <p class="err-msg send-error" role="alert">{mark(Mark::Failed)}<span>{e}</span></p> })
                }}
                <div class="actions">
                    <button type="button" class="btn secondary" disabled=move || busy.get() on:click=move |_| close.run(())>
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        class="btn primary"
                        class:busy=move || busy.get()
                        aria-busy=move || busy.get().to_string()
                        disabled=move || !valid() || busy.get()
                    >
                        <span class="lbl">{move || if error.get().is_some() { "Try again" } else { "Send" }}</span>
                        <span class="spin" aria-hidden="true"></span>
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// The company's agents, searchable, with "Unassigned"; the current one is
/// marked. Choosing one assigns at once (optimistic, rolled back on error).
#[component]
pub fn AssignModal() -> impl IntoView {
    let store = expect_context::<Store>();
    let conversation = store.chat.with_untracked(|c| c.conversation.clone());
    let close = Callback::new(move |()| store.modal.set(None));
    let Some(conversation) = conversation else {
        store.modal.set(None);
        return ().into_any();
    };
    let id = conversation.id;
    let current = conversation.assigned_to_user_id;
    let query = RwSignal::new(String::new());
    if store.users.with_untracked(Vec::is_empty) {
        spawn_local(async move {
            match crate::api::users().await {
                Ok(out) => store.users.set(out.users),
                Err(e) => store.toast(ToastKind::Error, format!("Could not load the agents. {}", e.message())),
            }
        });
    }
    let choose = move |user: Option<UserDto>| {
        store.modal.set(None);
        if user.as_ref().map(|u| u.id) != current {
            store.assign(id, user);
        }
    };
    let matches = move || {
        let q = query.get().trim().to_lowercase();
        store
            .users
            .get()
            .into_iter()
            .filter(|u| q.is_empty() || u.name.to_lowercase().contains(&q) || u.email.to_lowercase().contains(&q))
            .collect::<Vec<_>>()
    };
    let option = move |user: Option<UserDto>| {
        let is_current = user.as_ref().map(|u| u.id) == current;
        let (name, email) = match &user {
            Some(u) => (u.name.clone(), Some(u.email.clone())),
            None => ("Unassigned".to_owned(), None),
        };
        let colour = format::avatar_colour(&name);
        let initials = format::initials(Some(&name)).filter(|_| user.is_some());
        view! {
            <li>
                <button
                    class="pick"
                    class:current=is_current
                    aria-pressed=is_current.to_string()
                    on:click=move |_| choose(user.clone())
                >
                    <span class="avatar sm" style=format!("--c:{colour}") aria-hidden="true">
                        {match initials {
                            Some(i) => i.into_any(),
                            None => icon(Icon::Person).into_any(),
                        }}
                    </span>
                    <span class="pick-text">
                        <span class="pick-name">{name}</span>
                        {email.map(|e| view! { <span class="pick-sub">{e}</span> })}
                    </span>
                    {is_current.then(|| view! { <span class="pick-check" title="Current">{icon(Icon::Check)}</span> })}
                </button>
            </li>
        }
    };
    view! {
        <Dialog title="Assign to user".to_owned() on_close=close class="assign-modal">
            <div class="search-box modal-search">
                {icon(Icon::Search)}
                <input
                    type="search"
                    aria-label="Search agents"
                    placeholder="Search agents"
                    data-autofocus
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            <ul class="picks" aria-label="Agents">
                {option(None)}
                {move || {
                    let list = matches();
                    if list.is_empty() && !store.users.with(Vec::is_empty) {
                        view! { <li class="hint">"No agent matches."</li> }.into_any()
                    } else {
                        list.into_iter().map(|u| option(Some(u))).collect_view().into_any()
                    }
                }}
            </ul>
        </Dialog>
    }
    .into_any()
}

/// Confirms clearing or deleting the open chat.
#[component]
pub fn ConfirmModal(delete: bool) -> impl IntoView {
    let store = expect_context::<Store>();
    let close = Callback::new(move |()| store.modal.set(None));
    let Some((id, name)) =
        store.chat.with_untracked(|c| c.conversation.as_ref().map(|c| (c.id, format::display_name(&c.contact))))
    else {
        store.modal.set(None);
        return ().into_any();
    };
    let (title, body, action) = if delete {
        (
            format!("Delete chat with {name}?"),
            "The chat and its messages disappear for everyone in your team.",
            "Delete chat",
        )
    } else {
        (
            format!("Clear chat with {name}?"),
            "Its messages disappear for everyone in your team; the chat stays.",
            "Clear chat",
        )
    };
    let confirm = move || {
        store.modal.set(None);
        if delete {
            store.delete(id);
        } else {
            store.change(id, crate::api::Change::Clear);
        }
    };
    view! {
        <Dialog title=title on_close=close class="confirm">
            <p class="sub">{body}</p>
            <div class="actions">
                <button class="btn secondary" on:click=move |_| close.run(())>"Cancel"</button>
                <button class="btn danger" data-autofocus on:click=move |_| confirm()>{action}</button>
            </div>
        </Dialog>
    }
    .into_any()
}
