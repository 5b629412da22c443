//! Territory deals, offline: the pipeline of a partner, registering and moving deals with no
//! network, and the platform's decisions when they come back.
//!
//! The `deals` table mirrors the platform's copy and only sync writes it. A user's registrations
//! and edits wait in the outbox (each in one transaction with `synchronous = FULL`), and every
//! screen shows a deal as the platform's copy with the user's pending changes applied on top, by
//! the same [`program::deals::merge_edit`] the platform runs. So a refused change falls away by
//! itself, a download never overwrites what the user typed, and nothing the user did is lost.
//!
//! Before saving, [`check`] runs the program's rules against the cache: brand by region, the
//! partner's brands and the catalog (which the cache knows fully: a registration breaking them is
//! not saved), then the territory map and the registrations the cache holds (which may be stale:
//! these are warnings, and the platform decides).

mod list;
mod map;
mod model;
mod register;
mod shown;

pub use list::{all, list, pipeline};
pub use model::{
    CatalogChoice, DealCheck, DealForm, DealList, DealView, MapArea, MapClaim, MapDeals, Pipeline,
    PipelineCell, TerritoryMap, EXPIRING_WITHIN_DAYS,
};
pub use register::{check, edit, register};
pub use shown::deals_of;
