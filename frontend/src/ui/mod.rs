//! The screens and their parts.

pub mod chat;
pub mod chat_search;
pub mod found;
pub mod inbox;
pub mod login;
pub mod modals;
pub mod sidebar;
pub mod toasts;
pub mod widgets;
