//! Widgets the screens share. Screens import these, never each other's
//! components.

pub mod avatar;
pub mod dialog;
pub mod menu;
pub mod new_chat;
pub mod rich_text;
