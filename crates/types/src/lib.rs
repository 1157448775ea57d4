//! Types shared by the Inbox server and the browser app.
//!
//! Everything here compiles to `wasm32-unknown-unknown`: no database, no I/O.
//! Requests are parsed into the newtypes below once, at the boundary; code
//! past that point can trust them.

pub mod content;
pub mod cursor;
pub mod dto;
pub mod error;
pub mod filter;
pub mod identity;
pub mod ids;
pub mod live;
pub mod phone;
pub mod search;
pub mod status;
pub mod text;
pub mod timeline;

pub use content::{MessageContent, MessageKind};
pub use cursor::Cursor;
pub use error::{ErrorBody, ErrorCode, ValidationError};
pub use filter::ConversationFilter;
pub use identity::{Bsuid, WaId};
pub use ids::*;
pub use live::LiveEvent;
pub use phone::{E164Phone, NumberRule, PhoneRegion};
pub use status::{MessageDirection, MessageStatus};
pub use text::MessageText;
