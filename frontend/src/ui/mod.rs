//! The screens and their parts.

pub mod avatar;
pub mod chat;
pub mod dialog;
pub mod inbox;
pub mod login;
pub mod menu;
pub mod modals;
pub mod new_chat;
pub mod sidebar;
pub mod toasts;
