//! The partner program as code.
//!
//! This crate owns the rules of the partner program published in `partner-program.txt`: tiers and
//! their discount bands, the benefits matrix, Activation Credits and the money math around them,
//! brands bound to regions, territories and deal registration, tier progression and customer migration. It is pure: no
//! I/O, no clock, no database. Callers pass values in and get values (or a clear error) back.
//!
//! `contract` holds the wire types of the central API, shared by the desktop client and the
//! reference server so the two cannot drift.

pub mod benefits;
pub mod contract;
pub mod credits;
pub mod deals;
pub mod entities;
pub mod integral;
pub mod lang;
pub mod logo;
pub mod metrics;
pub mod migration;
pub mod money;
pub mod progression;
pub mod qbr;
pub mod quotes;
pub mod regions;
pub mod sku;
pub mod subdivisions;
pub mod tiers;

pub use benefits::{Benefit, Entitlement};
pub use credits::{credits_for_fiat, fiat_for_credits, FxRate};
pub use lang::Lang;
pub use migration::CustomerMigration;
pub use money::{Credits, Currency, Money, MoneyError};
pub use regions::{Brand, BrandRegionError, Country, Region};
pub use subdivisions::Subdivision;
pub use tiers::{DiscountBand, DiscountRate, RateError, Tier, TierChange, TierHistoryError};
