//! The demo program: a deterministic, seeded generator of a realistic partner program.
//!
//! Same seed and config, same data, byte for byte: ids, names and amounts come from one ChaCha
//! stream, and dates are offsets from `as_of`. What it guarantees (and its tests check):
//! partners in every tier, region and brand, with rates inside their tier's band; exclusive
//! territories only where the benefits matrix allows them and never two claims on one country;
//! customers whose brand serves their country; deployments over the 24 months before `as_of`;
//! a ledger whose purchases cover every consumption (no balance ever dips below zero), priced with
//! the program's own purchase math; NPS responses; and a few zero-credit customer migrations.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use program::contract::{
    Billing, CatalogItem, CatalogKind, Customer, CustomerId, Dataset, Deployment, DeploymentId,
    Exclusivity, LedgerEntry, LedgerEntryId, LedgerKind, MigrationId, NpsResponse, NpsResponseId,
    Partner, PartnerId, Territory, TerritoryId,
};
use program::deals::{
    normalize_company, Deal, DealChange, DealEvent, DealField, DealId, DealRule, DealStage,
    DealStatus, TerritoryClaim,
};
use program::migration::Initiator;
use program::{
    fiat_for_credits, Brand, Country, Credits, Currency, CustomerMigration, FxRate, Region, Tier,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

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

/// Units of each currency per USD in the demo program, as of its `as_of` date.
pub fn fx_rates(as_of: NaiveDate) -> Vec<FxRate> {
    [
        (Currency::USD, Decimal::new(1, 0)),
        (Currency::CAD, Decimal::new(137, 2)),
        (Currency::EUR, Decimal::new(92, 2)),
        (Currency::MXN, Decimal::new(1720, 2)),
        (Currency::BRL, Decimal::new(505, 2)),
        (Currency::COP, Decimal::new(3910, 0)),
        (Currency::CLP, Decimal::new(935, 0)),
        (Currency::ARS, Decimal::new(905, 0)),
        (Currency::PEN, Decimal::new(375, 2)),
    ]
    .into_iter()
    .map(|(currency, per_usd)| FxRate {
        currency,
        per_usd,
        as_of,
    })
    .collect()
}

/// The catalog the demo program sells: core bundles per brand, skills and packs.
pub fn catalog() -> Vec<CatalogItem> {
    use Billing::*;
    use CatalogKind::*;
    let all = Brand::ALL.to_vec();
    let item =
        |sku: &str, name: &str, kind, price: i64, billing, brands: Vec<Brand>, ea| CatalogItem {
            sku: sku.into(),
            name: name.into(),
            kind,
            list_price: Credits::whole(price),
            billing,
            brands,
            early_access: ea,
        };
    vec![
        item(
            "CORE-CP",
            "CentroPago Core",
            CoreBundle,
            149,
            Monthly,
            vec![Brand::CentroPago],
            false,
        ),
        item(
            "CORE-RL",
            "RemindLedger Core",
            CoreBundle,
            199,
            Monthly,
            vec![Brand::RemindLedger],
            false,
        ),
        item(
            "CORE-VO",
            "Voldier Core",
            CoreBundle,
            179,
            Monthly,
            vec![Brand::Voldier],
            false,
        ),
        item(
            "ONBOARD",
            "Guided onboarding",
            CoreBundle,
            1_200,
            OneOff,
            all.clone(),
            false,
        ),
        item(
            "SK-INVOICE",
            "E-invoicing skill",
            Skill,
            39,
            Monthly,
            all.clone(),
            false,
        ),
        item(
            "SK-RECON",
            "Bank reconciliation skill",
            Skill,
            59,
            Monthly,
            all.clone(),
            false,
        ),
        item(
            "SK-PAYROLL",
            "Payroll skill",
            Skill,
            89,
            Monthly,
            all.clone(),
            false,
        ),
        item(
            "SK-FORECAST",
            "Cash-flow forecasting skill",
            Skill,
            69,
            Monthly,
            all.clone(),
            true,
        ),
        item(
            "SK-AUDIT",
            "Audit trail skill",
            Skill,
            450,
            OneOff,
            all.clone(),
            false,
        ),
        item(
            "PK-RETAIL",
            "Retail pack",
            Pack,
            249,
            Monthly,
            all.clone(),
            false,
        ),
        item(
            "PK-LOGISTICS",
            "Logistics pack",
            Pack,
            299,
            Monthly,
            vec![Brand::CentroPago, Brand::Voldier],
            false,
        ),
        item(
            "PK-AI-ASSIST",
            "AI assistant pack",
            Pack,
            129,
            Monthly,
            all.clone(),
            true,
        ),
        item(
            "PK-MIGRATE",
            "Data migration pack",
            Pack,
            2_400,
            OneOff,
            all,
            false,
        ),
    ]
}

const NAME_HEADS: &[&str] = &[
    "Andes", "Atlas", "Boreal", "Cobalt", "Condor", "Delta", "Estrella", "Faro", "Granite",
    "Harbor", "Ibis", "Jaguar", "Keystone", "Lumen", "Maple", "Meridian", "Nova", "Orion", "Pampa",
    "Quetzal", "Ridge", "Sierra", "Solano", "Tierra", "Umbra", "Vértice", "Willow", "Xenon",
    "Yucatán", "Zenit", "Alba", "Brisa", "Cima", "Duna", "Elm", "Fjord", "Gaia", "Halcón", "Iris",
    "Jade",
];
const NAME_TAILS: &[&str] = &[
    "Consulting",
    "Digital",
    "Systems",
    "Partners",
    "Soluciones",
    "Group",
    "Labs",
    "Advisors",
    "Integradores",
    "Tech",
    "Networks",
    "Services",
];
const CUSTOMER_HEADS: &[&str] = &[
    "Panadería",
    "Ferretería",
    "Clínica",
    "Taller",
    "Estudio",
    "Farmacia",
    "Hotel",
    "Café",
    "Bodega",
    "Logística",
    "Academia",
    "Mercado",
    "Northwind",
    "Bluebird",
    "Summit",
    "Riverside",
    "Cedar",
    "Lakeside",
    "Ironwood",
    "Pioneer",
    "Bäckerei",
    "Atelier",
    "Maison",
    "Studio",
];
const CUSTOMER_TAILS: &[&str] = &[
    "Luna", "del Sol", "Central", "Norte", "Sur", "Plaza", "& Co", "Works", "Supply", "Foods",
    "Dental", "Motors", "Verde", "Azul", "Roma", "Lyon", "Porto", "Berlin", "Austin", "Quebec",
];
const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Fernando", "Gabriela", "Héctor", "Inés", "Javier",
    "Karen", "Luis", "María", "Nicolás", "Olivia", "Pablo", "Rosa", "Sofía", "Tomás", "Valeria",
];
const LAST_NAMES: &[&str] = &[
    "García",
    "Martínez",
    "López",
    "Silva",
    "Costa",
    "Müller",
    "Rossi",
    "Dubois",
    "Smith",
    "Johnson",
    "Tremblay",
    "Fernández",
    "Moreno",
    "Herrera",
    "Castro",
    "Novak",
];
const ACCOUNT_MANAGERS: &[&str] = &[
    "Alicia Romero",
    "Ben Carter",
    "Camila Duarte",
    "Daniel Okafor",
    "Eva Lindqvist",
];

