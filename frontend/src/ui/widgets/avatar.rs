use inbox_types::dto::ContactDto;
use leptos::prelude::*;

use crate::format;
use crate::icons::{Icon, icon};

/// A round avatar: the picture when there is one, else initials on a colour
/// from the name, else a person (or group) icon.
#[component]
pub fn Avatar(contact: ContactDto, #[prop(optional)] small: bool) -> impl IntoView {
    let colour = format::avatar_colour(&format::display_name(&contact));
    let class = if small { "avatar sm" } else { "avatar" };
    let inner = match (&contact.avatar, contact.is_group, format::initials(contact.name.as_deref())) {
        (Some(url), _, _) if url.starts_with("https://") || url.starts_with("/") => {
            view! { <img src=url.clone() alt="" /> }.into_any()
        }
        (_, true, _) => icon(Icon::Group).into_any(),
        (_, false, Some(letters)) => letters.into_any(),
        (_, false, None) => icon(Icon::Person).into_any(),
    };
    view! {
        <div class=class style=format!("--c:{colour}") aria-hidden="true">
            {inner}
        </div>
    }
}

/// The signed-in agent's own avatar.
#[component]
pub fn UserAvatar(name: String) -> impl IntoView {
    let colour = format::avatar_colour(&name);
    let letters = format::initials(Some(&name)).unwrap_or_default();
    view! {
        <div class="avatar sm" style=format!("--c:{colour}") title=format!("{name} (you)") aria-hidden="true">
            {letters}
        </div>
    }
}
