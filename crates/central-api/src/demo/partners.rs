//! Partners (tiers, regions, brands and rates) and the territories they hold.

use std::collections::{BTreeMap, BTreeSet};

use program::contract::{Exclusivity, Partner, PartnerId, Territory, TerritoryId};
use program::{Brand, Country, Region, Tier};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::names::{unique_name, ACCOUNT_MANAGERS, NAME_HEADS, NAME_TAILS};
use super::Gen;

/// Big markets first: where a Strategic partner's country-level exclusivity goes.
const KEY_MARKETS: &[(Region, &[&str])] = &[
    (Region::Latam, &["MX", "BR", "CO", "CL", "AR", "PE"]),
    (Region::EuEs, &["ES", "DE", "FR", "IT", "PT", "NL"]),
    (Region::UsaCan, &["US", "CA"]),
];

/// Regions in the order tiers are spread over them, so small configs cover every pair.
const REGION_CYCLE: [Region; 3] = [Region::Latam, Region::EuEs, Region::UsaCan];

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

pub(super) fn partners(g: &mut Gen, n: usize) -> Vec<Partner> {
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
pub(super) fn territories(g: &mut Gen, partners: &[Partner]) -> Vec<Territory> {
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
