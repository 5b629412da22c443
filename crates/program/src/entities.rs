//! The program's entities as the central API sends them: partners, territories, customers,
//! deployments, ledger entries, NPS responses and the catalog, with their ids. Exact decimals
//! travel as strings, dates as ISO 8601 and ids as UUIDs; the checks the program demands (a rate
//! inside its band, a brand inside its region) are methods, so client and server run the same.
//! The wire envelope around them (the feed, mutations, problems) is `contract`.

pub use crate::sku::{is_sku, MAX_SKU};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::money::{Credits, Currency, Money};
use crate::regions::{Brand, BrandRegionError, Country, Region};
use crate::subdivisions::{Subdivision, SubdivisionError};
use crate::tiers::{self, DiscountRate, RateError, Tier, TierChange, TierHistoryError};

/// An id type: a UUID with its own name, so a partner's id is never taken for a customer's. It
/// prints and parses as the bare UUID, and crosses the wire and IPC as a string.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, ::ts_rs::TS,
        )]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        #[ts(type = "string")]
        pub struct $name(pub ::uuid::Uuid);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}
pub(crate) use id_type;

id_type!(
    PartnerId,
    TerritoryId,
    CustomerId,
    DeploymentId,
    LedgerEntryId,
    NpsResponseId,
    MigrationId,
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub tier: Tier,
    /// The partner's discount on Activation Credits, as a fraction; must lie in the tier's band.
    pub discount_rate: Decimal,
    /// Headquarters.
    pub country: Country,
    pub brands: Vec<Brand>,
    /// The currency the partner buys credits in.
    pub currency: Currency,
    pub joined_on: NaiveDate,
    pub account_manager: String,
    /// Every tier the partner has held, oldest first: Authorized on `joined_on`, then each change
    /// on the day it took effect; the last is `tier`. Append-only.
    pub tier_history: Vec<TierChange>,
    /// The partner's logo, an SVG (`crate::logo::check_logo`); without one, decks show the brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
}

impl Partner {
    /// The first step of the tier history of a partner joining on `joined_on`: Authorized.
    pub fn joining(joined_on: NaiveDate) -> Vec<TierChange> {
        vec![TierChange {
            tier: Tier::entry(),
            on: joined_on,
        }]
    }

    /// The tier in force on `day`, by the tier history.
    pub fn tier_on(&self, day: NaiveDate) -> Tier {
        tiers::tier_on(&self.tier_history, day)
    }

    /// The tier history's rules: it starts at Authorized on the joining day, changes follow one
    /// another, and the last is the current tier.
    pub fn check_tier_history(&self) -> Result<(), TierHistoryError> {
        tiers::check_tier_history(&self.tier_history, self.joined_on, self.tier)
    }

    /// The partner moved to `tier` on `on` at `rate` (which must lie in the new tier's band): the
    /// tier history gains the step. A move to the tier it holds only changes the rate.
    pub fn move_to(&mut self, tier: Tier, rate: Decimal, on: NaiveDate) {
        if tier != self.tier {
            self.tier_history.push(TierChange { tier, on });
            self.tier = tier;
        }
        self.discount_rate = rate;
    }

    pub fn region(&self) -> Region {
        self.country.region()
    }

    /// The rate, checked against the tier's band.
    pub fn discount(&self) -> Result<DiscountRate, RateError> {
        DiscountRate::new(self.tier, self.discount_rate)
    }
}

/// How exclusive a territory is. Only Regional (regional) and Strategic (country-level) partners
/// may hold exclusivity, decided case by case by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Exclusivity {
    None,
    Regional,
    CountryLevel,
}

