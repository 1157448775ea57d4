//! Inbox's domain: entities, the message state machine, and the services of
//! the plan (sections 6.1 and 6.2) over PostgreSQL.
//!
//! Every function takes the caller's company id and finds nothing of another
//! company. SQL lives with its aggregate (`contacts`, `conversations`,
//! `messages`, ...) and takes any executor, so services compose it inside
//! their own transactions.

pub mod auth;
pub mod channels;
pub mod companies;
pub mod contacts;
pub mod conversations;
pub mod delivery;
pub mod error;
pub mod events;
pub mod identities;
pub mod inbound;
pub mod messages;
pub mod outbox;
pub mod perf;
pub mod provider;
pub mod send;
pub mod users;
pub mod webhook_events;

pub use auth::Actor;
pub use error::{DomainError, DomainResult};

/// The schema's migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");
