//! The Inbox server: configuration, the HTTP API, and the command-line tasks
//! (`inbox migrate`, `seed-demo`, ...). `main.rs` only parses arguments.

pub mod auth;
pub mod callbacks;
pub mod config;
pub mod error;
pub mod events;
pub mod extract;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod seed;
pub mod seed_bench;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod workers;
