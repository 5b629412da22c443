//! Territory deals: registration, the rules that accept or refuse one, expiry and the pipeline.
//!
//! The reference server decides every registration with [`check_registration`] and every edit
//! with [`merge_edit`]; the desktop client runs the same functions against its cache before it
//! saves, so what it warns about is what the server will say. The only difference is what each
//! side knows: the server sees every registration and every exclusive territory, a client only the
//! ones its cache holds.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::benefits::Benefit;
use crate::entities::{CatalogItem, PartnerId, TerritoryId};
use crate::money::Credits;
use crate::regions::{Brand, Country, Region};
use crate::subdivisions::{Subdivision, SubdivisionError};
use crate::tiers::Tier;

mod edit;
mod prospect;
mod territory;

pub use edit::{merge_edit, products_edited, DealEdit, EditError};
pub use prospect::{
    normalize_company, normalize_domain, served_by, KnownCustomer, Prospect, ServedBy,
};
pub use territory::{TerritoryClaim, TerritoryRule};

crate::entities::id_type!(
    /// A deal's id: a UUIDv7 made by the device that registered it.
    DealId
);

/// Where a deal stands in the sales process. Won and lost are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStage {
    Registered,
    Qualified,
    Proposal,
    Won,
    Lost,
}

impl DealStage {
    pub const ALL: [DealStage; 5] = [
        DealStage::Registered,
        DealStage::Qualified,
        DealStage::Proposal,
        DealStage::Won,
        DealStage::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealStage::Registered => "registered",
            DealStage::Qualified => "qualified",
            DealStage::Proposal => "proposal",
            DealStage::Won => "won",
            DealStage::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<DealStage> {
        DealStage::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_closed(self) -> bool {
        matches!(self, DealStage::Won | DealStage::Lost)
    }

    /// Whether a deal may move from `self` to `to`: forward one stage or more, or to lost from any
    /// open stage; never out of won or lost, never back.
    pub fn may_move_to(self, to: DealStage) -> bool {
        !self.is_closed() && (to == DealStage::Lost || to > self)
    }

    /// How likely a deal at this stage is to close, for the quarter's forecast: 10 % registered,
    /// 25 % qualified, 50 % at proposal; won counts whole and lost not at all.
    pub fn forecast_weight(self) -> Decimal {
        match self {
            DealStage::Registered => Decimal::new(10, 2),
            DealStage::Qualified => Decimal::new(25, 2),
            DealStage::Proposal => Decimal::new(50, 2),
            DealStage::Won => Decimal::ONE,
            DealStage::Lost => Decimal::ZERO,
        }
    }
}

/// The platform's decision on a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Saved on this device, not yet decided by the platform.
    Pending,
    Approved,
    Refused,
    /// Approved once, but it sat in one stage longer than the registration lasts.
    Expired,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Pending => "pending",
            DealStatus::Approved => "approved",
            DealStatus::Refused => "refused",
            DealStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<DealStatus> {
        [
            DealStatus::Pending,
            DealStatus::Approved,
            DealStatus::Refused,
            DealStatus::Expired,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Why a registration is refused, or what a local check warns about. Each variant is one rule,
/// with what the user needs to understand it; the app words it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum DealRule {
    /// The brand does not serve the prospect's country.
    BrandRegion {
        brand: Brand,
        #[ts(type = "string")]
        country: Country,
    },
    /// The partner does not sell this brand.
    BrandNotCarried {
        brand: Brand,
    },
    /// The prospect's country is in no brand's region: the program sells nothing there.
    CountryServedByNone {
        country: String,
    },
    /// The prospect's country is divided into states, provinces or regions, and the
    /// registration names none (exclusive territories are drawn with them).
    SubdivisionNeeded {
        #[ts(type = "string")]
        country: Country,
    },
    /// The state, province or region named is not in the prospect's country.
    SubdivisionNotInCountry {
        #[ts(type = "string")]
        subdivision: Subdivision,
        #[ts(type = "string")]
        country: Country,
    },
    /// The prospect is in a territory another partner holds exclusively: its whole country, or
    /// the state, province or region the prospect is in. Names the place, not the holder (the
    /// territory map, seen by everyone, is where holders are shown).
    ExclusiveTerritory {
        region: Region,
        #[ts(type = "string | null")]
        country: Option<Country>,
        /// The prospect's subdivision, when the claim is a regional one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(type = "string | null", optional)]
        subdivision: Option<Subdivision>,
    },
    /// The prospect is a customer already: of the registering partner (a registration is for new
    /// prospects; an existing customer is quoted directly), or of another partner (no poaching: a
    /// customer changes partner only by a migration its founder starts). Names no other partner
    /// and nothing of its data.
    AlreadyCustomer {
        /// The registering partner's own customer.
        yours: bool,
    },
    /// A product of interest is in early access, a benefit the partner's tier does not have.
    EarlyAccessTier {
        sku: String,
        tier: Tier,
    },
    /// The same prospect, with overlapping products, is registered already. Another partner's
    /// registration is not described at all (not whose, not when, not for what): a refusal must
    /// not tell a prober about a competitor's pipeline.
    AlreadyRegistered {
        /// The registering partner's own earlier registration, described; None when it is
        /// another partner's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        yours: Option<EarlierRegistration>,
    },
    /// A product of interest is not in the catalog, or not offered under the deal's brand.
    UnknownProduct {
        sku: String,
    },
    ProductNotInBrand {
        sku: String,
        brand: Brand,
    },
    /// A product of interest is named twice.
    DuplicateProduct {
        sku: String,
    },
    /// Company, country or products are missing, or the value is negative.
    Incomplete {
        field: String,
    },
    /// A text or list is longer than the program keeps (company, domain, owner, notes: in
    /// characters; products: in entries).
    TooLong {
        field: String,
        max: u32,
    },
    /// The value is more than any deal is worth ([`DEAL_VALUE_MAX`] credits).
    ValueTooLarge {
        #[ts(type = "string")]
        max: Credits,
    },
    /// The registration sat in one stage longer than the policy allows.
    Expired {
        days: u32,
    },
}

/// The most credits a deal may be worth: a trillion. No sum of deal values then overflows, and a
/// mistyped value is refused rather than carried into every colleague's pipeline.
pub const DEAL_VALUE_MAX: i64 = 1_000_000_000_000;

/// The longest texts and lists a deal keeps, in characters (products: entries).
pub const COMPANY_MAX: u32 = 200;
pub const DOMAIN_MAX: u32 = 253;
pub const OWNER_MAX: u32 = 120;
pub const NOTES_MAX: u32 = 4_000;
pub const PRODUCTS_MAX: u32 = 50;

/// The first field of a deal past its bound ([`DEAL_VALUE_MAX`], [`COMPANY_MAX`]…), if any.
pub fn check_bounds(
    company: &str,
    domain: Option<&str>,
    owner: &str,
    notes: &str,
    products: &[String],
    value: Credits,
) -> Result<(), DealRule> {
    let chars = |s: &str| u32::try_from(s.chars().count()).unwrap_or(u32::MAX);
    for (field, len, max) in [
        ("company", chars(company), COMPANY_MAX),
        ("domain", domain.map_or(0, chars), DOMAIN_MAX),
        ("owner", chars(owner), OWNER_MAX),
        ("notes", chars(notes), NOTES_MAX),
        (
            "products",
            u32::try_from(products.len()).unwrap_or(u32::MAX),
            PRODUCTS_MAX,
        ),
    ] {
        if len > max {
            return Err(DealRule::TooLong {
                field: field.into(),
                max,
            });
        }
    }
    if value > Credits::whole(DEAL_VALUE_MAX) {
        return Err(DealRule::ValueTooLarge {
            max: Credits::whole(DEAL_VALUE_MAX),
        });
    }
    Ok(())
}

/// The catalog's rules for a deal's products, at registration and at every edit of them: each
/// SKU is in the catalog, offered under the deal's brand, early access only for the tiers it is
/// granted to, and named once.
pub fn check_products(
    products: &[String],
    brand: Brand,
    tier: Tier,
    catalog: &[CatalogItem],
) -> Result<(), DealRule> {
    for sku in products {
        match catalog.iter().find(|c| &c.sku == sku) {
            None => return Err(DealRule::UnknownProduct { sku: sku.clone() }),
            Some(item) if !item.brands.contains(&brand) => {
                return Err(DealRule::ProductNotInBrand {
                    sku: sku.clone(),
                    brand,
                })
            }
            Some(item)
                if item.early_access && !Benefit::EarlyAccess.for_tier(tier).is_granted() =>
            {
                return Err(DealRule::EarlyAccessTier {
                    sku: sku.clone(),
                    tier,
                })
            }
            Some(_) => {}
        }
    }
    let mut seen = BTreeSet::new();
    if let Some(sku) = products.iter().find(|sku| !seen.insert(sku.as_str())) {
        return Err(DealRule::DuplicateProduct { sku: sku.clone() });
    }
    Ok(())
}

/// What a registration asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DealInput {
    pub id: DealId,
    #[ts(type = "string")]
    pub partner_id: PartnerId,
    pub company: String,
    pub domain: Option<String>,
    #[ts(type = "string")]
    pub country: Country,
    /// The state, province or region, where the country has them.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub subdivision: Option<Subdivision>,
    pub brand: Brand,
    /// SKUs from the catalog.
    #[cfg_attr(
        feature = "schema",
        schemars(inner(
            regex(pattern = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
            length(min = 1, max = 40)
        ))
    )]
    pub products: Vec<String>,
    /// Estimated value in credits (1 credit = 1 USD of deployment value).
    #[ts(type = "string")]
    pub value: Credits,
    pub expected_close: Option<NaiveDate>,
    pub owner: String,
    pub notes: String,
}

/// A deal as the platform holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Deal {
    pub id: DealId,
    pub partner_id: PartnerId,
    pub company: String,
    pub domain: Option<String>,
    pub country: Country,
    /// The state, province or region, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<Subdivision>,
    pub brand: Brand,
    #[cfg_attr(
        feature = "schema",
        schemars(inner(
            regex(pattern = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
            length(min = 1, max = 40)
        ))
    )]
    pub products: Vec<String>,
    pub value: Credits,
    pub stage: DealStage,
    pub expected_close: Option<NaiveDate>,
    pub owner: String,
    pub notes: String,
    pub status: DealStatus,
    /// Why it was refused or expired.
    pub refusal: Option<DealRule>,
    pub registered_at: DateTime<Utc>,
    /// When the deal last moved stage (or was registered): the registration runs from here.
    pub stage_since: DateTime<Utc>,
    pub history: Vec<DealEvent>,
}

