//! Reference implementation of the central API.
//!
//! `demo` generates a deterministic partner program at any scale; `server` serves it over HTTP
//! as the contract in `program::contract` says, with fault injection for testing clients.

pub mod demo;
pub mod server;
