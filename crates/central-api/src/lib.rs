//! Reference implementation of the central API.

pub mod demo;
