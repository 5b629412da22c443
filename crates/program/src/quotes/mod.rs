//! Quotes: pricing a customer's quote from the catalog, the rules a quote must keep, its validity
//! and its number.
//!
//! **The rounding rule** (the one rule, applied everywhere a quote shows money): a line's unit
//! price in the customer's currency is the item's list price in credits (1 credit = 1 USD) times
//! the FX rate, rounded once, to the currency's minor unit, half away from zero
//! (`money::ROUNDING`); the line's amount is that printed unit price times the quantity (and the
//! months), exact. A quote's total is the sum of its printed lines, never a separately rounded
//! figure, so every line multiplies out and the lines add up to the total on the page. Credits are exact to the
//! hundredth and never rounded. The partner's cost of the credits a quote consumes is priced like
//! any credit purchase (`credits::fiat_for_credits`): rounded once, on the total.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::benefits::Benefit;
use crate::credits::{fiat_for_credits, FxRate};
use crate::entities::{Billing, CatalogItem, CatalogKind};
use crate::lang::Lang;
use crate::money::{Credits, Currency, Money};
use crate::regions::{Brand, Country};
use crate::tiers::{DiscountRate, Tier};

/// Most lines on one quote.
pub const MAX_LINES: usize = 200;
/// Most units or months on one line.
pub const MAX_QUANTITY: u32 = 100_000;
pub const MAX_MONTHS: u32 = 120;
/// The longest customer name a quote carries, in characters (a deal's company takes as many).
pub const CUSTOMER_MAX: u32 = crate::deals::COMPANY_MAX;
/// The longest author name a quote carries, in characters (a deal's owner takes as many).
pub const CREATED_BY_MAX: u32 = crate::deals::OWNER_MAX;

/// The first of a quote's texts past its bound, as `(field, max)`.
pub fn text_past_bound(customer: &str, created_by: &str) -> Option<(&'static str, u32)> {
    let chars = |s: &str| u32::try_from(s.chars().count()).unwrap_or(u32::MAX);
    [
        ("customer", chars(customer), CUSTOMER_MAX),
        ("created_by", chars(created_by), CREATED_BY_MAX),
    ]
    .into_iter()
    .find(|(_, len, max)| len > max)
    .map(|(field, _, max)| (field, max))
}

/// One line as the seller enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineInput {
    #[cfg_attr(
        feature = "schema",
        schemars(
            regex(pattern = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"),
            length(min = 1, max = 40)
        )
    )]
    pub sku: String,
    #[serde(deserialize_with = "crate::integral::whole")]
    pub quantity: u32,
    /// Months, for a recurring (monthly) item; None for a one-off item.
    #[serde(default, deserialize_with = "crate::integral::optional")]
    pub months: Option<u32>,
}

/// A rule a quote breaks, with what the seller needs to fix it; the app words it in the user's
/// language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum QuoteRule {
    NoLines,
    TooManyLines {
        max: u32,
    },
    /// The brand does not serve the customer's country.
    BrandRegion {
        brand: Brand,
        #[ts(type = "string")]
        country: Country,
    },
    /// The partner does not sell this brand.
    BrandNotCarried {
        brand: Brand,
    },
    /// The customer's country is in no brand's region: the program sells nothing there.
    CountryServedByNone {
        country: String,
    },
    UnknownItem {
        sku: String,
    },
    ItemNotInBrand {
        sku: String,
        brand: Brand,
    },
    /// Early-access items are for Specialist partners and above.
    EarlyAccessTier {
        sku: String,
        tier: Tier,
    },
    /// The partner's own rate is outside its tier's band: the platform must correct it first.
    RateOutsideBand {
        tier: Tier,
    },
    /// Quantity must be 1 to `max` ([`MAX_QUANTITY`]).
    BadQuantity {
        line: u32,
        max: u32,
    },
    /// A monthly item needs 1 to MAX_MONTHS months; a one-off item takes none.
    MonthsRequired {
        line: u32,
    },
    MonthsNotAllowed {
        line: u32,
    },
    /// An amount of the quote (a line's credits or price, or a total) is past what the program
    /// counts ([`Credits::MAX`]); `line` is 0 for the quote's totals.
    TooLarge {
        line: u32,
    },
    /// No exchange rate for the currency.
    NoFxRate {
        currency: Currency,
    },
    /// The exchange rate is older than a quote's validity: the platform no longer takes it.
    FxRateTooOld {
        currency: Currency,
        #[ts(type = "string")]
        as_of: NaiveDate,
        days: u32,
    },
    /// The quote names a customer the partner does not serve: a quote is for the partner's own
    /// customer or a new prospect.
    NotYourCustomer,
    /// The prospect is another partner's customer (no poaching: a customer changes partner only
    /// by a migration its founder starts). Names no other partner.
    AnotherPartnersCustomer,
}

