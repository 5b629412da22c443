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
use unicode_normalization::UnicodeNormalization;

use crate::entities::{CatalogItem, Exclusivity, Partner, PartnerId, Territory, TerritoryId};
use crate::money::Credits;
use crate::regions::{Brand, Country, Region};
use crate::tiers::Tier;

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
    /// The prospect is in a territory another partner holds exclusively.
    ExclusiveTerritory {
        holder: String,
        region: Region,
        #[ts(type = "string | null")]
        country: Option<Country>,
    },
    /// The same prospect, with overlapping products, is registered already.
    AlreadyRegistered {
        /// The partner holding the earlier registration.
        holder: String,
        registered_on: NaiveDate,
        products: Vec<String>,
    },
    /// A product of interest is not in the catalog, or not offered under the deal's brand.
    UnknownProduct {
        sku: String,
    },
    ProductNotInBrand {
        sku: String,
        brand: Brand,
    },
    /// Company, country or products are missing, or the value is negative.
    Incomplete {
        field: String,
    },
    /// The registration sat in one stage longer than the policy allows.
    Expired {
        days: u32,
    },
}

/// A prospect's company name made comparable: accents, case, punctuation and legal-form words
/// ("Inc.", "S.A. de C.V.", "GmbH", …) removed, spaces collapsed. "Café Águila, S.A." and
/// "cafe aguila" are the same prospect.
pub fn normalize_company(name: &str) -> String {
    const LEGAL_FORMS: &[&str] = &[
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "sa",
        "sas",
        "sl",
        "slu",
        "srl",
        "sapi",
        "de",
        "cv",
        "ltda",
        "gmbh",
        "ag",
        "bv",
        "nv",
        "plc",
        "spa",
        "sarl",
        "oy",
        "ab",
        "as",
        "eireli",
        "me",
    ];
    let plain: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else if c == '.' {
                // "S.A." is one word.
                '\0'
            } else {
                ' '
            }
        })
        .filter(|c| *c != '\0')
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    // Legal forms are dropped only at the end ("Co Group" keeps its "Co").
    let mut end = words.len();
    while end > 1 && LEGAL_FORMS.contains(&words[end - 1]) {
        end -= 1;
    }
    words[..end].join(" ")
}

/// A domain made comparable: no scheme, no `www.`, no path, no port, lower case.
/// `https://WWW.Acme.com/about` → `acme.com`.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.trim().to_lowercase();
    let d = d.split_once("://").map_or(d.as_str(), |(_, rest)| rest);
    let d = d.split(['/', '?', '#']).next().unwrap_or("");
    let d = d.rsplit_once('@').map_or(d, |(_, host)| host);
    let d = d.split(':').next().unwrap_or("");
    let d = d.strip_prefix("www.").unwrap_or(d).trim_end_matches('.');
    (!d.is_empty() && d.contains('.')).then(|| d.to_string())
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
    pub brand: Brand,
    /// SKUs from the catalog.
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
    pub brand: Brand,
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

/// One field an edit changes: what the editing device saw, and what it wants. The platform
/// applies the edit only where the field still holds `from`; where someone changed it first,
/// their value stays and the edit is recorded as lost (see [`merge_edit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum DealEdit {
    Stage {
        from: DealStage,
        to: DealStage,
    },
    Value {
        #[ts(type = "string")]
        from: Credits,
        #[ts(type = "string")]
        to: Credits,
    },
    ExpectedClose {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    Owner {
        from: String,
        to: String,
    },
    Notes {
        from: String,
        to: String,
    },
    Products {
        from: Vec<String>,
        to: Vec<String>,
    },
}

impl DealEdit {
    pub fn field(&self) -> DealField {
        match self {
            DealEdit::Stage { .. } => DealField::Stage,
            DealEdit::Value { .. } => DealField::Value,
            DealEdit::ExpectedClose { .. } => DealField::ExpectedClose,
            DealEdit::Owner { .. } => DealField::Owner,
            DealEdit::Notes { .. } => DealField::Notes,
            DealEdit::Products { .. } => DealField::Products,
        }
    }
}