impl Exclusivity {
    /// Whether `tier` may hold this kind of exclusivity under the benefits matrix.
    pub fn allowed_for(self, tier: Tier) -> bool {
        match self {
            Exclusivity::None => true,
            Exclusivity::Regional => tier == Tier::Regional,
            Exclusivity::CountryLevel => tier == Tier::Strategic,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Territory {
    pub id: TerritoryId,
    pub partner_id: PartnerId,
    pub region: Region,
    /// The country an exclusive territory lies in; None (for a territory without exclusivity
    /// only) is the whole region.
    pub country: Option<Country>,
    /// The first-level subdivisions of `country` a Regional exclusivity covers (one or more);
    /// empty for a whole country. See [`Territory::check`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subdivisions: Vec<Subdivision>,
    pub exclusivity: Exclusivity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Customer {
    pub id: CustomerId,
    /// The partner of record today (changes only through a migration).
    pub partner_id: PartnerId,
    pub name: String,
    /// The customer's web domain, when known: with the name, what tells a prospect is already a
    /// customer (see [`crate::deals::served_by`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub country: Country,
    /// The state, province or region, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<Subdivision>,
    pub brand: Brand,
    pub founder: String,
    pub created_on: NaiveDate,
}

impl Customer {
    pub fn check_brand(&self) -> Result<(), BrandRegionError> {
        self.brand.check_serves(self.country)
    }

    /// The customer names its state, province or region where its country has them.
    pub fn check_place(&self) -> Result<(), SubdivisionError> {
        Subdivision::check_place(self.country, self.subdivision)
    }
}

/// How a deployment consumes credits: once, or every month while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    OneOff,
    Monthly,
}

impl Billing {
    pub const ALL: [Billing; 2] = [Billing::OneOff, Billing::Monthly];

    /// As the wire and the caches write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Billing::OneOff => "one_off",
            Billing::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Billing> {
        Billing::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Deployment {
    pub id: DeploymentId,
    pub customer_id: CustomerId,
    /// The partner that made the deployment.
    pub partner_id: PartnerId,
    #[cfg_attr(
        feature = "schema",
        schemars(
            regex(pattern = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
            length(min = 1, max = 40)
        )
    )]
    pub sku: String,
    pub billing: Billing,
    /// Credits consumed: once for a one-off deployment, per month for a recurring one.
    pub credits: Credits,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl Deployment {
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| end > day)
    }

    /// The program's rules on a deployment of catalog `item` for `customer`, made by `partner`,
    /// the customer's partner of record on the day the deployment starts (the caller finds it
    /// from the customer's migrations): the item serves the customer's brand and is billed as the
    /// catalog bills it, the credits are a whole number of its list price, it starts no earlier
    /// than the partner joined, an early-access item
    /// is deployed only by a partner whose tier had early access that day, and a deployment ends
    /// after it starts.
    pub fn check(
        &self,
        customer: &Customer,
        partner: &Partner,
        item: &CatalogItem,
    ) -> Result<(), DeploymentError> {
        let sku = || self.sku.clone();
        if self.partner_id != partner.id {
            return Err(DeploymentError::NotPartnerOfRecord {
                started_on: self.started_on,
            });
        }
        if self.started_on < partner.joined_on {
            return Err(DeploymentError::BeforeJoining {
                joined_on: partner.joined_on,
            });
        }
        if !item.brands.contains(&customer.brand) {
            return Err(DeploymentError::BrandNotServed {
                sku: sku(),
                brand: customer.brand,
            });
        }
        if self.billing != item.billing {
            return Err(DeploymentError::Billing {
                sku: sku(),
                billing: item.billing.as_str(),
            });
        }
        let (credits, price) = (self.credits.minor(), item.list_price.minor());
        let (Ok(credits), Ok(price)) = (credits, price) else {
            return Err(DeploymentError::Credits {
                sku: sku(),
                price: item.list_price,
                credits: self.credits,
            });
        };
        if credits <= 0 || price <= 0 || credits % price != 0 {
            return Err(DeploymentError::Credits {
                sku: sku(),
                price: item.list_price,
                credits: self.credits,
            });
        }
        let tier = partner.tier_on(self.started_on);
        if item.early_access && !crate::Benefit::EarlyAccess.for_tier(tier).is_granted() {
            return Err(DeploymentError::EarlyAccess {
                sku: sku(),
                tier,
                started_on: self.started_on,
            });
        }
        match self.ended_on {
            Some(end) if end <= self.started_on => Err(DeploymentError::EndsBeforeStart {
                started_on: self.started_on,
                ended_on: end,
            }),
            _ => Ok(()),
        }
    }
}

/// Why a deployment breaks the program's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeploymentError {
    #[error(
        "a deployment is made by the customer's partner of record on the day it starts ({started_on})"
    )]
    NotPartnerOfRecord { started_on: NaiveDate },
    #[error("a partner deploys from the day it joins the program ({joined_on}), not before")]
    BeforeJoining { joined_on: NaiveDate },
    #[error("{sku} is not sold under {brand}, the customer's brand")]
    BrandNotServed { sku: String, brand: Brand },
    #[error("{sku} is billed {billing}, as the catalog bills it")]
    Billing { sku: String, billing: &'static str },
    #[error("a deployment of {sku} consumes a whole number of its list price ({price} credits), not {credits}")]
    Credits {
        sku: String,
        price: Credits,
        credits: Credits,
    },
    #[error("{sku} is in early access: the {tier} tier the partner held on {started_on} has no early access")]
    EarlyAccess {
        sku: String,
        tier: Tier,
        started_on: NaiveDate,
    },
    #[error("a deployment ends after it starts ({ended_on} is not after {started_on})")]
    EndsBeforeStart {
        started_on: NaiveDate,
        ended_on: NaiveDate,
    },
}

/// What a line of the credit ledger records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Purchase,
    Consumption,
    /// A customer's migration: always 0 credits.
    Migration,
    Adjustment,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 4] = [
        LedgerKind::Purchase,
        LedgerKind::Consumption,
        LedgerKind::Migration,
        LedgerKind::Adjustment,
    ];

    /// As the wire and the caches write it.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Purchase => "purchase",
            LedgerKind::Consumption => "consumption",
            LedgerKind::Migration => "migration",
            LedgerKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<LedgerKind> {
        LedgerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why the platform adjusted a partner's credits: a closed list. Credits are not money, so no
/// adjustment transfers them to another partner or refunds them for cash; each adjusts one
/// partner's own ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    /// Fixes a mistake in the partner's own ledger: adds or removes.
    Correction,
    /// Credits the platform grants the partner: adds only.
    Goodwill,
    /// Credits that lapsed under the program's terms: removes only.
    Expiry,
}

