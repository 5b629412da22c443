//! The reference central API, tested over real HTTP on a loopback port. Each test starts its own
//! server with its own database.

mod auth;
mod common;
mod deals;
mod edge;
mod faults;
mod feed;
mod fuzz;
mod lifecycle;
mod limits;
mod migrations;
mod mutations;
mod oauth;
mod openapi;
mod properties;
mod quotes;
mod rules;
mod scope;
mod tokens;