/// Why an edit cannot be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a {from} deal cannot move to {to}")]
    BadMove {
        from: &'static str,
        to: &'static str,
    },
    #[error("this deal was {status} and can no longer change; register it again")]
    NotOpen { status: &'static str },
    #[error("{0}")]
    Invalid(String),
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Applies `edits` to `deal` as the platform does: each field the edit saw unchanged takes its
/// new value; each field someone else changed first keeps the platform's value, and the losing
/// value goes into the history as [`DealChange::Lost`]. A stage move restarts the registration's
/// clock. `Err` when the edit is not allowed at all (a closed, refused or expired deal, a move
/// backwards).
pub fn merge_edit(
    deal: &mut Deal,
    edits: &[DealEdit],
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), EditError> {
    if matches!(deal.status, DealStatus::Refused | DealStatus::Expired) {
        return Err(EditError::NotOpen {
            status: deal.status.as_str(),
        });
    }
    let mut events = Vec::new();
    for edit in edits {
        let field = edit.field();
        // (what the platform holds, what the edit saw, what it wants), as text for the history.
        let (current, seen, wanted) = match edit {
            DealEdit::Stage { from, to } => (
                deal.stage.as_str().to_string(),
                from.as_str().to_string(),
                to.as_str().to_string(),
            ),
            DealEdit::Value { from, to } => {
                if to.amount().is_sign_negative() || Credits::new(to.amount()).is_err() {
                    return Err(EditError::Invalid(
                        "the value must be zero or more, with at most two decimals".into(),
                    ));
                }
                // Compared as numbers: 25000.5 and 25000.50 are the same value.
                (
                    deal.value.amount().normalize().to_string(),
                    from.amount().normalize().to_string(),
                    to.amount().normalize().to_string(),
                )
            }
            DealEdit::ExpectedClose { from, to } => (
                date_text(deal.expected_close),
                date_text(*from),
                date_text(*to),
            ),
            DealEdit::Owner { from, to } => {
                if to.trim().is_empty() {
                    return Err(EditError::Invalid("a deal needs an owner".into()));
                }
                (deal.owner.clone(), from.clone(), to.trim().to_string())
            }
            DealEdit::Notes { from, to } => (deal.notes.clone(), from.clone(), to.clone()),
            DealEdit::Products { from, to } => {
                if to.is_empty() {
                    return Err(EditError::Invalid(
                        "a deal needs at least one product of interest".into(),
                    ));
                }
                (deal.products.join(", "), from.join(", "), to.join(", "))
            }
        };
        if current == wanted {
            continue;
        }
        if current != seen {
            events.push(DealChange::Lost {
                field,
                wanted,
                kept: current,
            });
            continue;
        }
        match edit {
            DealEdit::Stage { to, .. } => {
                if !deal.stage.may_move_to(*to) {
                    return Err(EditError::BadMove {
                        from: deal.stage.as_str(),
                        to: to.as_str(),
                    });
                }
                deal.stage = *to;
                deal.stage_since = at;
            }
            DealEdit::Value { to, .. } => deal.value = *to,
            DealEdit::ExpectedClose { to, .. } => deal.expected_close = *to,
            DealEdit::Owner { to, .. } => deal.owner = to.trim().to_string(),
            DealEdit::Notes { to, .. } => deal.notes.clone_from(to),
            DealEdit::Products { to, .. } => deal.products.clone_from(to),
        }
        events.push(DealChange::Set {
            field,
            from: current,
            to: wanted,
        });
    }
    deal.history
        .extend(events.into_iter().map(|what| DealEvent {
            at,
            by: by.to_string(),
            what,
        }));
    Ok(())
}

/// A prospect as the duplicate rule compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prospect {
    pub company: String,
    pub domain: Option<String>,
}

impl Prospect {
    pub fn new(company: &str, domain: Option<&str>) -> Prospect {
        Prospect {
            company: normalize_company(company),
            domain: domain.and_then(normalize_domain),
        }
    }