/// Big markets first: where a Strategic partner's country-level exclusivity goes.
const KEY_MARKETS: &[(Region, &[&str])] = &[
    (Region::Latam, &["MX", "BR", "CO", "CL", "AR", "PE"]),
    (Region::EuEs, &["ES", "DE", "FR", "IT", "PT", "NL"]),
    (Region::UsaCan, &["US", "CA"]),
];

/// Regions in the order tiers are spread over them, so small configs cover every pair.
const REGION_CYCLE: [Region; 3] = [Region::Latam, Region::EuEs, Region::UsaCan];

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

    /// Noon UTC on `day`, plus `seconds`: ledger lines of one day keep their order.
    fn at(day: NaiveDate, seconds: u32) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(12, 0, 0).expect("noon")
            + chrono::Duration::seconds(seconds.into());
        Utc.from_utc_datetime(&day.and_time(time))
    }
}

/// A unique name from `heads` × `tails`, numbered once the combinations run out.
fn unique_name(
    rng: &mut ChaCha8Rng,
    heads: &[&str],
    tails: &[&str],
    taken: &mut BTreeSet<String>,
) -> String {
    for _ in 0..8 {
        let name = format!(
            "{} {}",
            heads.choose(rng).unwrap(),
            tails.choose(rng).unwrap()
        );
        if taken.insert(name.clone()) {
            return name;
        }
    }
    let base = format!(
        "{} {}",
        heads.choose(rng).unwrap(),
        tails.choose(rng).unwrap()
    );
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|name| taken.insert(name.clone()))
        .expect("an unused number exists")
}

/// Tiers for `n` partners: a pyramid, with at least one of each tier in each region for n ≥ 12.
fn tiers_for(n: usize) -> Vec<Tier> {
    let strategic = (n * 7 / 100).max(3);
    let regional = (n * 18 / 100).max(3);
    let specialist = (n * 30 / 100).max(3);
    let authorized = n.saturating_sub(strategic + regional + specialist);
    let mut tiers = Vec::with_capacity(n);
    tiers.extend(std::iter::repeat_n(Tier::Strategic, strategic));
    tiers.extend(std::iter::repeat_n(Tier::Regional, regional));
    tiers.extend(std::iter::repeat_n(Tier::Specialist, specialist));
    tiers.extend(std::iter::repeat_n(Tier::Authorized, authorized));
    tiers.truncate(n);
    tiers
}