impl AdjustmentReason {
    pub const ALL: [AdjustmentReason; 3] = [
        AdjustmentReason::Correction,
        AdjustmentReason::Goodwill,
        AdjustmentReason::Expiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentReason::Correction => "correction",
            AdjustmentReason::Goodwill => "goodwill",
            AdjustmentReason::Expiry => "expiry",
        }
    }

    pub fn parse(s: &str) -> Option<AdjustmentReason> {
        AdjustmentReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One line of a partner's append-only credit ledger. Credits are signed: purchases add,
/// consumptions subtract, migrations are always zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub partner_id: PartnerId,
    pub at: DateTime<Utc>,
    pub kind: LedgerKind,
    pub credits: Credits,
    /// For purchases: the fiat paid and the discount rate applied.
    pub fiat: Option<Money>,
    pub rate: Option<Decimal>,
    pub deployment_id: Option<DeploymentId>,
    pub customer_id: Option<CustomerId>,
    /// For consumptions: the consumed deployment's billing, carried on the line so that
    /// recurring volume is read from the ledger alone. Absent from older feeds: the client then
    /// looks the deployment up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    /// For adjustments: why, from the closed list. Nothing else carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<AdjustmentReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a purchase must add credits and record the fiat paid and the rate applied")]
    BadPurchase,
    #[error("a consumption must subtract credits and name its deployment")]
    BadConsumption,
    #[error("a customer migration costs 0 credits")]
    MigrationWithCredits,
    #[error("only a consumption carries its deployment's billing")]
    BillingOutsideConsumption,
    #[error("an adjustment needs a reason: correction, goodwill or expiry")]
    AdjustmentWithoutReason,
    #[error("only an adjustment carries a reason")]
    ReasonOutsideAdjustment,
    #[error("an adjustment changes credits: it cannot be zero")]
    EmptyAdjustment,
    #[error(
        "a {0} adjustment cannot go that way: goodwill only adds credits, expiry only removes them"
    )]
    AdjustmentSign(&'static str),
    #[error("an adjustment moves credits, never money: it records no fiat and no rate")]
    AdjustmentWithMoney,
}