    /// Same normalized company name, or same domain.
    pub fn same_as(&self, other: &Prospect) -> bool {
        (!self.company.is_empty() && self.company == other.company)
            || (self.domain.is_some() && self.domain == other.domain)
    }
}

/// A territory someone holds exclusively, as the territory map shows it to every partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TerritoryClaim {
    /// The territory's id.
    pub id: TerritoryId,
    /// The holder's name (the map names who holds a territory, and nothing else about them).
    pub holder: String,
    pub holder_tier: Tier,
    pub region: Region,
    pub country: Option<Country>,
    pub exclusivity: Exclusivity,
}

impl TerritoryClaim {
    /// The map's entry for a territory: Some for an exclusive one.
    pub fn of(t: &Territory, holder: &Partner) -> Option<TerritoryClaim> {
        (t.exclusivity != Exclusivity::None).then(|| TerritoryClaim {
            id: t.id,
            holder: holder.name.clone(),
            holder_tier: holder.tier,
            region: t.region,
            country: t.country,
            exclusivity: t.exclusivity,
        })
    }

    /// Whether the claim covers `country` and is one the benefits matrix lets its holder keep.
    pub fn covers(&self, country: Country) -> bool {
        self.exclusivity != Exclusivity::None
            && self.exclusivity.allowed_for(self.holder_tier)
            && match self.exclusivity {
                Exclusivity::None => false,
                Exclusivity::Regional => country.region() == self.region,
                Exclusivity::CountryLevel => self.country == Some(country),
            }
    }
}

/// An earlier registration the duplicate rule compares against.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    pub deal: &'a Deal,
    pub holder: &'a str,
}

/// What the rules need to know about the registering partner.
#[derive(Debug, Clone)]
pub struct Registrant<'a> {
    pub id: PartnerId,
    pub brands: &'a [Brand],
    /// The ids of the territories this partner holds (its own claims never block it).
    pub own_territories: &'a BTreeSet<TerritoryId>,
}