/// No poaching, for quotes: a quote names the partner's own customer (`customer_id`) or a new
/// prospect (`customer`, by name), never another partner's customer. `customers` holds the
/// customers the caller knows of (the one named by id and those matching the name suffice).
pub fn check_customer(
    partner: crate::entities::PartnerId,
    customer_id: Option<crate::entities::CustomerId>,
    customer: &str,
    customers: &[crate::deals::KnownCustomer],
) -> Result<(), QuoteRule> {
    match customer_id {
        Some(id) => customers
            .iter()
            .any(|c| c.id == id && c.partner_id == partner)
            .then_some(())
            .ok_or(QuoteRule::NotYourCustomer),
        None => {
            let prospect = crate::deals::Prospect::new(customer, None);
            match crate::deals::served_by(&prospect, partner, customers) {
                Some(crate::deals::ServedBy::Another) => Err(QuoteRule::AnotherPartnersCustomer),
                _ => Ok(()),
            }
        }
    }
}

/// What pricing needs to know about the partner.
#[derive(Debug, Clone)]
pub struct Seller<'a> {
    pub tier: Tier,
    /// The partner's own discount rate, as the platform set it.
    pub rate: Decimal,
    pub brands: &'a [Brand],
    /// The FX rate of the partner's own currency (it buys credits in it).
    pub fx: &'a FxRate,
    /// The partner's credit balance now (provisional: minus purchases not yet confirmed).
    pub balance: Credits,
}

/// What the customer is quoted.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub country: Country,
    pub brand: Brand,
    /// The customer's currency and its FX rate.
    pub fx: &'a FxRate,
    pub lines: &'a [LineInput],
}

/// One priced line, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PricedLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub kind: CatalogKind,
    pub billing: Billing,
    pub early_access: bool,
    pub quantity: u32,
    pub months: Option<u32>,
    /// List price per unit (per unit and month for a monthly item), in credits.
    #[ts(type = "string")]
    pub unit_credits: Credits,
    /// The line's list value in credits: unit × quantity (× months).
    #[ts(type = "string")]
    pub credits: Credits,
    /// The unit price in the customer's currency, as printed (rounded).
    #[ts(type = "string")]
    pub unit_price: Decimal,
    /// The line's amount in the customer's currency: the printed unit price × quantity (× months).
    #[ts(type = "string")]
    pub amount: Decimal,
}

/// A quote priced for the customer and for the partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PricedQuote {
    pub lines: Vec<PricedLine>,
    pub currency: Currency,
    /// The sum of the lines' amounts.
    #[ts(type = "string")]
    pub total: Decimal,
    pub fx: FxRate,
    /// Credits the deal consumes (the sum of the lines' credits).
    #[ts(type = "string")]
    pub credits: Credits,
    pub partner_currency: Currency,
    /// What those credits are worth at list (1 credit = 1 USD), in the partner's currency.
    #[ts(type = "string")]
    pub list_value: Decimal,
    /// What those credits cost the partner at its rate.
    #[ts(type = "string")]
    pub partner_cost: Decimal,
    /// list value − cost.
    #[ts(type = "string")]
    pub margin: Decimal,
    #[ts(type = "string")]
    pub rate: Decimal,
    #[ts(type = "string")]
    pub balance: Credits,
    pub covered: bool,
    /// Credits to buy so the balance covers the quote (0 when it does), and their cost.
    #[ts(type = "string")]
    pub top_up: Credits,
    #[ts(type = "string")]
    pub top_up_cost: Decimal,
}