/// A rate inside `tier`'s band, in half-point steps (10.0 %, 10.5 %, … 15.0 %).
fn rate_for(rng: &mut ChaCha8Rng, tier: Tier) -> Decimal {
    let band = tier.band();
    let steps = ((band.max - band.min) / Decimal::new(5, 3))
        .trunc()
        .try_into()
        .unwrap_or(0u32);
    band.min + Decimal::new(5, 3) * Decimal::from(rng.gen_range(0..=steps))
}

/// Generates the whole program.
pub fn generate(config: &DemoConfig) -> Dataset {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        as_of: config.as_of,
        // Ten years before the workspace's date, so ids read as plausible creation times.
        id_clock: u64::try_from(Gen::at(config.as_of - Months::new(120), 0).timestamp_millis())
            .unwrap_or_default(),
    };
    let catalog = catalog();
    let partners = partners(&mut g, config.partners.max(12));
    let territories = territories(&mut g, &partners);
    let (mut customers, quality) = customers(&mut g, &partners, config.customers);
    let migrations = migrations(&mut g, &partners, &mut customers);
    let deployments = deployments(
        &mut g,
        &customers,
        &migrations,
        &catalog,
        config.deployments,
    );
    let nps = nps(&mut g, &customers, &migrations, &quality);
    let ledger = ledger(&mut g, &partners, &customers, &deployments, &migrations);
    let deals = deals(&mut g, &partners, &territories, &catalog);
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

/// The countries of `region` that no territory holds exclusively: where any partner selling the
/// region's brand may register a deal.
pub fn unclaimed_countries(territories: &[Territory], region: Region) -> Vec<Country> {
    region
        .countries()
        .iter()
        .filter_map(|c| Country::parse(c).ok())
        .filter(|c| {
            !territories.iter().any(|t| match t.exclusivity {
                Exclusivity::None => false,
                Exclusivity::Regional => t.region == c.region(),
                Exclusivity::CountryLevel => t.country == Some(*c),
            })
        })
        .collect()
}

/// Each Regional and Strategic partner's territory pipeline, and a few deals of Specialists:
/// prospects in the partner's region (outside territories others hold exclusively), under the
/// region's brand, with products that brand offers, at every stage. A registration that sat in
/// one stage for the reference policy's 90 days is expired; some are a few days from it.
fn deals(
    g: &mut Gen,
    partners: &[Partner],
    territories: &[Territory],
    catalog: &[CatalogItem],
) -> Vec<Deal> {
    const REGISTRATION_DAYS: u64 = 90;
    let claims: Vec<(PartnerId, TerritoryClaim)> = territories
        .iter()
        .filter_map(|t| {
            let holder = partners.iter().find(|p| p.id == t.partner_id)?;
            Some((t.partner_id, TerritoryClaim::of(t, holder)?))
        })
        .collect();
    let mut names = BTreeSet::new();
    let mut prospects = BTreeSet::new();
    let mut out = Vec::new();
    for p in partners {
        let n = match p.tier {
            Tier::Strategic => g.rng.gen_range(8..16),
            Tier::Regional => g.rng.gen_range(5..12),
            Tier::Specialist if g.rng.gen_bool(0.3) => g.rng.gen_range(1..4),
            _ => 0,
        };
        let brand = p.region().brand();
        let countries: Vec<Country> = p
            .region()
            .countries()
            .iter()
            .filter_map(|c| Country::parse(c).ok())
            .filter(|c| {
                !claims
                    .iter()
                    .any(|(holder, claim)| *holder != p.id && claim.covers(*c))
            })
            .collect();
        let products: Vec<&CatalogItem> = catalog
            .iter()
            .filter(|i| i.brands.contains(&brand))
            .collect();
        if countries.is_empty() || products.is_empty() {
            continue;
        }
        for _ in 0..n {
            let company = loop {
                let name = unique_name(&mut g.rng, CUSTOMER_HEADS, CUSTOMER_TAILS, &mut names);
                if prospects.insert(normalize_company(&name)) {
                    break name;
                }
            };
            let registered_on = g.day_back(0..240);
            let registered_at = Gen::at(registered_on, g.rng.gen_range(0..36_000));
            let since_days = (g.as_of - registered_on).num_days().max(0) as u64;
            let stage_days_back = g.rng.gen_range(0..=since_days);
            let stage_since =
                Gen::at(g.days_ago(stage_days_back), g.rng.gen_range(0..36_000)).max(registered_at);
            let stage = *g.pick(&DealStage::ALL);
            let mut chosen: Vec<String> = Vec::new();
            for _ in 0..g.rng.gen_range(1..=3) {
                let sku = g.pick(&products).sku.clone();
                if !chosen.contains(&sku) {
                    chosen.push(sku);
                }
            }
            let expected_close = if stage.is_closed() {
                stage_since.date_naive()
            } else {
                g.as_of + Days::new(g.rng.gen_range(0..150)) - Days::new(20)
            };
            let status = if !stage.is_closed() && stage_days_back >= REGISTRATION_DAYS {
                DealStatus::Expired
            } else {
                DealStatus::Approved
            };
            let owner = g.person();
            let mut history = vec![
                DealEvent {
                    at: registered_at,
                    by: owner.clone(),
                    what: DealChange::Registered,
                },
                DealEvent {
                    at: registered_at,
                    by: "platform".into(),
                    what: DealChange::Approved,
                },
            ];
            if stage != DealStage::Registered {
                history.push(DealEvent {
                    at: stage_since,
                    by: owner.clone(),
                    what: DealChange::Set {
                        field: DealField::Stage,
                        from: DealStage::Registered.as_str().into(),
                        to: stage.as_str().into(),
                    },
                });
            }
            let refusal = (status == DealStatus::Expired).then(|| {
                history.push(DealEvent {
                    at: Gen::at(g.days_ago(stage_days_back - REGISTRATION_DAYS), 0),
                    by: "platform".into(),
                    what: DealChange::Expired { days: 90 },
                });
                DealRule::Expired { days: 90 }
            });
            let domain = format!("{}.example", normalize_company(&company).replace(' ', "-"));
            out.push(Deal {
                id: DealId(g.uuid_at(registered_at)),
                partner_id: p.id,
                company,
                domain: Some(domain),
                country: *g.pick(&countries),
                brand,
                products: chosen,
                value: Credits::whole(g.rng.gen_range(10..500) * 100),
                stage,
                expected_close: Some(expected_close),
                owner,
                notes: String::new(),
                status,
                refusal,
                registered_at,
                stage_since,
                history,
            });
        }
    }
    out.sort_by_key(|d| d.registered_at);
    out
}

