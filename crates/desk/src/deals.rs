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

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use program::contract::{MutationKind, PartnerId, TerritoryId};
use program::deals::{
    check_registration, forecast, merge_edit, quarter_of, win_rate, Deal, DealEdit, DealEvent,
    DealId, DealInput, DealRule, DealStage, DealStatus, Registrant, Registration, TerritoryClaim,
};
use program::{Brand, Country, Credits, Currency};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{DeskError, Result};
use crate::outbox::{LocalWrite, RefusedChange};
use crate::store::Store;
use crate::workspace;

/// The outbox's entity name for deal mutations.
const ENTITY: &str = "deal";
/// Deals whose registration lapses within this many days are listed as expiring soon.
pub const EXPIRING_WITHIN_DAYS: u64 = 14;

/// What the deal form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealForm {
    pub partner_id: String,
    pub company: String,
    pub domain: String,
    /// ISO country code.
    pub country: String,
    pub brand: Option<Brand>,
    pub products: Vec<String>,
    /// Estimated value in credits, a decimal string.
    pub value: String,
    /// ISO date, or empty.
    pub expected_close: String,
    pub owner: String,
    pub notes: String,
}

/// What the rules say about a form before it is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealCheck {
    /// Rules the cache knows fully (brand by region, the partner's brands, the catalog): a
    /// registration breaking one is not saved.
    pub errors: Vec<DealRule>,
    /// Rules the platform decides from what it alone sees in full (exclusive territories,
    /// earlier registrations): the cache's view, to warn before saving.
    pub warnings: Vec<DealRule>,
}

/// A deal as the user sees it: the platform's copy with this device's pending changes on top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealView {
    pub id: String,
    pub partner_id: String,
    pub company: String,
    pub domain: Option<String>,
    pub country: String,
    pub brand: Brand,
    pub products: Vec<String>,
    /// Credits, decimal string.
    pub value: String,
    /// The value in the partner's currency at the synced FX rate (1 credit = 1 USD), if known.
    pub value_fiat: Option<String>,
    pub currency: Currency,
    pub stage: DealStage,
    pub expected_close: Option<String>,
    pub owner: String,
    pub notes: String,
    pub status: DealStatus,
    /// The rule behind a refusal or expiry, as the platform decided it.
    pub refusal: Option<DealRule>,
    /// Changes made on this device that the platform has not decided yet.
    pub pending: bool,
    /// Changes the platform refused outright (with its reason), until dismissed.
    pub refused_changes: Vec<RefusedChange>,
    pub registered_at: String,
    /// When the registration lapses unless the deal moves stage.
    pub expires_on: Option<String>,
    pub expiring_soon: bool,
    pub history: Vec<DealEvent>,
    /// The base for an edit: what this device saw of each field.
    pub version: i64,
}

/// One cell of the pipeline: deals of a territory (country) at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PipelineCell {
    pub country: String,
    pub stage: DealStage,
    pub deals: u32,
    /// Credits, decimal string.
    pub credits: String,
    /// In the partner's currency, decimal string, if the FX rate is known.
    pub fiat: Option<String>,
}

/// A partner's pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Pipeline {
    pub cells: Vec<PipelineCell>,
    /// Totals per stage over every territory.
    pub stages: Vec<PipelineCell>,
    /// Open deals (approved or pending), credits.
    pub open_credits: String,
    pub open_fiat: Option<String>,
    /// Won ÷ (won + lost), a fraction as a decimal string; None before any deal closed.
    pub win_rate: Option<String>,
    pub won: u32,
    pub lost: u32,
    /// The quarter's forecast (see `program::deals::forecast`).
    pub forecast_credits: String,
    pub forecast_fiat: Option<String>,
    pub quarter_start: String,
    pub quarter_end: String,
    pub currency: Currency,
}

