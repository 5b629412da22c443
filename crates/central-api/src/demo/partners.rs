//! Partners (tiers, regions, brands and rates) and the territories they hold.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use program::contract::{Exclusivity, Partner, PartnerId, Territory, TerritoryId};
use program::{Brand, Country, Region, Subdivision, Tier, TierChange};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::names::{unique_name, ACCOUNT_MANAGERS, NAME_HEADS, NAME_TAILS};
use super::Gen;

/// Big markets first: where a Strategic partner's country-level exclusivity goes. In the USA and
/// Canada the first goes to Canada, so that Regional partners can hold US states.
const KEY_MARKETS: &[(Region, &[&str])] = &[
    (Region::Latam, &["MX", "BR", "CO", "CL", "AR", "PE"]),
    (Region::EuEs, &["ES", "DE", "FR", "IT", "PT", "NL"]),
    (Region::UsaCan, &["CA", "US"]),
];

/// Where the demo platform granted Regional partners exclusivity: a few states, provinces or
/// regions of one country (`held`), with the places across their border (`across`) where other
/// partners' pipelines run. A Regional partner is based in its block's country.
pub(super) struct Block {
    pub region: Region,
    pub held: &'static [&'static str],
    pub across: &'static [&'static str],
}

pub(super) const BLOCKS: &[Block] = &[
    Block {
        region: Region::UsaCan,
        held: &["US-TX", "US-OK"],
        across: &["US-NM", "US-LA", "US-AR", "US-KS", "US-CO"],
    },
    Block {
        region: Region::UsaCan,
        held: &["US-CA", "US-NV"],
        across: &["US-OR", "US-AZ", "US-UT", "US-ID"],
    },
    Block {
        region: Region::UsaCan,
        held: &["US-NY", "US-NJ"],
        across: &["US-PA", "US-CT", "US-VT", "US-MA", "US-DE"],
    },
    Block {
        region: Region::Latam,
        held: &["BR-SP", "BR-RJ"],
        across: &["BR-MG", "BR-PR", "BR-MS", "BR-ES"],
    },
    Block {
        region: Region::Latam,
        held: &["AR-B", "AR-C"],
        across: &["AR-E", "AR-L", "AR-S", "AR-X", "AR-R"],
    },
    Block {
        region: Region::Latam,
        held: &["CO-ANT"],
        across: &[
            "CO-CAL", "CO-CHO", "CO-COR", "CO-BOL", "CO-RIS", "CO-BOY", "CO-SAN",
        ],
    },
    Block {
        region: Region::Latam,
        held: &["CL-RM"],
        across: &["CL-VS", "CL-LI"],
    },
    Block {
        region: Region::EuEs,
        held: &["DE-BY", "DE-BW"],
        across: &["DE-HE", "DE-TH", "DE-SN", "DE-RP"],
    },
    Block {
        region: Region::EuEs,
        held: &["FR-IDF"],
        across: &["FR-HDF", "FR-NOR", "FR-CVL", "FR-BFC", "FR-GES"],
    },
    Block {
        region: Region::EuEs,
        held: &["IT-25"],
        across: &["IT-21", "IT-34", "IT-45", "IT-32"],
    },
];

impl Block {
    pub fn country(&self) -> Country {
        self.held_subdivisions()[0].country()
    }

    pub fn held_subdivisions(&self) -> Vec<Subdivision> {
        self.held.iter().map(|c| parse_subdivision(c)).collect()
    }

    pub fn across_subdivisions(&self) -> Vec<Subdivision> {
        self.across.iter().map(|c| parse_subdivision(c)).collect()
    }

    fn of_region(region: Region) -> impl Iterator<Item = &'static Block> {
        BLOCKS.iter().filter(move |b| b.region == region)
    }
}

fn parse_subdivision(code: &str) -> Subdivision {
    Subdivision::parse(code).expect("the demo's blocks name real subdivisions")
}

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
    let mut regional_blocks: BTreeMap<Region, usize> = BTreeMap::new();
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
                Country::parse(code).expect("a listed country")
            } else if tier == Tier::Regional {
                // Regional partners sit in the countries of the blocks, one block each in turn.
                let blocks: Vec<&Block> = Block::of_region(region).collect();
                let i = regional_blocks.entry(region).or_default();
                let block = blocks[*i % blocks.len()];
                *i += 1;
                block.country()
            } else {
                Country::parse(g.pick::<&str>(countries)).expect("a listed country")
            };
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
            let id = PartnerId(g.uuid());
            let joined_on = g.days_ago(years);
            Partner {
                id,
                name,
                tier,
                discount_rate: rate_for(&mut g.rng, tier),
                country,
                brands,
                currency: country.currency(),
                joined_on,
                account_manager: g.pick(ACCOUNT_MANAGERS).to_string(),
                tier_history: tier_path(id, tier, joined_on, years),
                logo: logo(id, tier),
            }
        })
        .collect()
}