/// Checks a registration against every rule. Returns the first rule it breaks, in this order:
/// completeness, brand by region, the partner's brands, the catalog, exclusive territories, then
/// earlier registrations. `earlier` holds the approved, open registrations the caller knows of;
/// the one being checked is skipped if it is among them.
pub fn check_registration(
    input: &DealInput,
    registrant: &Registrant<'_>,
    catalog: &[CatalogItem],
    claims: &[TerritoryClaim],
    earlier: &[Registration<'_>],
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
    if input.brand.check_serves(input.country).is_err() {
        return Err(DealRule::BrandRegion {
            brand: input.brand,
            country: input.country,
        });
    }
    if !registrant.brands.contains(&input.brand) {
        return Err(DealRule::BrandNotCarried { brand: input.brand });
    }
    for sku in &input.products {
        match catalog.iter().find(|c| &c.sku == sku) {
            None => return Err(DealRule::UnknownProduct { sku: sku.clone() }),
            Some(item) if !item.brands.contains(&input.brand) => {
                return Err(DealRule::ProductNotInBrand {
                    sku: sku.clone(),
                    brand: input.brand,
                })
            }
            Some(_) => {}
        }
    }
    if let Some(claim) = claims
        .iter()
        .find(|c| c.covers(input.country) && !registrant.own_territories.contains(&c.id))
    {
        return Err(DealRule::ExclusiveTerritory {
            holder: claim.holder.clone(),
            region: claim.region,
            country: claim.country,
        });
    }
    let prospect = Prospect::new(&input.company, input.domain.as_deref());
    let wanted: BTreeSet<&String> = input.products.iter().collect();
    if let Some(first) = earlier
        .iter()
        .filter(|r| r.deal.id != input.id && r.deal.holds_prospect())
        .filter(|r| r.deal.prospect().same_as(&prospect))
        .filter(|r| r.deal.products.iter().any(|p| wanted.contains(p)))
        .min_by_key(|r| (r.deal.registered_at, r.deal.id))
    {
        return Err(DealRule::AlreadyRegistered {
            holder: first.holder.to_string(),
            registered_on: first.deal.registered_at.date_naive(),
            products: first
                .deal
                .products
                .iter()
                .filter(|p| wanted.contains(p))
                .cloned()
                .collect(),
        });
    }
    Ok(())
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
        .sum();
    Credits::rounded(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{Billing, CatalogKind};
    use uuid::Uuid;

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T10:00:00Z").parse().unwrap()
    }

    fn catalog() -> Vec<CatalogItem> {
        vec![
            CatalogItem {
                sku: "CORE-LATAM".into(),
                name: "Core LATAM".into(),
                kind: CatalogKind::CoreBundle,
                list_price: Credits::whole(100),
                billing: Billing::OneOff,
                brands: vec![Brand::CentroPago],
                early_access: false,
            },
            CatalogItem {
                sku: "SKILL-ANY".into(),
                name: "Skill".into(),
                kind: CatalogKind::Skill,
                list_price: Credits::whole(10),
                billing: Billing::Monthly,
                brands: Brand::ALL.to_vec(),
                early_access: false,
            },
        ]
    }

    fn input(company: &str, country: &str, brand: Brand, products: &[&str]) -> DealInput {
        DealInput {
            id: DealId(Uuid::now_v7()),
            partner_id: PartnerId(Uuid::from_u128(1)),
            company: company.into(),
            domain: None,
            country: c(country),
            brand,
            products: products.iter().map(|s| s.to_string()).collect(),
            value: Credits::whole(5_000),
            expected_close: None,
            owner: "Ana".into(),
            notes: String::new(),
        }
    }

    fn check(
        i: &DealInput,
        claims: &[TerritoryClaim],
        earlier: &[Registration<'_>],
    ) -> Result<(), DealRule> {
        let own = BTreeSet::new();
        let registrant = Registrant {
            id: i.partner_id,
            brands: &Brand::ALL,
            own_territories: &own,
        };
        check_registration(i, &registrant, &catalog(), claims, earlier)
    }

    fn approved(i: DealInput, day: &str) -> Deal {
        let mut d = Deal::registered(i, at(day), "someone");
        d.status = DealStatus::Approved;
        d
    }

    #[test]
    fn deal_brand_must_serve_the_prospects_country() {
        let i = input("Acme", "US", Brand::CentroPago, &["SKILL-ANY"]);
        assert_eq!(
            check(&i, &[], &[]),
            Err(DealRule::BrandRegion {
                brand: Brand::CentroPago,
                country: c("US")
            })
        );
        assert!(check(
            &input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            &[],
            &[]
        )
        .is_ok());
    }

    #[test]
    fn deal_products_come_from_the_catalog_under_the_deals_brand() {
        let unknown = input("Acme", "MX", Brand::CentroPago, &["NOPE"]);
        assert!(matches!(
            check(&unknown, &[], &[]),
            Err(DealRule::UnknownProduct { .. })
        ));
        let other_brand = input("Acme", "ES", Brand::Voldier, &["CORE-LATAM"]);
        assert!(matches!(
            check(&other_brand, &[], &[]),
            Err(DealRule::ProductNotInBrand { .. })
        ));
    }

    #[test]
    fn deal_in_another_partners_exclusive_territory_is_refused() {
        let claim = |exclusivity, tier, country: Option<&str>| TerritoryClaim {
            id: TerritoryId(Uuid::from_u128(9)),
            holder: "Norte".into(),
            holder_tier: tier,
            region: Region::Latam,
            country: country.map(c),
            exclusivity,
        };
        let i = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
        let regional = claim(Exclusivity::Regional, Tier::Regional, None);
        assert!(matches!(
            check(&i, std::slice::from_ref(&regional), &[]),
            Err(DealRule::ExclusiveTerritory { .. })
        ));
        // Country-level claims cover their country only.
        let mx = claim(Exclusivity::CountryLevel, Tier::Strategic, Some("MX"));
        let br = claim(Exclusivity::CountryLevel, Tier::Strategic, Some("BR"));
        assert!(check(&i, std::slice::from_ref(&mx), &[]).is_err());
        assert!(check(&i, std::slice::from_ref(&br), &[]).is_ok());
        // The holder's own claim does not block it.
        let own = BTreeSet::from([regional.id]);
        let registrant = Registrant {
            id: i.partner_id,
            brands: &Brand::ALL,
            own_territories: &own,
        };
        assert!(check_registration(&i, &registrant, &catalog(), &[regional], &[]).is_ok());
    }

    #[test]
    fn territory_rights_follow_the_benefits_matrix() {
        // A claim the matrix does not allow its holder (a Specialist holding a region, a Regional
        // partner holding a country) protects nothing.
        let i = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
        for (exclusivity, tier) in [
            (Exclusivity::Regional, Tier::Specialist),
            (Exclusivity::Regional, Tier::Authorized),
            (Exclusivity::CountryLevel, Tier::Regional),
            (Exclusivity::None, Tier::Strategic),
        ] {
            let claim = TerritoryClaim {
                id: TerritoryId(Uuid::from_u128(9)),
                holder: "Norte".into(),
                holder_tier: tier,
                region: Region::Latam,
                country: Some(c("MX")),
                exclusivity,
            };
            assert!(
                check(&i, &[claim], &[]).is_ok(),
                "{exclusivity:?} held by {tier}"
            );
        }
    }

    #[test]
    fn second_registration_of_the_same_prospect_is_refused() {
        let first = approved(
            DealInput {
                domain: Some("https://www.acme.mx/".into()),
                ..input(
                    "ACME, S.A. de C.V.",
                    "MX",
                    Brand::CentroPago,
                    &["SKILL-ANY", "CORE-LATAM"],
                )
            },
            "2026-10-01",
        );
        let earlier = [Registration {
            deal: &first,
            holder: "Sur",
        }];
        // Same company, spelled differently.
        let again = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
        assert_eq!(
            check(&again, &[], &earlier),
            Err(DealRule::AlreadyRegistered {
                holder: "Sur".into(),
                registered_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                products: vec!["SKILL-ANY".into()],
            })
        );
        // Same domain, another name.
        let by_domain = DealInput {
            domain: Some("acme.mx".into()),
            ..input(
                "Grupo Acme Internacional",
                "MX",
                Brand::CentroPago,
                &["CORE-LATAM"],
            )
        };
        assert!(check(&by_domain, &[], &earlier).is_err());
    }

    #[test]
    fn same_prospect_without_overlapping_products_is_allowed() {
        let first = approved(
            input("Acme", "MX", Brand::CentroPago, &["CORE-LATAM"]),
            "2026-10-01",
        );
        let earlier = [Registration {
            deal: &first,
            holder: "Sur",
        }];
        assert!(check(
            &input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            &[],
            &earlier
        )
        .is_ok());
    }

    #[test]
    fn a_lost_or_refused_or_expired_registration_no_longer_holds_the_prospect() {
        for (status, stage) in [
            (DealStatus::Refused, DealStage::Registered),
            (DealStatus::Expired, DealStage::Qualified),
            (DealStatus::Approved, DealStage::Lost),
        ] {
            let mut first = approved(
                input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
                "2026-10-01",
            );
            first.status = status;
            first.stage = stage;
            let earlier = [Registration {
                deal: &first,
                holder: "Sur",
            }];
            let again = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
            assert!(check(&again, &[], &earlier).is_ok(), "{status:?} {stage:?}");
        }
    }

    #[test]
    fn registration_expires_after_the_policy_period_unless_it_moves_stage() {
        let mut d = approved(
            input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            "2026-01-01",
        );
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(d.expires_on(90), Some(day("2026-04-01")));
        assert!(!d.is_lapsed(90, day("2026-03-31")));
        assert!(d.is_lapsed(90, day("2026-04-01")));
        // Moving stage restarts the clock.
        merge_edit(
            &mut d,
            &[DealEdit::Stage {
                from: DealStage::Registered,
                to: DealStage::Qualified,
            }],
            at("2026-03-15"),
            "Ana",
        )
        .unwrap();
        assert!(!d.is_lapsed(90, day("2026-04-01")));
        assert_eq!(d.expires_on(90), Some(day("2026-06-13")));
        // A closed deal never expires.
        d.stage = DealStage::Won;
        assert_eq!(d.expires_on(90), None);
    }

    #[test]
    fn deal_stages_move_forward_or_to_lost_and_never_out_of_a_closed_stage() {
        use DealStage::*;
        assert!(Registered.may_move_to(Qualified));
        assert!(Registered.may_move_to(Won));
        assert!(Proposal.may_move_to(Lost));
        assert!(!Proposal.may_move_to(Qualified));
        assert!(!Won.may_move_to(Lost));
        assert!(!Lost.may_move_to(Proposal));
    }

    #[test]
    fn contested_field_keeps_the_platforms_value_and_shows_the_losing_edit() {
        let mut d = approved(
            input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            "2026-10-01",
        );
        // Device A moved the value from 5,000 to 7,000 first.
        merge_edit(
            &mut d,
            &[DealEdit::Value {
                from: Credits::whole(5_000),
                to: Credits::whole(7_000),
            }],
            at("2026-10-02"),
            "Ana",
        )
        .unwrap();
        // Device B, offline, saw 5,000 and wanted 6,000, and also changed the notes.
        merge_edit(
            &mut d,
            &[
                DealEdit::Value {
                    from: Credits::whole(5_000),
                    to: Credits::whole(6_000),
                },
                DealEdit::Notes {
                    from: String::new(),
                    to: "call back in May".into(),
                },
            ],
            at("2026-10-03"),
            "Bea",
        )
        .unwrap();
        assert_eq!(d.value, Credits::whole(7_000));
        assert_eq!(d.notes, "call back in May");
        assert!(d.history.iter().any(|e| e.by == "Bea"
            && e.what
                == DealChange::Lost {
                    field: DealField::Value,
                    wanted: "6000".into(),
                    kept: "7000".into(),
                }));
    }

    #[test]
    fn refused_or_expired_deals_cannot_be_edited() {
        let mut d = approved(
            input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            "2026-10-01",
        );
        d.status = DealStatus::Expired;
        let err = merge_edit(&mut d, &[], at("2026-10-02"), "Ana").unwrap_err();
        assert!(err.to_string().contains("expired"));
    }

    #[test]
    fn company_names_and_domains_normalize() {
        assert_eq!(
            normalize_company("Café Águila, S.A. de C.V."),
            "cafe aguila"
        );
        assert_eq!(normalize_company("  ACME   Inc. "), "acme");
        assert_eq!(normalize_company("Co"), "co");
        assert_eq!(
            normalize_domain("https://WWW.Acme.com/about?x=1").as_deref(),
            Some("acme.com")
        );
        assert_eq!(normalize_domain("acme"), None);
    }

    #[test]
    fn forecast_weighs_open_deals_closing_in_the_quarter_by_stage() {
        let q = quarter_of("2026-11-24".parse().unwrap());
        assert_eq!(
            q,
            ("2026-10-01".parse().unwrap(), "2026-12-31".parse().unwrap())
        );
        let mut a = approved(
            input("A", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            "2026-10-01",
        );
        a.expected_close = Some("2026-12-15".parse().unwrap());
        a.stage = DealStage::Proposal; // 5,000 × 50 %
        let mut b = a.clone();
        b.stage = DealStage::Won; // 5,000 × 100 %
        let mut late = a.clone();
        late.expected_close = Some("2027-01-15".parse().unwrap());
        let mut refused = a.clone();
        refused.status = DealStatus::Refused;
        assert_eq!(
            forecast([&a, &b, &late, &refused], q),
            Credits::whole(7_500)
        );
        assert_eq!(win_rate(3, 1), Some(Decimal::new(75, 2)));
        assert_eq!(win_rate(0, 0), None);
    }
}