impl Deal {
    /// The deal a registration makes, before the platform has decided it.
    pub fn registered(input: DealInput, at: DateTime<Utc>, by: &str) -> Deal {
        Deal {
            id: input.id,
            partner_id: input.partner_id,
            company: input.company.trim().to_string(),
            domain: input.domain.filter(|d| !d.trim().is_empty()),
            country: input.country,
            subdivision: input.subdivision,
            brand: input.brand,
            products: input.products,
            value: input.value,
            stage: DealStage::Registered,
            expected_close: input.expected_close,
            owner: input.owner.trim().to_string(),
            notes: input.notes,
            status: DealStatus::Pending,
            refusal: None,
            registered_at: at,
            stage_since: at,
            history: vec![DealEvent {
                at,
                by: by.to_string(),
                what: DealChange::Registered,
            }],
        }
    }

    /// The day the registration lapses unless the deal moves stage; None once it is closed or no
    /// longer approved.
    pub fn expires_on(&self, registration_days: u32) -> Option<NaiveDate> {
        (matches!(self.status, DealStatus::Approved | DealStatus::Pending)
            && !self.stage.is_closed())
        .then(|| {
            self.stage_since
                .date_naive()
                .checked_add_days(Days::new(u64::from(registration_days)))
        })
        .flatten()
    }

