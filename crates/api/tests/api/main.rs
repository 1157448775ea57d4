//! The HTTP API, spoken to over HTTP: the real server on a random port, a
//! fresh database per test, and Meta's Cloud API played by a wiremock server.

mod helpers;
mod sse;

mod auth;
mod contract;
mod conversations;
mod crash;
mod errors;
mod events;
mod failed_webhooks;
mod faults;
mod identities;
mod isolation;
mod logs;
mod memory;
mod messages;
mod operations;
mod outage;
mod replicas;
mod search;
mod secrets;
mod serve;
mod web;
mod webhooks;
