//! The Inbox server: configuration, the HTTP app, and the command-line tasks
//! (`inbox migrate`, `seed-demo`, ...). `main.rs` only parses arguments.

pub mod config;
pub mod seed;
pub mod server;