    /// Whether the registration has lapsed on `today`.
    pub fn is_lapsed(&self, registration_days: u32, today: NaiveDate) -> bool {
        self.status == DealStatus::Approved
            && self
                .expires_on(registration_days)
                .is_some_and(|d| d <= today)
    }

    /// Whether this deal still holds its prospect against later registrations.
    pub fn holds_prospect(&self) -> bool {
        self.status == DealStatus::Approved && self.stage != DealStage::Lost
    }

    pub fn prospect(&self) -> Prospect {
        Prospect::new(&self.company, self.domain.as_deref())
    }
}

/// One entry of a deal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DealEvent {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub by: String,
    pub what: DealChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum DealChange {
    Registered,
    Approved,
    Refused {
        rule: DealRule,
    },
    Expired {
        days: u32,
    },
    /// A field set to a new value (as text, the way the history shows it).
    Set {
        field: DealField,
        from: String,
        to: String,
    },
    /// An edit made on another device lost to a change the platform had already accepted: the
    /// platform's value stays, and the losing value is kept here for its author to see.
    Lost {
        field: DealField,
        wanted: String,
        kept: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealField {
    Stage,
    Value,
    ExpectedClose,
    Owner,
    Notes,
    Products,
}

/// The registering partner's own earlier registration of a prospect, as a refusal describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EarlierRegistration {
    pub registered_on: NaiveDate,
    /// The products both registrations name.
    pub products: Vec<String>,
}

/// What the rules need to know about the registering partner.
#[derive(Debug, Clone)]
pub struct Registrant<'a> {
    pub id: PartnerId,
    /// Its tier today: early-access products need a tier with that benefit.
    pub tier: Tier,
    pub brands: &'a [Brand],
    /// The ids of the territories this partner holds (its own claims never block it).
    pub own_territories: &'a BTreeSet<TerritoryId>,
}