fn partners(g: &mut Gen, n: usize) -> Vec<Partner> {
    let mut names = BTreeSet::new();
    let mut per_tier: BTreeMap<Tier, usize> = BTreeMap::new();
    let mut strategic_markets: BTreeMap<Region, usize> = BTreeMap::new();
    tiers_for(n)
        .into_iter()
        .map(|tier| {
            let k = per_tier.entry(tier).or_default();
            let region = REGION_CYCLE[*k % 3];
            *k += 1;
            let countries = region.countries();
            let country = if tier == Tier::Strategic {
                // Strategic partners sit in the key markets, one per market while they last.
                let markets = KEY_MARKETS.iter().find(|(r, _)| *r == region).unwrap().1;
                let i = strategic_markets.entry(region).or_default();
                let code = markets[*i % markets.len()];
                *i += 1;
                code
            } else {
                *g.pick(countries)
            };
            let country = Country::parse(country).expect("a listed country");
            let mut brands = vec![region.brand()];
            // Authorized and Specialist partners are global: some sell a second brand.
            if matches!(tier, Tier::Authorized | Tier::Specialist) && g.rng.gen_bool(0.3) {
                let other = *g.pick(&Brand::ALL);
                if !brands.contains(&other) {
                    brands.push(other);
                }
            }
            brands.sort();
            let name = unique_name(&mut g.rng, NAME_HEADS, NAME_TAILS, &mut names);
            let years = match tier {
                Tier::Authorized => g.rng.gen_range(30..900),
                Tier::Specialist => g.rng.gen_range(400..1500),
                Tier::Regional => g.rng.gen_range(800..2200),
                Tier::Strategic => g.rng.gen_range(1400..3000),
            };
            Partner {
                id: PartnerId(g.uuid()),
                name,
                tier,
                discount_rate: rate_for(&mut g.rng, tier),
                country,
                brands,
                currency: country.currency(),
                joined_on: g.days_ago(years),
                account_manager: g.pick(ACCOUNT_MANAGERS).to_string(),
            }
        })
        .collect()
}

/// Where the demo platform granted a Regional partner a whole region exclusively.
const REGION_WIDE_EXCLUSIVE: &[Region] = &[Region::UsaCan];

/// The first Regional partner of each region in `REGION_WIDE_EXCLUSIVE` holds that region
/// exclusively; Strategic partners hold their home country exclusively (country-level) where no
/// one holds it or its whole region. Every other Regional or Strategic partner holds a
/// non-exclusive territory. Authorized and Specialist are global and hold none.
fn territories(g: &mut Gen, partners: &[Partner]) -> Vec<Territory> {
    let mut claimed_regions: BTreeSet<Region> = BTreeSet::new();
    let mut claimed_countries: BTreeSet<Country> = BTreeSet::new();
    let mut out = Vec::new();
    for p in partners.iter().filter(|p| p.tier == Tier::Regional) {
        let region = p.region();
        let exclusive = REGION_WIDE_EXCLUSIVE.contains(&region) && claimed_regions.insert(region);
        out.push(Territory {
            id: TerritoryId(g.uuid()),
            partner_id: p.id,
            region,
            country: None,
            exclusivity: if exclusive {
                Exclusivity::Regional
            } else {
                Exclusivity::None
            },
        });
    }
    for p in partners.iter().filter(|p| p.tier == Tier::Strategic) {
        let exclusive =
            !claimed_regions.contains(&p.region()) && claimed_countries.insert(p.country);
        out.push(Territory {
            id: TerritoryId(g.uuid()),
            partner_id: p.id,
            region: p.region(),
            country: Some(p.country),
            exclusivity: if exclusive {
                Exclusivity::CountryLevel
            } else {
                Exclusivity::None
            },
        });
    }
    out
}