impl LedgerEntry {
    /// An adjustment: a reason from the closed list, in the direction the reason allows, some
    /// credits, and no money.
    fn check_adjustment(&self) -> Result<(), LedgerError> {
        let Some(reason) = self.reason else {
            return Err(LedgerError::AdjustmentWithoutReason);
        };
        if self.fiat.is_some() || self.rate.is_some() {
            return Err(LedgerError::AdjustmentWithMoney);
        }
        match reason {
            _ if self.credits == Credits::ZERO => Err(LedgerError::EmptyAdjustment),
            AdjustmentReason::Goodwill if self.credits < Credits::ZERO => {
                Err(LedgerError::AdjustmentSign(reason.as_str()))
            }
            AdjustmentReason::Expiry if self.credits > Credits::ZERO => {
                Err(LedgerError::AdjustmentSign(reason.as_str()))
            }
            _ => Ok(()),
        }
    }

    pub fn validate(&self) -> Result<(), LedgerError> {
        match self.kind {
            LedgerKind::Purchase
                if self.credits <= Credits::ZERO || self.fiat.is_none() || self.rate.is_none() =>
            {
                Err(LedgerError::BadPurchase)
            }
            LedgerKind::Consumption
                if self.credits >= Credits::ZERO || self.deployment_id.is_none() =>
            {
                Err(LedgerError::BadConsumption)
            }
            LedgerKind::Migration if self.credits != Credits::ZERO => {
                Err(LedgerError::MigrationWithCredits)
            }
            kind if kind != LedgerKind::Consumption && self.billing.is_some() => {
                Err(LedgerError::BillingOutsideConsumption)
            }
            LedgerKind::Adjustment => self.check_adjustment(),
            _ if self.reason.is_some() => Err(LedgerError::ReasonOutsideAdjustment),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NpsResponse {
    pub id: NpsResponseId,
    pub customer_id: CustomerId,
    pub partner_id: PartnerId,
    pub answered_on: NaiveDate,
    /// 0..=10.
    pub score: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CatalogKind {
    CoreBundle,
    Skill,
    Pack,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CatalogItem {
    #[cfg_attr(
        feature = "schema",
        schemars(
            regex(pattern = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
            length(min = 1, max = 40)
        )
    )]
    pub sku: String,
    pub name: String,
    pub kind: CatalogKind,
    /// List price in credits: per deployment for one-off items, per month for recurring ones.
    pub list_price: Credits,
    pub billing: Billing,
    pub brands: Vec<Brand>,
    pub early_access: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{CustomerMigration, Initiator};
    use uuid::Uuid;

    #[test]
    fn billing_and_ledger_kinds_read_back_as_the_wire_writes_them() {
        for b in Billing::ALL {
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
            assert_eq!(Billing::parse(b.as_str()), Some(b));
        }
        for k in LedgerKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(LedgerKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Billing::parse("weekly"), None);
        assert_eq!(LedgerKind::parse("refund"), None);
    }

    #[test]
    fn only_a_consumption_carries_its_deployments_billing() {
        let line = |kind, credits: i64, billing| LedgerEntry {
            id: LedgerEntryId(uuid::Uuid::nil()),
            partner_id: PartnerId(uuid::Uuid::nil()),
            at: chrono::DateTime::UNIX_EPOCH,
            kind,
            credits: Credits::whole(credits),
            fiat: None,
            rate: None,
            deployment_id: Some(DeploymentId(uuid::Uuid::nil())),
            customer_id: None,
            billing,
            reason: None,
        };
        assert_eq!(
            line(LedgerKind::Consumption, -5, Some(Billing::Monthly)).validate(),
            Ok(())
        );
        assert_eq!(line(LedgerKind::Consumption, -5, None).validate(), Ok(()));
        assert_eq!(
            line(LedgerKind::Adjustment, 5, Some(Billing::OneOff)).validate(),
            Err(LedgerError::BillingOutsideConsumption)
        );
    }

    fn adjustment(credits: i64, reason: Option<AdjustmentReason>) -> LedgerEntry {
        LedgerEntry {
            id: LedgerEntryId(uuid::Uuid::nil()),
            partner_id: PartnerId(uuid::Uuid::nil()),
            at: chrono::DateTime::UNIX_EPOCH,
            kind: LedgerKind::Adjustment,
            credits: Credits::whole(credits),
            fiat: None,
            rate: None,
            deployment_id: None,
            customer_id: None,
            billing: None,
            reason,
        }
    }

    #[test]
    fn credits_are_never_money_an_adjustment_needs_a_reason_from_the_closed_list() {
        assert_eq!(
            adjustment(5, None).validate(),
            Err(LedgerError::AdjustmentWithoutReason)
        );
        for reason in AdjustmentReason::ALL {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
            assert_eq!(AdjustmentReason::parse(reason.as_str()), Some(reason));
        }
        // The list has no transfer and no refund: credits never move between partners or back
        // into money.
        for word in ["transfer", "refund", "cash_out"] {
            assert_eq!(AdjustmentReason::parse(word), None);
            assert!(serde_json::from_value::<AdjustmentReason>(serde_json::json!(word)).is_err());
        }
        // A reason belongs to adjustments only.
        let mut purchase = adjustment(5, Some(AdjustmentReason::Goodwill));
        purchase.kind = LedgerKind::Migration;
        purchase.credits = Credits::ZERO;
        assert_eq!(
            purchase.validate(),
            Err(LedgerError::ReasonOutsideAdjustment)
        );
    }

    #[test]
    fn credits_are_never_money_goodwill_only_adds_and_expiry_only_removes() {
        use AdjustmentReason::*;
        assert_eq!(adjustment(5, Some(Goodwill)).validate(), Ok(()));
        assert_eq!(
            adjustment(-5, Some(Goodwill)).validate(),
            Err(LedgerError::AdjustmentSign("goodwill"))
        );
        assert_eq!(adjustment(-5, Some(Expiry)).validate(), Ok(()));
        assert_eq!(
            adjustment(5, Some(Expiry)).validate(),
            Err(LedgerError::AdjustmentSign("expiry"))
        );
        assert_eq!(adjustment(5, Some(Correction)).validate(), Ok(()));
        assert_eq!(adjustment(-5, Some(Correction)).validate(), Ok(()));
        assert_eq!(
            adjustment(0, Some(Correction)).validate(),
            Err(LedgerError::EmptyAdjustment)
        );
    }

    #[test]
    fn credits_are_never_money_an_adjustment_records_no_fiat_and_no_rate() {
        let mut paid = adjustment(5, Some(AdjustmentReason::Goodwill));
        paid.fiat = Some(crate::money::Money::from_minor(
            500,
            crate::money::Currency::USD,
        ));
        assert_eq!(paid.validate(), Err(LedgerError::AdjustmentWithMoney));
        let mut rated = adjustment(5, Some(AdjustmentReason::Goodwill));
        rated.rate = Some(rust_decimal::Decimal::new(10, 2));
        assert_eq!(rated.validate(), Err(LedgerError::AdjustmentWithMoney));
    }

    #[test]
    fn territory_exclusivity_follows_the_benefits_matrix() {
        use Exclusivity::*;
        for tier in [Tier::Authorized, Tier::Specialist] {
            assert!(!Regional.allowed_for(tier) && !CountryLevel.allowed_for(tier));
        }
        assert!(Regional.allowed_for(Tier::Regional) && !CountryLevel.allowed_for(Tier::Regional));
        assert!(CountryLevel.allowed_for(Tier::Strategic));
    }

    #[test]
    fn migration_ledger_line_carries_zero_credits() {
        let m = CustomerMigration::new(
            MigrationId(Uuid::from_u128(1)),
            CustomerId(Uuid::from_u128(2)),
            PartnerId(Uuid::from_u128(3)),
            PartnerId(Uuid::from_u128(4)),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            Initiator::Founder("Lu".into()),
        )
        .unwrap();
        let line = LedgerEntry::for_migration(LedgerEntryId(Uuid::from_u128(5)), &m, Utc::now());
        assert_eq!(line.credits, Credits::ZERO);
        assert!(line.validate().is_ok());
        let mut bad = line;
        bad.credits = Credits::whole(1);
        assert_eq!(bad.validate(), Err(LedgerError::MigrationWithCredits));
    }
}