/// The deals screen of one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealList {
    pub deals: Vec<DealView>,
    pub expiring: Vec<DealView>,
    pub pipeline: Pipeline,
    pub registration_days: u32,
    /// Whether the partner's tier includes territory opportunities (Regional and Strategic).
    pub territory_benefit: bool,
    /// The brands the partner sells, for the form.
    pub brands: Vec<Brand>,
    /// The catalog, for the form's products.
    pub catalog: Vec<CatalogChoice>,
    /// The signed-in user, as deal histories name people (their lost edits are theirs to see).
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogChoice {
    pub sku: String,
    pub name: String,
    pub brands: Vec<Brand>,
}

/// What the cache knows about a partner that the deal rules need.
struct PartnerFacts {
    id: PartnerId,
    name: String,
    tier: program::Tier,
    brands: Vec<Brand>,
    currency: Currency,
    territories: BTreeSet<TerritoryId>,
}

async fn partner_facts(store: &Store, id: PartnerId) -> Result<PartnerFacts> {
    let row = sqlx::query("SELECT name, tier, currency FROM partners WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| DeskError::NotFound {
            what: format!("partner {id}"),
        })?;
    let tier: String = row.try_get("tier")?;
    let currency: String = row.try_get("currency")?;
    let brands: Vec<String> =
        sqlx::query_scalar("SELECT brand FROM partner_brands WHERE partner_id = ? ORDER BY brand")
            .bind(id.to_string())
            .fetch_all(store.pool())
            .await?;
    let territories: Vec<String> =
        sqlx::query_scalar("SELECT id FROM territories WHERE partner_id = ?")
            .bind(id.to_string())
            .fetch_all(store.pool())
            .await?;
    Ok(PartnerFacts {
        id,
        name: row.try_get("name")?,
        tier: program::Tier::parse(&tier)
            .ok_or_else(|| DeskError::Corrupt(format!("tier {tier:?}")))?,
        brands: brands.iter().filter_map(|b| Brand::parse(b)).collect(),
        currency: Currency::parse(&currency)
            .ok_or_else(|| DeskError::Corrupt(format!("currency {currency:?}")))?,
        territories: territories
            .iter()
            .filter_map(|t| t.parse().ok().map(TerritoryId))
            .collect(),
    })
}

async fn claims(store: &Store) -> Result<Vec<TerritoryClaim>> {
    let rows = sqlx::query(
        "SELECT id, holder, holder_tier, region, country, exclusivity FROM territory_claims",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let json = serde_json::json!({
                "id": r.try_get::<String, _>("id")?,
                "holder": r.try_get::<String, _>("holder")?,
                "holder_tier": r.try_get::<String, _>("holder_tier")?,
                "region": r.try_get::<String, _>("region")?,
                "country": r.try_get::<Option<String>, _>("country")?,
                "exclusivity": r.try_get::<String, _>("exclusivity")?,
            });
            serde_json::from_value(json).map_err(|e| DeskError::Corrupt(format!("claim: {e}")))
        })
        .collect()
}

/// One deal as shown: the platform's copy (if any) with local changes on top.
struct Shown {
    deal: Deal,
    version: i64,
    pending: bool,
    refused: Vec<RefusedChange>,
}

