//! Domain services against a real PostgreSQL: each test gets a fresh
//! database with all migrations applied (`#[sqlx::test]`).

mod auth;
mod common;
mod concurrency;
mod contacts_and_conversations;
mod delivery;
mod events;
mod identities;
mod inbound;
mod listing;
mod management;
mod messages;
mod schema;
mod search;
mod send;