/// Checks a registration against every rule. Returns the first rule it breaks, in this order:
/// completeness, bounds, the place (its state, province or region where the country has them), brand by
/// region, the partner's brands, the catalog (early access included), the
/// customers partners already serve (no poaching), exclusive territories, then earlier
/// registrations. `earlier` holds the approved, open registrations the caller knows of; the one
/// being checked is skipped if it is among them. `customers` holds the customers the caller knows
/// of (the ones matching the prospect suffice).
pub fn check_registration(
    input: &DealInput,
    registrant: &Registrant<'_>,
    catalog: &[CatalogItem],
    claims: &[TerritoryClaim],
    earlier: &[&Deal],
    customers: &[KnownCustomer],
) -> Result<(), DealRule> {
    for (field, missing) in [
        ("company", input.company.trim().is_empty()),
        ("owner", input.owner.trim().is_empty()),
        ("products", input.products.is_empty()),
        ("value", input.value.amount().is_sign_negative()),
    ] {
        if missing {
            return Err(DealRule::Incomplete {
                field: field.into(),
            });
        }
    }
    check_bounds(
        &input.company,
        input.domain.as_deref(),
        &input.owner,
        &input.notes,
        &input.products,
        input.value,
    )?;
    match Subdivision::check_place(input.country, input.subdivision) {
        Err(SubdivisionError::Missing { country }) => {
            return Err(DealRule::SubdivisionNeeded { country })
        }
        Err(SubdivisionError::NotIn {
            subdivision,
            country,
        }) => {
            return Err(DealRule::SubdivisionNotInCountry {
                subdivision,
                country,
            })
        }
        Err(SubdivisionError::Unknown(_) | SubdivisionError::Country(_)) | Ok(()) => {}
    }
    if input.brand.check_serves(input.country).is_err() {
        return Err(DealRule::BrandRegion {
            brand: input.brand,
            country: input.country,
        });
    }
    if !registrant.brands.contains(&input.brand) {
        return Err(DealRule::BrandNotCarried { brand: input.brand });
    }
    check_products(&input.products, input.brand, registrant.tier, catalog)?;
    let prospect = Prospect::new(&input.company, input.domain.as_deref());
    if let Some(whose) = served_by(&prospect, registrant.id, customers) {
        return Err(DealRule::AlreadyCustomer {
            yours: whose == ServedBy::You,
        });
    }
    if let Some(claim) = claims.iter().find(|c| {
        c.covers(input.country, input.subdivision) && !registrant.own_territories.contains(&c.id)
    }) {
        return Err(DealRule::ExclusiveTerritory {
            region: claim.region,
            country: claim.country,
            subdivision: (claim.exclusivity == crate::entities::Exclusivity::Regional)
                .then_some(input.subdivision)
                .flatten(),
        });
    }
    let wanted: BTreeSet<&String> = input.products.iter().collect();
    already_registered(input.id, registrant.id, &prospect, &wanted, earlier)
}

