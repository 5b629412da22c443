//! The demo program: a deterministic, seeded generator of a realistic partner program.
//!
//! Same seed and config, same data, byte for byte: ids, names and amounts come from one ChaCha
//! stream, and dates are offsets from `as_of`. What it guarantees (and its tests check):
//! partners in every tier, region and brand, with rates inside their tier's band; exclusive
//! territories only where the benefits matrix allows them and never two claims on one country;
//! customers whose brand serves their country; deployments over the 24 months before `as_of`;
//! a ledger whose purchases cover every consumption (no balance ever dips below zero), priced with
//! the program's own purchase math; NPS responses; and a few zero-credit customer migrations.

mod catalog;
mod customers;
mod deals;
mod ledger;
mod names;
mod partners;

pub use catalog::{catalog, fx_rates};
pub use partners::unclaimed_places;

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use program::contract::Dataset;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use customers::{customers, deployments, migrations, nps};
use deals::deals;
use ledger::ledger;
use names::{FIRST_NAMES, LAST_NAMES};
use partners::{partners, territories};

/// How much to generate, and for which day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    /// The day the data is "as of": deployments run up to it, never after.
    pub as_of: NaiveDate,
    pub partners: usize,
    pub customers: usize,
    pub deployments: usize,
}

impl DemoConfig {
    pub const DEFAULT_SEED: u64 = 20_261_124;

    /// The demo workspace: about 40 partners, 2,000 customers and 20,000 deployments.
    pub fn small(as_of: NaiveDate) -> DemoConfig {
        DemoConfig::with_deployments(as_of, 20_000)
    }

    /// A program scaled to `deployments` (partners and customers grow with it): 20,000 gives the
    /// small workspace, 1,000,000 about 280 partners and 100,000 customers.
    pub fn with_deployments(as_of: NaiveDate, deployments: usize) -> DemoConfig {
        let customers = (deployments / 10).max(12);
        // Partners grow with the square root of the program: big programs have bigger partners.
        let partners = ((40.0 * (deployments as f64 / 20_000.0).sqrt()).round() as usize).max(12);
        DemoConfig {
            seed: Self::DEFAULT_SEED,
            as_of,
            partners,
            customers,
            deployments,
        }
    }
}

/// The generation of the demo world: raised whenever what `generate` makes changes in a way a
/// world made before could not follow (new fields, rules it would break). The app keeps one demo
/// database per generation. 2: tier histories, territories by subdivision. 3: partner logos.
pub const GENERATION: u32 = 3;

struct Gen {
    rng: ChaCha8Rng,
    as_of: NaiveDate,
    /// The clock of [`Gen::uuid`], in Unix milliseconds: one tick per id.
    id_clock: u64,
}

impl Gen {
    /// A new id: a UUIDv7, as the platform assigns them, time-ordered in the order records are
    /// created (here: generated, one millisecond apart), with seeded random bits. Ordered ids are
    /// what keep every id index, the server's and the client's, growing at its end.
    fn uuid(&mut self) -> Uuid {
        self.id_clock += 1;
        uuid::Builder::from_unix_timestamp_millis(self.id_clock, &self.rng.gen()).into_uuid()
    }

    /// A UUIDv7 for a record created at `at` (ledger lines: created when they happen).
    fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
        uuid::Builder::from_unix_timestamp_millis(millis, &self.rng.gen()).into_uuid()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("non-empty list")
    }

    fn days_ago(&self, days: u64) -> NaiveDate {
        self.as_of - Days::new(days)
    }

    /// A random day in `days` days before `as_of`.
    fn day_back(&mut self, days: std::ops::Range<u64>) -> NaiveDate {
        let n = self.rng.gen_range(days);
        self.days_ago(n)
    }

    fn person(&mut self) -> String {
        format!("{} {}", self.pick(FIRST_NAMES), self.pick(LAST_NAMES))
    }

    /// `seconds` after midnight UTC on `day` (events of one day keep their order), but on the
    /// workspace's own day no later than [`LATEST_ON_AS_OF`]: the demo is as of the start of its
    /// day, so nothing in it lies in the future of whoever opens it that day.
    fn at(&self, day: NaiveDate, seconds: u32) -> DateTime<Utc> {
        let seconds = if day >= self.as_of {
            seconds.min(LATEST_ON_AS_OF)
        } else {
            seconds
        };
        midnight_plus(day, seconds)
    }
}

/// Generates the whole program.
/// The web domain the demo gives a company: its normalized name under `.example`, so two
/// companies share a domain exactly when they share a name.
fn domain_of(company: &str) -> String {
    format!(
        "{}.example",
        program::deals::normalize_company(company).replace(' ', "-")
    )
}

/// The latest time of day (seconds after midnight UTC) of anything on the workspace's own day.
pub const LATEST_ON_AS_OF: u32 = 120;

fn midnight_plus(day: NaiveDate, seconds: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)) + chrono::Duration::seconds(seconds.into())
}

pub fn generate(config: &DemoConfig) -> Dataset {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        as_of: config.as_of,
        // Ten years before the workspace's date, so ids read as plausible creation times.
        id_clock: u64::try_from(
            midnight_plus(config.as_of - Months::new(120), 0).timestamp_millis(),
        )
        .unwrap_or_default(),
    };
    let catalog = catalog();
    let partners = partners(&mut g, config.partners.max(12));
    let territories = territories(&mut g, &partners);
    let (mut customers, quality) = customers(&mut g, &partners, config.customers);
    let migrations = migrations(&mut g, &partners, &mut customers);
    let deployments = deployments(
        &mut g,
        &partners,
        &customers,
        &migrations,
        &catalog,
        config.deployments,
    );
    let nps = nps(&mut g, &customers, &migrations, &quality);
    let ledger = ledger(&mut g, &partners, &customers, &deployments, &migrations);
    let deals = deals(&mut g, &partners, &territories, &customers, &catalog);
    Dataset {
        partners,
        territories,
        customers,
        deployments,
        ledger,
        nps,
        catalog,
        migrations,
        deals,
    }
}

#[cfg(test)]
mod tests;