/// Prices a quote, or says which rule it breaks (the first, in the order: lines, brand, rate,
/// items).
pub fn price(
    seller: &Seller<'_>,
    request: &Request<'_>,
    catalog: &[CatalogItem],
) -> Result<PricedQuote, QuoteRule> {
    if request.lines.is_empty() {
        return Err(QuoteRule::NoLines);
    }
    if request.lines.len() > MAX_LINES {
        return Err(QuoteRule::TooManyLines {
            max: MAX_LINES as u32,
        });
    }
    if request.brand.check_serves(request.country).is_err() {
        return Err(QuoteRule::BrandRegion {
            brand: request.brand,
            country: request.country,
        });
    }
    if !seller.brands.contains(&request.brand) {
        return Err(QuoteRule::BrandNotCarried {
            brand: request.brand,
        });
    }
    let rate = DiscountRate::new(seller.tier, seller.rate)
        .map_err(|_| QuoteRule::RateOutsideBand { tier: seller.tier })?;
    let early_access_allowed = Benefit::EarlyAccess.for_tier(seller.tier).is_granted();
    let currency = request.fx.currency;
    let mut lines = Vec::with_capacity(request.lines.len());
    for (i, input) in request.lines.iter().enumerate() {
        let line_no = i as u32 + 1;
        let item =
            catalog
                .iter()
                .find(|c| c.sku == input.sku)
                .ok_or_else(|| QuoteRule::UnknownItem {
                    sku: input.sku.clone(),
                })?;
        if !item.brands.contains(&request.brand) {
            return Err(QuoteRule::ItemNotInBrand {
                sku: item.sku.clone(),
                brand: request.brand,
            });
        }
        if item.early_access && !early_access_allowed {
            return Err(QuoteRule::EarlyAccessTier {
                sku: item.sku.clone(),
                tier: seller.tier,
            });
        }
        if input.quantity == 0 || input.quantity > MAX_QUANTITY {
            return Err(QuoteRule::BadQuantity {
                line: line_no,
                max: MAX_QUANTITY,
            });
        }
        let factor = match (item.billing, input.months) {
            (Billing::Monthly, Some(m)) if (1..=MAX_MONTHS).contains(&m) => {
                Decimal::from(input.quantity) * Decimal::from(m)
            }
            (Billing::Monthly, _) => return Err(QuoteRule::MonthsRequired { line: line_no }),
            (Billing::OneOff, None) => Decimal::from(input.quantity),
            (Billing::OneOff, Some(_)) => {
                return Err(QuoteRule::MonthsNotAllowed { line: line_no })
            }
        };
        let too_large = || QuoteRule::TooLarge { line: line_no };
        let credits = item
            .list_price
            .amount()
            .checked_mul(factor)
            .and_then(|c| Credits::new(Credits::rounded(c).amount()).ok())
            .ok_or_else(too_large)?;
        let unit_price = item
            .list_price
            .amount()
            .checked_mul(request.fx.per_usd)
            .map(|p| currency.round(p))
            .ok_or_else(too_large)?;
        let amount = unit_price.checked_mul(factor).ok_or_else(too_large)?;
        lines.push(PricedLine {
            line_no,
            sku: item.sku.clone(),
            name: item.name.clone(),
            kind: item.kind,
            billing: item.billing,
            early_access: item.early_access,
            quantity: input.quantity,
            months: input.months,
            unit_credits: item.list_price,
            credits,
            unit_price,
            amount,
        });
    }
    let too_large = || QuoteRule::TooLarge { line: 0 };
    let total = lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(too_large)?;
    let credits = Credits::checked_sum(lines.iter().map(|l| l.credits)).map_err(|_| too_large())?;
    let cost = |c: Credits| {
        fiat_for_credits(c, rate, seller.fx).map_err(|_| QuoteRule::NoFxRate {
            currency: seller.fx.currency,
        })
    };
    let partner_cost = cost(credits)?;
    let list_value = credits
        .amount()
        .checked_mul(seller.fx.per_usd)
        .map(|v| Money::rounded(v, seller.fx.currency))
        .ok_or_else(too_large)?;
    let top_up = if seller.balance >= credits {
        Credits::ZERO
    } else {
        Credits::rounded(credits.amount() - seller.balance.amount().max(Decimal::ZERO))
    };
    Ok(PricedQuote {
        lines,
        currency,
        total,
        fx: *request.fx,
        credits,
        partner_currency: seller.fx.currency,
        list_value: list_value.amount,
        partner_cost: partner_cost.amount,
        margin: list_value
            .amount
            .checked_sub(partner_cost.amount)
            .ok_or_else(too_large)?,
        rate: rate.fraction(),
        balance: seller.balance,
        covered: top_up == Credits::ZERO,
        top_up,
        top_up_cost: cost(top_up)?.amount,
    })
}

/// Whether the platform still takes a quote priced at `rate` on `today` (the FX window is the
/// rate's; see [`crate::credits::fx_rate_usable`]).
pub use crate::credits::fx_rate_usable;

/// The last day a quote made on `created_on` is valid: `days` later (30 in the reference policy).
pub fn valid_until(created_on: NaiveDate, days: u32) -> NaiveDate {
    created_on
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(created_on)
}

crate::entities::id_type!(
    /// A quote's id: a UUIDv7 made by the device that wrote it. Each revision is its own quote.
    QuoteId
);