/// Products an edit adds to `deal`, against the other open registrations of the same prospect
/// (`others`): a product another registration already holds is refused as a registration of it
/// would be ([`DealRule::AlreadyRegistered`]). Products the deal named before are its own.
pub fn check_products_added(
    deal: &Deal,
    products: &[String],
    others: &[&Deal],
) -> Result<(), DealRule> {
    let added: BTreeSet<&String> = products
        .iter()
        .filter(|p| !deal.products.contains(p))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    already_registered(deal.id, deal.partner_id, &deal.prospect(), &added, others)
}

/// The duplicate rule: the first open registration (other than `id`) of the same prospect naming
/// any of `wanted` refuses it. The registering partner's own is described; another's is not.
fn already_registered(
    id: DealId,
    registrant: PartnerId,
    prospect: &Prospect,
    wanted: &BTreeSet<&String>,
    earlier: &[&Deal],
) -> Result<(), DealRule> {
    let Some(first) = earlier
        .iter()
        .filter(|d| d.id != id && d.holds_prospect())
        .filter(|d| d.prospect().same_as(prospect))
        .filter(|d| d.products.iter().any(|p| wanted.contains(p)))
        .min_by_key(|d| (d.registered_at, d.id))
    else {
        return Ok(());
    };
    let yours = (first.partner_id == registrant).then(|| EarlierRegistration {
        registered_on: first.registered_at.date_naive(),
        products: first
            .products
            .iter()
            .filter(|p| wanted.contains(p))
            .cloned()
            .collect(),
    });
    Err(DealRule::AlreadyRegistered { yours })
}

/// The calendar quarter holding `day`: its first and last day.
pub fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_month = (day.month0() / 3) * 3 + 1;
    let start = NaiveDate::from_ymd_opt(day.year(), first_month, 1).expect("a quarter's start");
    let end = start
        .checked_add_months(chrono::Months::new(3))
        .and_then(|d| d.pred_opt())
        .expect("a quarter's end");
    (start, end)
}

/// Won deals over closed ones (won + lost); None before any deal has closed.
pub fn win_rate(won: u64, lost: u64) -> Option<Decimal> {
    (won + lost > 0).then(|| (Decimal::from(won) / Decimal::from(won + lost)).round_dp(4))
}

/// The quarter's forecast: each deal expected to close in the quarter (won ones included), at its
/// value times its stage's weight, rounded to the cent once at the end.
pub fn forecast<'a>(
    deals: impl IntoIterator<Item = &'a Deal>,
    quarter: (NaiveDate, NaiveDate),
) -> Credits {
    let total: Decimal = deals
        .into_iter()
        .filter(|d| matches!(d.status, DealStatus::Approved | DealStatus::Pending))
        .filter(|d| {
            d.expected_close
                .is_some_and(|c| c >= quarter.0 && c <= quarter.1)
        })
        .map(|d| d.value.amount() * d.stage.forecast_weight())
        .fold(Decimal::ZERO, Decimal::saturating_add);
    Credits::rounded(total)
}

#[cfg(test)]
mod tests;