/// Every deal of `partner` (or the one deal `only`), with this device's changes on top.
async fn shown(store: &Store, partner: PartnerId, only: Option<DealId>) -> Result<Vec<Shown>> {
    let rows = sqlx::query(
        "SELECT data, version FROM deals WHERE partner_id = ?1 AND (?2 IS NULL OR id = ?2) \
         ORDER BY registered_at DESC, id DESC",
    )
    .bind(partner.to_string())
    .bind(only.map(|d| d.to_string()))
    .fetch_all(store.pool())
    .await?;
    let mut out: Vec<Shown> = rows
        .iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok(Shown {
                deal: serde_json::from_str(&data)
                    .map_err(|e| DeskError::Corrupt(format!("deal: {e}")))?,
                version: r.try_get("version")?,
                pending: false,
                refused: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let user = workspace::user_name(store).await?;
    let queued = sqlx::query(
        "SELECT id, entity_id, payload, status, last_error, created_at FROM outbox \
         WHERE entity = ?1 AND (?2 IS NULL OR entity_id = ?2) ORDER BY seq",
    )
    .bind(ENTITY)
    .bind(only.map(|d| d.to_string()))
    .fetch_all(store.pool())
    .await?;
    for q in &queued {
        let payload: String = q.try_get("payload")?;
        let kind: MutationKind = serde_json::from_str(&payload)
            .map_err(|e| DeskError::Corrupt(format!("outbox payload: {e}")))?;
        let status: String = q.try_get("status")?;
        let created_at: String = q.try_get("created_at")?;
        let at: DateTime<Utc> = created_at.parse().unwrap_or_else(|_| Utc::now());
        let refused = RefusedChange {
            id: q.try_get("id")?,
            reason: q
                .try_get::<Option<String>, _>("last_error")?
                .unwrap_or_default(),
        };
        match kind {
            MutationKind::RegisterDeal { deal } if deal.partner_id == partner => {
                if out.iter().any(|s| s.deal.id == deal.id) {
                    continue;
                }
                let mut local = Deal::registered(deal, at, &user);
                let mut item = Shown {
                    deal: local.clone(),
                    version: 0,
                    pending: status == "pending",
                    refused: Vec::new(),
                };
                if status != "pending" {
                    local.status = DealStatus::Refused;
                    item.deal = local;
                    item.refused.push(refused);
                }
                out.insert(0, item);
            }
            MutationKind::EditDeal {
                id,
                partner_id,
                edits,
            } if partner_id == partner => {
                let Some(item) = out.iter_mut().find(|s| s.deal.id == id) else {
                    continue;
                };
                if status == "pending" {
                    // As the platform will: a change it would refuse stays pending until it does.
                    let mut edited = item.deal.clone();
                    if merge_edit(&mut edited, &edits, at, &user).is_ok() {
                        item.deal = edited;
                    }
                    item.pending = true;
                } else {
                    item.refused.push(refused);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn fiat(credits: Credits, fx: Option<&program::FxRate>) -> Option<String> {
    let fx = fx?;
    // An estimate in the partner's money, rounded once to its minor unit.
    Some(
        program::Money::rounded(credits.amount() * fx.per_usd, fx.currency)
            .amount
            .to_string(),
    )
}

fn view(
    s: &Shown,
    currency: Currency,
    fx: Option<&program::FxRate>,
    days: u32,
    today: NaiveDate,
) -> DealView {
    let d = &s.deal;
    let expires_on = d.expires_on(days);
    DealView {
        id: d.id.to_string(),
        partner_id: d.partner_id.to_string(),
        company: d.company.clone(),
        domain: d.domain.clone(),
        country: d.country.code().to_string(),
        brand: d.brand,
        products: d.products.clone(),
        value: format!("{:.2}", d.value.amount()),
        value_fiat: fiat(d.value, fx),
        currency,
        stage: d.stage,
        expected_close: d.expected_close.map(|c| c.to_string()),
        owner: d.owner.clone(),
        notes: d.notes.clone(),
        status: d.status,
        refusal: d.refusal.clone(),
        pending: s.pending,
        refused_changes: s.refused.clone(),
        registered_at: d.registered_at.to_rfc3339(),
        expires_on: expires_on.map(|e| e.to_string()),
        expiring_soon: d.status == DealStatus::Approved
            && expires_on.is_some_and(|e| {
                e > today
                    && e <= today
                        .checked_add_days(Days::new(EXPIRING_WITHIN_DAYS))
                        .unwrap_or(today)
            }),
        history: d.history.clone(),
        version: s.version,
    }
}

/// A partner's deals, pipeline and what expires soon.
pub async fn list(store: &Store, partner_id: PartnerId, today: NaiveDate) -> Result<DealList> {
    let facts = partner_facts(store, partner_id).await?;
    let days = workspace::registration_days(store).await?;
    let fx = workspace::fx_rate(store, facts.currency).await?;
    let shown = shown(store, partner_id, None).await?;
    let deals: Vec<DealView> = shown
        .iter()
        .map(|s| view(s, facts.currency, fx.as_ref(), days, today))
        .collect();
    let mut expiring: Vec<DealView> = deals.iter().filter(|d| d.expiring_soon).cloned().collect();
    expiring.sort_by(|a, b| a.expires_on.cmp(&b.expires_on));
    let pipeline = pipeline(
        shown.iter().map(|s| &s.deal),
        facts.currency,
        fx.as_ref(),
        today,
    );
    let catalog = workspace::catalog(store)
        .await?
        .into_iter()
        .map(|c| CatalogChoice {
            sku: c.sku,
            name: c.name,
            brands: c.brands,
        })
        .collect();
    Ok(DealList {
        deals,
        expiring,
        pipeline,
        registration_days: days,
        territory_benefit: program::Benefit::TerritoryOpportunities
            .for_tier(facts.tier)
            .is_granted(),
        brands: facts.brands,
        catalog,
        user: workspace::user_name(store).await?,
    })
}

/// Counts and sums of deals by territory and stage; win rate; the quarter's forecast. Refused
/// and expired deals count nowhere.
pub fn pipeline<'a>(
    deals: impl Iterator<Item = &'a Deal> + Clone,
    currency: Currency,
    fx: Option<&program::FxRate>,
    today: NaiveDate,
) -> Pipeline {
    let live = deals
        .clone()
        .filter(|d| matches!(d.status, DealStatus::Approved | DealStatus::Pending));
    let mut cells: BTreeMap<(String, DealStage), (u32, Credits)> = BTreeMap::new();
    let mut stages: BTreeMap<DealStage, (u32, Credits)> = BTreeMap::new();
    for d in live.clone() {
        let c = cells
            .entry((d.country.code().to_string(), d.stage))
            .or_insert((0, Credits::ZERO));
        c.0 += 1;
        c.1 = c.1 + d.value;
        let s = stages.entry(d.stage).or_insert((0, Credits::ZERO));
        s.0 += 1;
        s.1 = s.1 + d.value;
    }
    let cell = |country: String, stage: DealStage, (n, credits): (u32, Credits)| PipelineCell {
        country,
        stage,
        deals: n,
        credits: format!("{:.2}", credits.amount()),
        fiat: fiat(credits, fx),
    };
    let open: Credits = live
        .clone()
        .filter(|d| !d.stage.is_closed())
        .fold(Credits::ZERO, |a, d| a + d.value);
    let won = live.clone().filter(|d| d.stage == DealStage::Won).count() as u64;
    let lost = live.clone().filter(|d| d.stage == DealStage::Lost).count() as u64;
    let quarter = quarter_of(today);
    let forecast = forecast(deals, quarter);
    Pipeline {
        cells: cells
            .into_iter()
            .map(|((country, stage), v)| cell(country, stage, v))
            .collect(),
        stages: DealStage::ALL
            .into_iter()
            .map(|stage| {
                cell(
                    String::new(),
                    stage,
                    stages.get(&stage).copied().unwrap_or((0, Credits::ZERO)),
                )
            })
            .collect(),
        open_credits: format!("{:.2}", open.amount()),
        open_fiat: fiat(open, fx),
        win_rate: win_rate(won, lost).map(|r| r.to_string()),
        won: won as u32,
        lost: lost as u32,
        forecast_credits: format!("{:.2}", forecast.amount()),
        forecast_fiat: fiat(forecast, fx),
        quarter_start: quarter.0.to_string(),
        quarter_end: quarter.1.to_string(),
        currency,
    }
}

/// Reads a form into a registration, or says which field is wrong.
fn input_of(form: &DealForm, id: DealId) -> Result<DealInput> {
    let invalid = |field: &'static str, reason: &str| DeskError::InvalidInput {
        field,
        reason: reason.into(),
    };
    let partner_id = crate::partners::parse_id(&form.partner_id)?;
    let country =
        Country::parse(form.country.trim()).map_err(|e| invalid("country", &e.to_string()))?;
    let brand = form
        .brand
        .ok_or_else(|| invalid("brand", "choose a brand"))?;
    let value = if form.value.trim().is_empty() {
        Credits::ZERO
    } else {
        let amount: rust_decimal::Decimal = form
            .value
            .trim()
            .parse()
            .map_err(|_| invalid("value", "is not a number"))?;
        if amount.is_sign_negative() {
            return Err(invalid("value", "must be zero or more"));
        }
        Credits::new(amount)
            .map_err(|_| invalid("value", "credits are counted to the hundredth"))?
    };
    let expected_close = match form.expected_close.trim() {
        "" => None,
        text => Some(
            text.parse::<NaiveDate>()
                .map_err(|_| invalid("expected_close", "is not a date (YYYY-MM-DD)"))?,
        ),
    };
    Ok(DealInput {
        id,
        partner_id,
        company: form.company.trim().to_string(),
        domain: Some(form.domain.trim().to_string()).filter(|d| !d.is_empty()),
        country,
        brand,
        products: form.products.clone(),
        value,
        expected_close,
        owner: form.owner.trim().to_string(),
        notes: form.notes.clone(),
    })
}

/// Runs the program's rules on a form against the cache.
pub async fn check(store: &Store, form: &DealForm) -> Result<DealCheck> {
    let input = input_of(form, DealId(Uuid::nil()))?;
    check_input(store, &input).await
}

async fn check_input(store: &Store, input: &DealInput) -> Result<DealCheck> {
    let facts = partner_facts(store, input.partner_id).await?;
    let catalog = workspace::catalog(store).await?;
    let registrant = Registrant {
        id: facts.id,
        brands: &facts.brands,
        own_territories: &facts.territories,
    };
    let mut result = DealCheck::default();
    // Rules the cache knows fully: checked without the map or other registrations.
    if let Err(rule) = check_registration(input, &registrant, &catalog, &[], &[]) {
        result.errors.push(rule);
        return Ok(result);
    }
    // The map and the registrations this cache can see, other partners' as well (an account
    // manager sees a whole portfolio), this device's pending ones included.
    let claims = claims(store).await?;
    let prospect = program::deals::Prospect::new(&input.company, input.domain.as_deref());
    let rows = sqlx::query(
        "SELECT d.data, p.name FROM deals d JOIN partners p ON p.id = d.partner_id \
         WHERE d.company_key = ?1 OR (?2 IS NOT NULL AND d.domain_key = ?2)",
    )
    .bind(&prospect.company)
    .bind(prospect.domain.as_deref())
    .fetch_all(store.pool())
    .await?;
    let mut known: Vec<(Deal, String)> = rows
        .iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok((
                serde_json::from_str(&data).map_err(|e| DeskError::Corrupt(e.to_string()))?,
                r.try_get("name")?,
            ))
        })
        .collect::<Result<_>>()?;
    for s in shown(store, facts.id, None).await? {
        if s.pending && !known.iter().any(|(d, _)| d.id == s.deal.id) {
            let mut d = s.deal;
            // A pending registration holds its prospect for this device's own checks.
            d.status = DealStatus::Approved;
            known.push((d, facts.name.clone()));
        }
    }
    let days = workspace::registration_days(store).await?;
    let today = Utc::now().date_naive();
    let earlier: Vec<Registration<'_>> = known
        .iter()
        .filter(|(d, _)| !d.is_lapsed(days, today))
        .map(|(deal, holder)| Registration { deal, holder })
        .collect();
    if let Err(rule) = check_registration(input, &registrant, &catalog, &claims, &earlier) {
        result.warnings.push(rule);
    }
    Ok(result)
}

/// Registers a deal on this device: saved with its outbox row in one transaction, pending until
/// the platform decides. Refuses a registration that breaks a rule the cache knows fully.
pub async fn register(store: &Store, form: &DealForm) -> Result<DealView> {
    let id = DealId(Uuid::now_v7());
    let input = input_of(form, id)?;
    let check = check_input(store, &input).await?;
    if let Some(rule) = check.errors.first() {
        return Err(DeskError::InvalidInput {
            field: "deal",
            reason: serde_json::to_string(rule).unwrap_or_default(),
        });
    }
    let partner = input.partner_id;
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::RegisterDeal { deal: input },
        None,
    )
    .await?;
    w.commit().await?;
    one(store, partner, id).await
}

/// Changes a deal on this device (stage, value, close date, owner, notes, products), queued for
/// the platform. `edits` carry what this device saw of each field; see
/// [`program::deals::merge_edit`] for what happens when someone changed it first.
pub async fn edit(store: &Store, deal_id: &str, edits: Vec<DealEdit>) -> Result<DealView> {
    let id = DealId(deal_id.parse().map_err(|_| DeskError::InvalidInput {
        field: "deal_id",
        reason: format!("{deal_id:?} is not a deal id"),
    })?);
    if edits.is_empty() {
        return Err(DeskError::InvalidInput {
            field: "edits",
            reason: "nothing to change".into(),
        });
    }
    let partner: String = sqlx::query_scalar(
        "SELECT partner_id FROM deals WHERE id = ?1 UNION ALL \
         SELECT json_extract(payload, '$.input.deal.partner_id') FROM outbox \
         WHERE entity = 'deal' AND entity_id = ?1 AND status = 'pending' LIMIT 1",
    )
    .bind(id.to_string())
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| DeskError::NotFound {
        what: format!("deal {id}"),
    })?;
    let partner = crate::partners::parse_id(&partner)?;
    let current = shown(store, partner, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DeskError::NotFound {
            what: format!("deal {id}"),
        })?;
    // The same rules the platform applies, so a change it would refuse is refused here first.
    let days = workspace::registration_days(store).await?;
    if current.deal.is_lapsed(days, Utc::now().date_naive()) {
        return Err(DeskError::InvalidInput {
            field: "deal",
            reason: serde_json::to_string(&DealRule::Expired { days }).unwrap_or_default(),
        });
    }
    let mut probe = current.deal.clone();
    merge_edit(&mut probe, &edits, Utc::now(), "me").map_err(|e| DeskError::InvalidInput {
        field: "edits",
        reason: e.to_string(),
    })?;
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::EditDeal {
            id,
            partner_id: partner,
            edits,
        },
        u64::try_from(current.version).ok(),
    )
    .await?;
    w.commit().await?;
    one(store, partner, id).await
}

async fn one(store: &Store, partner: PartnerId, id: DealId) -> Result<DealView> {
    let facts = partner_facts(store, partner).await?;
    let fx = workspace::fx_rate(store, facts.currency).await?;
    let days = workspace::registration_days(store).await?;
    shown(store, partner, Some(id))
        .await?
        .first()
        .map(|s| {
            view(
                s,
                facts.currency,
                fx.as_ref(),
                days,
                Utc::now().date_naive(),
            )
        })
        .ok_or_else(|| DeskError::NotFound {
            what: format!("deal {id}"),
        })
}

/// Every deal of a partner as the app shows it (this device's changes on top), as the program's
/// deals.
pub async fn deals_of(store: &Store, partner: PartnerId) -> Result<Vec<Deal>> {
    Ok(shown(store, partner, None)
        .await?
        .into_iter()
        .map(|s| s.deal)
        .collect())
}

/// Every deal of a partner as shown, for exports.
pub async fn all(store: &Store, partner: PartnerId, today: NaiveDate) -> Result<Vec<DealView>> {
    Ok(list(store, partner, today).await?.deals)
}