/// Customers, each with a brand that serves its country and a partner that sells that brand.
/// Returns each partner's service quality too (it drives NPS and churn).
fn customers(
    g: &mut Gen,
    partners: &[Partner],
    n: usize,
) -> (Vec<Customer>, BTreeMap<PartnerId, f64>) {
    let weight = |t: Tier| match t {
        Tier::Authorized => 1,
        Tier::Specialist => 3,
        Tier::Regional => 7,
        Tier::Strategic => 14,
    };
    let quality: BTreeMap<PartnerId, f64> = partners
        .iter()
        .map(|p| (p.id, g.rng.gen_range(6.2..9.6)))
        .collect();
    let mut sellers: BTreeMap<Brand, Vec<(usize, u32)>> = BTreeMap::new();
    for (i, p) in partners.iter().enumerate() {
        for b in &p.brands {
            sellers.entry(*b).or_default().push((i, weight(p.tier)));
        }
    }
    let mut names = BTreeSet::new();
    let customers = (0..n)
        .map(|_| {
            // 45 % LATAM, 30 % USA/CAN, 25 % EU/ES.
            let region = match g.rng.gen_range(0..100) {
                0..45 => Region::Latam,
                45..75 => Region::UsaCan,
                _ => Region::EuEs,
            };
            let brand = region.brand();
            let code = *g.pick::<&str>(region.countries());
            let country = Country::parse(code).expect("a listed country");
            let list = &sellers[&brand];
            let (idx, _) = *list
                .choose_weighted(&mut g.rng, |(_, w)| *w)
                .expect("every brand has a seller");
            Customer {
                id: CustomerId(g.uuid()),
                partner_id: partners[idx].id,
                name: unique_name(&mut g.rng, CUSTOMER_HEADS, CUSTOMER_TAILS, &mut names),
                country,
                brand,
                founder: g.person(),
                created_on: g.day_back(0..900),
            }
        })
        .collect();
    (customers, quality)
}

/// About 1 % of customers (at least 3) moved to another partner selling their brand, at their
/// founder's request, within the last 18 months.
fn migrations(
    g: &mut Gen,
    partners: &[Partner],
    customers: &mut [Customer],
) -> Vec<CustomerMigration> {
    let count = (customers.len() / 100).max(3).min(customers.len());
    let mut out = Vec::with_capacity(count);
    let mut moved = BTreeSet::new();
    let mut attempts = 0;
    while out.len() < count && attempts < count * 20 {
        attempts += 1;
        let i = g.rng.gen_range(0..customers.len());
        let c = &customers[i];
        if moved.contains(&i) {
            continue;
        }
        let to: Vec<&Partner> = partners
            .iter()
            .filter(|p| p.id != c.partner_id && p.brands.contains(&c.brand))
            .collect();
        let Some(to) = to.choose(&mut g.rng).map(|p| p.id) else {
            continue;
        };
        let age = (g.as_of - c.created_on).num_days().max(1) as u64;
        let effective_on = g.day_back(0..age.min(540));
        let m = CustomerMigration::new(
            MigrationId(g.uuid()),
            c.id,
            c.partner_id,
            to,
            effective_on,
            Initiator::Founder(c.founder.clone()),
        )
        .expect("a founder moving to another partner");
        customers[i].partner_id = to;
        moved.insert(i);
        out.push(m);
    }
    out.sort_by_key(|m| (m.effective_on, m.id));
    out
}

/// The partner of record for `customer` on `day`, given the migrations.
fn partner_on(
    customer: &Customer,
    by_customer: &BTreeMap<CustomerId, &CustomerMigration>,
    day: NaiveDate,
) -> PartnerId {
    by_customer
        .get(&customer.id)
        .map_or(customer.partner_id, |m| m.partner_of_record_on(day))
}