/// How a partner that joined on `joined_on`, `age` days ago, reached `tier`: Authorized on the day
/// it joined, then one tier at a time, each climb at a random day of its own equal share of the
/// partner's time in the program (so climbs follow one another and the last is before today).
/// A logo for the partners of the two higher tiers and for every third of the others (the rest
/// have none, and their decks show their brand): a mark of simple shapes in two colours, drawn
/// from the partner's id alone so that the rest of the world does not shift with it.
fn logo(id: PartnerId, tier: Tier) -> Option<String> {
    let bits = id.0.as_u128();
    if tier < Tier::Regional && !bits.is_multiple_of(3) {
        return None;
    }
    const INKS: [&str; 8] = [
        "#0b6e4f", "#1d4e89", "#7a306c", "#b23a48", "#c46d1b", "#2a7f8f", "#5c4d7d", "#3d5a3b",
    ];
    let ink = INKS[(bits % 8) as usize];
    let second = INKS[((bits >> 8) % 8) as usize];
    let second = if second == ink { "#8a8a8a" } else { second };
    let mark = match (bits >> 16) % 4 {
        0 => format!(
            r#"<circle cx="40" cy="40" r="34" fill="{ink}"/><circle cx="58" cy="40" r="22" fill="{second}" opacity="0.85"/>"#
        ),
        1 => format!(
            r#"<path d="M40 4 L76 40 L40 76 L4 40 Z" fill="{ink}"/><path d="M40 22 L58 40 L40 58 L22 40 Z" fill="{second}"/>"#
        ),
        2 => format!(
            r#"<path d="M40 4 L71 22 L71 58 L40 76 L9 58 L9 22 Z" fill="{ink}"/><circle cx="40" cy="40" r="16" fill="{second}"/>"#
        ),
        _ => format!(
            r#"<rect x="4" y="4" width="72" height="72" rx="16" fill="{ink}"/><path d="M18 60 L40 18 L62 60 Z" fill="{second}"/>"#
        ),
    };
    Some(format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80" width="80" height="80">{mark}</svg>"#
    ))
}

/// Drawn from a stream of the partner's own, seeded by its id, so the rest of the world does not
/// shift with it.
fn tier_path(id: PartnerId, tier: Tier, joined_on: NaiveDate, age: u64) -> Vec<TierChange> {
    let mut rng = ChaCha8Rng::seed_from_u64(id.0.as_u64_pair().1);
    let climbs: Vec<Tier> = Tier::ALL
        .into_iter()
        .filter(|t| *t > Tier::entry() && *t <= tier)
        .collect();
    let share = age / (climbs.len() as u64 + 1);
    let mut history = Partner::joining(joined_on);
    for (i, tier) in climbs.into_iter().enumerate() {
        let from = share * (i as u64 + 1);
        let on = joined_on + Days::new(from + rng.gen_range(0..share.max(1)));
        history.push(TierChange { tier, on });
    }
    history
}

/// Strategic partners hold their home country exclusively (country-level) where no one holds it
/// yet; Regional partners hold the first block of their home country (see [`BLOCKS`]) that no one
/// holds and that lies in no country held whole. Every other Regional or Strategic partner holds a
/// non-exclusive territory. Authorized and Specialist are global and hold none. No two exclusive
/// territories overlap.
pub(super) fn territories(g: &mut Gen, partners: &[Partner]) -> Vec<Territory> {
    let mut out: Vec<Territory> = Vec::new();
    let overlaps = |out: &[Territory], t: &Territory| out.iter().any(|o| o.overlaps(t));
    for p in partners.iter().filter(|p| p.tier == Tier::Strategic) {
        let mut t = Territory {
            id: TerritoryId(g.uuid()),
            partner_id: p.id,
            region: p.region(),
            country: Some(p.country),
            subdivisions: Vec::new(),
            exclusivity: Exclusivity::CountryLevel,
        };
        if overlaps(&out, &t) {
            t.exclusivity = Exclusivity::None;
        }
        out.push(t);
    }
    for p in partners.iter().filter(|p| p.tier == Tier::Regional) {
        let exclusive = Block::of_region(p.region())
            .filter(|b| b.country() == p.country)
            .map(|b| Territory {
                id: TerritoryId(Uuid::nil()),
                partner_id: p.id,
                region: p.region(),
                country: Some(p.country),
                subdivisions: b.held_subdivisions(),
                exclusivity: Exclusivity::Regional,
            })
            .find(|t| !overlaps(&out, t));
        let t = exclusive.unwrap_or(Territory {
            id: TerritoryId(Uuid::nil()),
            partner_id: p.id,
            region: p.region(),
            country: None,
            subdivisions: Vec::new(),
            exclusivity: Exclusivity::None,
        });
        out.push(Territory {
            id: TerritoryId(g.uuid()),
            ..t
        });
    }
    out
}

/// The places of `region` (a subdivision where the country has them, else the country) that no
/// territory holds exclusively: where any partner selling the region's brand may register a deal.
pub fn unclaimed_places(
    territories: &[Territory],
    region: Region,
) -> Vec<(Country, Option<Subdivision>)> {
    let exclusive: Vec<&Territory> = territories
        .iter()
        .filter(|t| t.exclusivity != Exclusivity::None)
        .collect();
    let held = |country: Country, subdivision: Option<Subdivision>| {
        exclusive.iter().any(|t| {
            t.country == Some(country)
                && (t.exclusivity == Exclusivity::CountryLevel
                    || subdivision.is_some_and(|s| t.subdivisions.contains(&s)))
        })
    };
    region
        .countries()
        .iter()
        .filter_map(|c| Country::parse(c).ok())
        .flat_map(|country| {
            let subdivisions: Vec<Option<Subdivision>> =
                match Subdivision::of(country).map(Some).collect::<Vec<_>>() {
                    none if none.is_empty() => vec![None],
                    some => some,
                };
            subdivisions.into_iter().map(move |s| (country, s))
        })
        .filter(|(country, s)| !held(*country, *s))
        .collect()
}