/// A quote as the platform holds it: what was offered, to whom, at which FX rate and with which
/// catalog prices. Amounts are not stored: they follow from the lines, the quote's own FX rate and
/// what it was priced with by [`price`], the same on every device and on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Quote {
    pub id: QuoteId,
    /// `Q-<device>-<year>-<sequence>`; revisions share it.
    pub number: String,
    /// 1 for the first version; a revision of a sent quote is a new quote with the next one.
    #[serde(deserialize_with = "crate::integral::whole")]
    pub revision: u32,
    /// The version this one revises.
    pub supersedes: Option<QuoteId>,
    pub partner_id: crate::entities::PartnerId,
    /// An existing customer, or None for a prospect.
    pub customer_id: Option<crate::entities::CustomerId>,
    /// The customer's or prospect's name, as printed.
    pub customer: String,
    pub country: Country,
    pub brand: Brand,
    /// The customer's currency and its FX rate, frozen when the quote was priced.
    pub fx: FxRate,
    pub lang: Lang,
    pub lines: Vec<LineInput>,
    pub status: QuoteStatus,
    pub created_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub created_by: String,
    /// The catalog entries and partner terms the quote was priced with when saved; None only in
    /// quotes saved before prices were kept with them (they price from the current catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priced_with: Option<PricedWith>,
}

/// What a quote was priced with when it was saved: the catalog entries of its lines and the
/// partner's tier and rate then. A saved quote is shown and printed from these, so a later change
/// to the catalog or to the partner's tier never alters what the customer was given, nor stops an
/// old quote from printing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PricedWith {
    pub items: Vec<CatalogItem>,
    pub tier: Tier,
    pub rate: Decimal,
}

impl PricedWith {
    /// The entries of `catalog` that `lines` use (each once), with the partner's tier and rate.
    pub fn capture(
        lines: &[LineInput],
        catalog: &[CatalogItem],
        tier: Tier,
        rate: Decimal,
    ) -> PricedWith {
        let mut items: Vec<CatalogItem> = Vec::new();
        for line in lines {
            if items.iter().any(|i| i.sku == line.sku) {
                continue;
            }
            if let Some(item) = catalog.iter().find(|c| c.sku == line.sku) {
                items.push(item.clone());
            }
        }
        PricedWith { items, tier, rate }
    }

    /// The first item whose price or terms (list price, billing, brands, early access) are not
    /// the catalog's any more, or that left it: the platform takes a quote only at its own prices.
    pub fn changed_item<'a>(&'a self, catalog: &[CatalogItem]) -> Option<&'a str> {
        self.items
            .iter()
            .find(|item| {
                !catalog.iter().any(|c| {
                    c.sku == item.sku
                        && c.list_price == item.list_price
                        && c.billing == item.billing
                        && c.brands == item.brands
                        && c.early_access == item.early_access
                })
            })
            .map(|item| item.sku.as_str())
    }
}

/// Where a quote stands with the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Draft,
    Sent,
    Accepted,
    Declined,
    Expired,
}

impl QuoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Declined => "declined",
            QuoteStatus::Expired => "expired",
        }
    }

    /// draft → sent → accepted / declined / expired. A sent quote is changed by revising it (a new
    /// version), never in place.
    pub fn may_move_to(self, to: QuoteStatus) -> bool {
        matches!(
            (self, to),
            (QuoteStatus::Draft, QuoteStatus::Sent)
                | (
                    QuoteStatus::Sent,
                    QuoteStatus::Accepted | QuoteStatus::Declined | QuoteStatus::Expired
                )
        )
    }
}

/// Characters of a device code: Crockford's base32, without letters that read like digits.
const DEVICE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A device's code for quote numbers, from 25 random bits (5 characters of Crockford base32).
pub fn device_code(random: u32) -> String {
    (0..5)
        .rev()
        .map(|i| DEVICE_ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Why a text is not a quote number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a quote number reads Q-<device>-<year>-<sequence>, such as Q-7K3FX-2026-0042; {0:?} does not"
)]
pub struct QuoteNumberError(pub String);

/// Checks that `number` is a quote number as [`quote_number`] writes them: `Q-`, a device code
/// of 5 characters of its alphabet, a 4-digit year and a sequence of 4 to 10 digits, and nothing
/// else (no path separator, dot, space or control character), so a number can name a file.
pub fn check_quote_number(number: &str) -> Result<(), QuoteNumberError> {
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let parts: Vec<&str> = number.split('-').collect();
    let ok = matches!(
        parts.as_slice(),
        ["Q", device, year, sequence]
            if device.len() == 5
                && device.bytes().all(|b| DEVICE_ALPHABET.contains(&b))
                && digits(year, 4..=4)
                && digits(sequence, 4..=10)
    );
    if ok {
        Ok(())
    } else {
        Err(QuoteNumberError(number.chars().take(40).collect()))
    }
}

/// A quote number a customer can read out: `Q-<device>-<year>-<sequence>`, e.g.
/// `Q-7K3FX-2026-0042`. The device code keeps numbers made offline on different laptops apart;
/// the sequence counts that device's quotes.
pub fn quote_number(device: &str, year: i32, sequence: u32) -> String {
    format!("Q-{device}-{year}-{sequence:04}")
}

#[cfg(test)]
mod tests;