fn deployments(
    g: &mut Gen,
    customers: &[Customer],
    migrations: &[CustomerMigration],
    catalog: &[CatalogItem],
    n: usize,
) -> Vec<Deployment> {
    let by_customer: BTreeMap<_, _> = migrations.iter().map(|m| (m.customer_id, m)).collect();
    let window_start = g.as_of - Months::new(24);
    // Churned customers (about 8 %) ended everything on one day.
    let mut churned_on: BTreeMap<CustomerId, NaiveDate> = BTreeMap::new();
    for c in customers {
        if g.rng.gen_bool(0.08) {
            let days = (g.as_of - c.created_on).num_days().clamp(1, 700) as u64;
            churned_on.insert(c.id, g.day_back(0..days));
        }
    }
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        // Every customer gets one deployment first; the rest go to customers at random.
        let c = if k < customers.len() {
            &customers[k]
        } else {
            g.pick(customers)
        };
        let first = c.created_on.max(window_start);
        let last = churned_on.get(&c.id).copied().unwrap_or(g.as_of);
        let span = (last - first).num_days().max(0) as u64;
        let started_on = first + Days::new(g.rng.gen_range(0..=span));
        let offered: Vec<&CatalogItem> = catalog
            .iter()
            .filter(|i| i.brands.contains(&c.brand))
            .collect();
        let item = *g.pick(&offered);
        let quantity = match item.kind {
            CatalogKind::Skill => g.rng.gen_range(1..=4),
            _ => 1,
        };
        let credits = Credits::from_minor(item.list_price.minor() * quantity);
        let ended_on = match (churned_on.get(&c.id), item.billing) {
            (Some(day), _) => Some((*day).max(started_on + Days::new(1))),
            (None, Billing::Monthly) if g.rng.gen_bool(0.15) => {
                let left = (g.as_of - started_on).num_days();
                (left > 31).then(|| started_on + Days::new(g.rng.gen_range(31..=left as u64)))
            }
            _ => None,
        };
        out.push(Deployment {
            id: DeploymentId(g.uuid()),
            customer_id: c.id,
            partner_id: partner_on(c, &by_customer, started_on),
            sku: item.sku.clone(),
            billing: item.billing,
            credits,
            started_on,
            ended_on: ended_on.filter(|end| *end <= g.as_of),
        });
    }
    out
}

fn nps(
    g: &mut Gen,
    customers: &[Customer],
    migrations: &[CustomerMigration],
    quality: &BTreeMap<PartnerId, f64>,
) -> Vec<NpsResponse> {
    let by_customer: BTreeMap<_, _> = migrations.iter().map(|m| (m.customer_id, m)).collect();
    let mut out = Vec::new();
    for c in customers {
        for _ in 0..g.rng.gen_range(0..=3) {
            let age = (g.as_of - c.created_on).num_days().clamp(1, 720) as u64;
            let answered_on = g.day_back(0..age);
            let partner_id = partner_on(c, &by_customer, answered_on);
            let noise: f64 = (0..3).map(|_| g.rng.gen_range(-1.4..1.4)).sum();
            let score = (quality[&partner_id] + noise).round().clamp(0.0, 10.0) as u8;
            out.push(NpsResponse {
                id: NpsResponseId(g.uuid()),
                customer_id: c.id,
                partner_id,
                answered_on,
                score,
            });
        }
    }
    out
}

