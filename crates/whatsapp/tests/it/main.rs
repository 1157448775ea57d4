//! The providers against HTTP fakes of Meta's and Twilio's APIs: what we
//! send, and how every kind of answer is classified.

mod common;
mod dispatch;
mod inbound_content;
mod meta;
mod properties;
mod sandbox;
mod secrets;
mod twilio;