/// Consumptions (once for one-off deployments, monthly for recurring ones, charged to the
/// partner of record), migration lines at zero, and purchases in packs bought just in time so no
/// balance ever goes negative.
fn ledger(
    g: &mut Gen,
    partners: &[Partner],
    customers: &[Customer],
    deployments: &[Deployment],
    migrations: &[CustomerMigration],
) -> Vec<LedgerEntry> {
    let by_customer: BTreeMap<_, _> = migrations.iter().map(|m| (m.customer_id, m)).collect();
    let customer: BTreeMap<CustomerId, &Customer> = customers.iter().map(|c| (c.id, c)).collect();
    let mut events: BTreeMap<PartnerId, Vec<LedgerEntry>> = BTreeMap::new();
    for d in deployments {
        let c = customer[&d.customer_id];
        let mut day = d.started_on;
        let mut month = 0;
        while day <= g.as_of && d.ended_on.is_none_or(|end| day < end) {
            let partner_id = partner_on(c, &by_customer, day);
            events.entry(partner_id).or_default().push(LedgerEntry {
                id: LedgerEntryId(Uuid::nil()),
                partner_id,
                at: Gen::at(day, 60),
                kind: LedgerKind::Consumption,
                credits: -d.credits,
                fiat: None,
                rate: None,
                deployment_id: Some(d.id),
                customer_id: Some(d.customer_id),
                billing: Some(d.billing),
            });
            if d.billing == Billing::OneOff {
                break;
            }
            month += 1;
            day = d.started_on + Months::new(month);
        }
    }
    for m in migrations {
        events
            .entry(m.to_partner)
            .or_default()
            .push(LedgerEntry::for_migration(
                LedgerEntryId(Uuid::nil()),
                m,
                Gen::at(m.effective_on, 0),
            ));
    }
    let fx: BTreeMap<Currency, FxRate> = fx_rates(g.as_of)
        .into_iter()
        .map(|r| (r.currency, r))
        .collect();
    let mut out = Vec::new();
    for p in partners {
        let rate = p.discount().expect("generated rates lie in their band");
        let pack = Credits::whole(match p.tier {
            Tier::Authorized => 2_500,
            Tier::Specialist => 10_000,
            Tier::Regional => 25_000,
            Tier::Strategic => 60_000,
        });
        let mut lines = events.remove(&p.id).unwrap_or_default();
        lines.sort_by_key(|e| e.at);
        // Partners top up for about two months of their average consumption at a time.
        let spent: Credits = lines.iter().map(|l| -l.credits).sum();
        let days = lines
            .first()
            .zip(lines.last())
            .map_or(1, |(a, b)| (b.at - a.at).num_days().max(30));
        let two_months = spent.amount() * Decimal::from(60) / Decimal::from(days);
        let mut balance = Credits::ZERO;
        for mut line in lines {
            let need = balance + line.credits;
            if need.is_negative() {
                // Buy whole packs covering the line and the next two months, just before it.
                let packs = ((two_months - need.amount()) / pack.amount())
                    .ceil()
                    .max(Decimal::ONE);
                let credits = Credits::new(pack.amount() * packs).expect("whole credits");
                let fx = fx[&p.currency];
                let fiat = fiat_for_credits(credits, rate, &fx).expect("a priced purchase");
                let at = line.at - chrono::Duration::seconds(30);
                out.push(LedgerEntry {
                    id: LedgerEntryId(g.uuid_at(at)),
                    partner_id: p.id,
                    at,
                    kind: LedgerKind::Purchase,
                    credits,
                    fiat: Some(fiat),
                    rate: Some(rate.fraction()),
                    deployment_id: None,
                    customer_id: None,
                    billing: None,
                });
                balance = balance + credits;
            }
            balance = balance + line.credits;
            line.id = LedgerEntryId(g.uuid_at(line.at));
            out.push(line);
        }
    }
    out.sort_by_key(|e| (e.at, e.partner_id, e.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use program::benefits::{Benefit, Entitlement};

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn demo_is_deterministic_for_a_seed() {
        assert_eq!(
            generate(&DemoConfig::small(day())),
            generate(&DemoConfig::small(day()))
        );
        let other = DemoConfig {
            seed: 7,
            ..DemoConfig::small(day())
        };
        assert_ne!(
            generate(&other).partners[0].name,
            generate(&DemoConfig::small(day())).partners[0].name
        );
    }

    #[test]
    fn small_demo_has_its_documented_size() {
        let d = generate(&DemoConfig::small(day()));
        assert_eq!(d.partners.len(), 40);
        assert_eq!(d.customers.len(), 2_000);
        assert_eq!(d.deployments.len(), 20_000);
        assert!(d.nps.len() > 1_000);
        assert!(d.migrations.len() >= 3);
    }

    #[test]
    fn scale_reaches_a_million_deployments() {
        let c = DemoConfig::with_deployments(day(), 1_000_000);
        assert_eq!(c.deployments, 1_000_000);
        assert_eq!(c.customers, 100_000);
        assert!(c.partners > 200);
    }

    #[test]
    fn every_tier_region_and_brand_has_partners() {
        let d = generate(&DemoConfig::small(day()));
        for tier in Tier::ALL {
            for region in Region::ALL {
                assert!(
                    d.partners
                        .iter()
                        .any(|p| p.tier == tier && p.region() == region),
                    "{tier} in {region}"
                );
            }
        }
        for brand in Brand::ALL {
            assert!(d.partners.iter().any(|p| p.brands.contains(&brand)));
        }
        let names: BTreeSet<_> = d.partners.iter().map(|p| &p.name).collect();
        assert_eq!(names.len(), d.partners.len(), "partner names are unique");
    }

    #[test]
    fn every_rate_lies_in_its_tier_band() {
        for p in generate(&DemoConfig::small(day())).partners {
            assert!(p.discount().is_ok(), "{} {}", p.tier, p.discount_rate);
        }
    }

    #[test]
    fn every_customer_brand_serves_its_country_and_is_sold_by_its_partner() {
        let d = generate(&DemoConfig::small(day()));
        let partners: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
        for c in &d.customers {
            assert!(c.check_brand().is_ok(), "{} in {}", c.brand, c.country);
            assert!(partners[&c.partner_id].brands.contains(&c.brand));
        }
    }

    #[test]
    fn demo_deals_keep_every_registration_rule() {
        use program::deals::{check_registration, DealInput, Registrant, Registration};
        let d = generate(&DemoConfig::small(day()));
        assert!(d.deals.len() >= 20, "{} deals", d.deals.len());
        let claims: Vec<TerritoryClaim> = d
            .territories
            .iter()
            .filter_map(|t| {
                TerritoryClaim::of(t, d.partners.iter().find(|p| p.id == t.partner_id)?)
            })
            .collect();
        for (i, deal) in d.deals.iter().enumerate() {
            let p = d.partners.iter().find(|p| p.id == deal.partner_id).unwrap();
            let own: BTreeSet<_> = d
                .territories
                .iter()
                .filter(|t| t.partner_id == p.id)
                .map(|t| t.id)
                .collect();
            let earlier: Vec<Registration<'_>> = d.deals[..i]
                .iter()
                .map(|deal| Registration { deal, holder: "x" })
                .collect();
            let input = DealInput {
                id: deal.id,
                partner_id: deal.partner_id,
                company: deal.company.clone(),
                domain: deal.domain.clone(),
                country: deal.country,
                brand: deal.brand,
                products: deal.products.clone(),
                value: deal.value,
                expected_close: deal.expected_close,
                owner: deal.owner.clone(),
                notes: deal.notes.clone(),
            };
            let registrant = Registrant {
                id: p.id,
                brands: &p.brands,
                own_territories: &own,
            };
            assert_eq!(
                check_registration(&input, &registrant, &d.catalog, &claims, &earlier),
                Ok(()),
                "{}",
                deal.company
            );
            // Expired exactly when an open deal sat 90 days in its stage.
            assert_eq!(
                deal.status == DealStatus::Expired,
                !deal.stage.is_closed() && deal.stage_since.date_naive() + Days::new(90) <= day()
            );
        }
    }

    #[test]
    fn exclusivity_follows_the_matrix_and_never_overlaps() {
        let d = generate(&DemoConfig::small(day()));
        let partners: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
        let mut exclusive_countries = BTreeSet::new();
        let mut exclusive_regions = BTreeSet::new();
        for t in &d.territories {
            let tier = partners[&t.partner_id].tier;
            assert!(
                t.exclusivity.allowed_for(tier),
                "{tier} {:?}",
                t.exclusivity
            );
            let territory_cell = Benefit::TerritoryOpportunities.for_tier(tier);
            assert_ne!(
                territory_cell,
                Entitlement::NotIncluded,
                "{tier} holds no territory"
            );
            match t.exclusivity {
                Exclusivity::CountryLevel => {
                    assert!(exclusive_countries.insert(t.country.unwrap()))
                }
                Exclusivity::Regional => assert!(exclusive_regions.insert(t.region)),
                Exclusivity::None => {}
            }
        }
        for c in &exclusive_countries {
            assert!(
                !exclusive_regions.contains(&c.region()),
                "{c} claimed twice"
            );
        }
        assert!(!exclusive_countries.is_empty() && !exclusive_regions.is_empty());
    }

    #[test]
    fn deployments_lie_within_the_last_24_months() {
        let d = generate(&DemoConfig::small(day()));
        let start = day() - Months::new(24);
        for dep in &d.deployments {
            assert!(dep.started_on >= start && dep.started_on <= day());
            assert!(dep
                .ended_on
                .is_none_or(|e| e > dep.started_on && e <= day()));
        }
        assert!(d.deployments.iter().any(|x| x.ended_on.is_some()));
    }

    #[test]
    fn purchases_cover_every_consumption_and_no_balance_goes_negative() {
        let d = generate(&DemoConfig::small(day()));
        let mut balance: BTreeMap<PartnerId, Credits> = BTreeMap::new();
        for e in &d.ledger {
            e.validate().unwrap();
            let b = balance.entry(e.partner_id).or_default();
            *b = *b + e.credits;
            assert!(!b.is_negative(), "{} below zero at {}", e.partner_id, e.at);
        }
        for e in d.ledger.iter().filter(|e| e.kind == LedgerKind::Purchase) {
            let p = d.partners.iter().find(|p| p.id == e.partner_id).unwrap();
            let fx = fx_rates(day())
                .into_iter()
                .find(|r| r.currency == p.currency)
                .unwrap();
            let rate = p.discount().unwrap();
            assert_eq!(e.rate, Some(rate.fraction()));
            assert_eq!(
                e.fiat,
                Some(fiat_for_credits(e.credits, rate, &fx).unwrap())
            );
        }
    }

    #[test]
    fn migrations_cost_zero_credits_and_move_the_partner_of_record() {
        let d = generate(&DemoConfig::small(day()));
        for m in &d.migrations {
            let c = d.customers.iter().find(|c| c.id == m.customer_id).unwrap();
            assert_eq!(c.partner_id, m.to_partner);
            let line = d
                .ledger
                .iter()
                .find(|e| e.kind == LedgerKind::Migration && e.customer_id == Some(c.id))
                .unwrap();
            assert_eq!(line.credits, Credits::ZERO);
        }
    }

    #[test]
    fn nps_scores_are_between_zero_and_ten() {
        let d = generate(&DemoConfig::small(day()));
        assert!(d.nps.iter().all(|r| r.score <= 10));
        assert!(d.nps.iter().any(|r| r.score >= 9) && d.nps.iter().any(|r| r.score <= 6));
    }
}
