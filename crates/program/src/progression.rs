//! Tier progression, earned by operational metrics only.
//!
//! The inputs are active customers, customer success (NPS, retention) and recurring activation
//! volume. There is no input for referrals or recruitment: the program has no downlines and no
//! referral payouts, so `PartnerMetrics` has no place for them. An automatic rule can only ever
//! name a self-service tier (`SelfServiceTier`): Strategic is invitation-only, so the most the
//! software says is that a partner *may be considered* for it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::money::Credits;
use crate::tiers::Tier;

/// Tiers a partner can be found eligible for by rule. Strategic is deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SelfServiceTier {
    Specialist,
    Regional,
}

impl From<SelfServiceTier> for Tier {
    fn from(t: SelfServiceTier) -> Tier {
        match t {
            SelfServiceTier::Specialist => Tier::Specialist,
            SelfServiceTier::Regional => Tier::Regional,
        }
    }
}

/// The thresholds to reach a tier (or, for Strategic, to be considered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Thresholds {
    pub active_customers: u32,
    /// Net Promoter Score, −100..=100.
    pub nps: i32,
    /// Logo retention over the trailing 12 months, as a fraction.
    #[ts(type = "string")]
    pub retention: Decimal,
    /// Credits consumed by recurring deployments over the trailing 12 months.
    pub recurring_volume: Credits,
}

/// The program policy's progression thresholds, served by the central API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgressionPolicy {
    pub specialist: Thresholds,
    pub regional: Thresholds,
    /// Meeting these makes a Regional partner worth considering for Strategic; never an upgrade.
    pub strategic_consideration: Thresholds,
}

impl ProgressionPolicy {
    /// The reference server's defaults.
    pub fn reference() -> Self {
        ProgressionPolicy {
            specialist: Thresholds {
                active_customers: 10,
                nps: 20,
                retention: Decimal::new(75, 2),
                recurring_volume: Credits::whole(25_000),
            },
            regional: Thresholds {
                active_customers: 40,
                nps: 30,
                retention: Decimal::new(85, 2),
                recurring_volume: Credits::whole(150_000),
            },
            strategic_consideration: Thresholds {
                active_customers: 120,
                nps: 45,
                retention: Decimal::new(90, 2),
                recurring_volume: Credits::whole(600_000),
            },
        }
    }

    fn for_next(&self, tier: Tier) -> Option<&Thresholds> {
        match tier {
            Tier::Authorized => Some(&self.specialist),
            Tier::Specialist => Some(&self.regional),
            Tier::Regional => Some(&self.strategic_consideration),
            Tier::Strategic => None,
        }
    }
}

/// A partner's operational metrics. Nothing here counts referrals or recruits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerMetrics {
    pub active_customers: u32,
    /// None when too few survey responses to compute a score.
    pub nps: Option<i32>,
    /// None when there were no customers at the start of the window.
    pub retention: Option<Decimal>,
    pub recurring_volume: Credits,
}

impl Thresholds {
    pub fn met_by(&self, m: &PartnerMetrics) -> bool {
        m.active_customers >= self.active_customers
            && m.nps.is_some_and(|n| n >= self.nps)
            && m.retention.is_some_and(|r| r >= self.retention)
            && m.recurring_volume >= self.recurring_volume
    }
}

/// Where a partner stands relative to the tier above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outlook {
    /// Meets every threshold of the next self-service tier; the platform confirms the upgrade.
    EligibleForUpgrade { tier: SelfServiceTier },
    /// Still short of the next tier's thresholds.
    Progressing { next: Tier },
    /// A Regional partner meeting the consideration thresholds: invitation only, through the
    /// platform team.
    MayBeConsideredForStrategic,
    /// Already Strategic.
    AtTop,
}

/// Evaluates a partner's metrics against the policy. Never returns an upgrade to Strategic.
pub fn outlook(current: Tier, metrics: &PartnerMetrics, policy: &ProgressionPolicy) -> Outlook {
    let Some(thresholds) = policy.for_next(current) else {
        return Outlook::AtTop;
    };
    let next = current
        .next()
        .expect("a tier with thresholds has a next tier");
    if !thresholds.met_by(metrics) {
        return Outlook::Progressing { next };
    }
    match current {
        Tier::Authorized => Outlook::EligibleForUpgrade {
            tier: SelfServiceTier::Specialist,
        },
        Tier::Specialist => Outlook::EligibleForUpgrade {
            tier: SelfServiceTier::Regional,
        },
        Tier::Regional | Tier::Strategic => Outlook::MayBeConsideredForStrategic,
    }
}

/// The four measures progression looks at. There is no measure of referrals or recruits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    ActiveCustomers,
    Nps,
    Retention,
    RecurringVolume,
}

/// One threshold of the next tier: where the partner is, what is required, and when, at the pace
/// of the last six months, it would get there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ThresholdStatus {
    pub measure: Measure,
    /// Decimal string; None when the value cannot be computed (too few NPS responses).
    pub current: Option<String>,
    pub required: String,
    pub met: bool,
    /// Decimal string: how far `current` is below `required` ("0" when met); None when the value
    /// cannot be computed.
    pub gap: Option<String>,
    /// ISO date the pace of the last six months reaches the threshold; None when met, or when
    /// the pace would never reach it.
    pub estimated_on: Option<String>,
}

/// Months of history the pace is taken over.
pub const PACE_MONTHS: u32 = 6;

fn measure_values(m: &PartnerMetrics) -> [(Measure, Option<Decimal>); 4] {
    [
        (
            Measure::ActiveCustomers,
            Some(Decimal::from(m.active_customers)),
        ),
        (Measure::Nps, m.nps.map(Decimal::from)),
        (Measure::Retention, m.retention),
        (Measure::RecurringVolume, Some(m.recurring_volume.amount())),
    ]
}

fn required_values(t: &Thresholds) -> [Decimal; 4] {
    [
        Decimal::from(t.active_customers),
        Decimal::from(t.nps),
        t.retention,
        t.recurring_volume.amount(),
    ]
}

/// Each threshold of `thresholds` for a partner whose metrics are `now` today (`as_of`) and were
/// `then` six months earlier.
pub fn threshold_statuses(
    thresholds: &Thresholds,
    now: &PartnerMetrics,
    then: &PartnerMetrics,
    as_of: chrono::NaiveDate,
) -> Vec<ThresholdStatus> {
    let before = measure_values(then);
    measure_values(now)
        .into_iter()
        .zip(required_values(thresholds))
        .zip(before)
        .map(|(((measure, current), required), (_, past))| {
            let met = current.is_some_and(|c| c >= required);
            let estimated_on = match (met, current, past) {
                (false, Some(c), Some(p)) if c > p => {
                    let per_month = (c - p) / Decimal::from(PACE_MONTHS);
                    let months = ((required - c) / per_month).ceil();
                    u32::try_from(months.mantissa() / 10i128.pow(months.scale()))
                        .ok()
                        .filter(|m| *m <= 120)
                        .and_then(|m| as_of.checked_add_months(chrono::Months::new(m)))
                        .map(|d| d.format("%Y-%m-%d").to_string())
                }
                _ => None,
            };
            ThresholdStatus {
                measure,
                current: current.map(|c| c.normalize().to_string()),
                required: required.normalize().to_string(),
                met,
                gap: current.map(|c| (required - c).max(Decimal::ZERO).normalize().to_string()),
                estimated_on,
            }
        })
        .collect()
}

impl ProgressionPolicy {
    /// The thresholds of the tier above `tier` (for Regional: to be considered for Strategic).
    pub fn next_thresholds(&self, tier: Tier) -> Option<&Thresholds> {
        self.for_next(tier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strong() -> PartnerMetrics {
        PartnerMetrics {
            active_customers: 10_000,
            nps: Some(100),
            retention: Some(Decimal::ONE),
            recurring_volume: Credits::whole(100_000_000),
        }
    }

    #[test]
    fn each_threshold_shows_current_required_met_and_the_date_at_the_current_pace() {
        let policy = ProgressionPolicy::reference();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let now = PartnerMetrics {
            active_customers: 8,
            nps: Some(25),
            retention: None,
            recurring_volume: Credits::whole(19_000),
        };
        let then = PartnerMetrics {
            active_customers: 2,
            nps: Some(30),
            retention: None,
            recurring_volume: Credits::whole(10_000),
        };
        let rows = threshold_statuses(&policy.specialist, &now, &then, as_of);
        assert_eq!(rows.len(), 4);
        // +6 customers in 6 months = 1 a month; 2 more needed → 2 months.
        assert_eq!(rows[0].measure, Measure::ActiveCustomers);
        assert_eq!(rows[0].current.as_deref(), Some("8"));
        assert_eq!(rows[0].required, "10");
        assert!(!rows[0].met);
        assert_eq!(rows[0].estimated_on.as_deref(), Some("2027-01-23"));
        // NPS 25 ≥ 20: met, no estimate.
        assert!(rows[1].met && rows[1].estimated_on.is_none());
        // Retention unknown: not met, no estimate.
        assert!(!rows[2].met && rows[2].current.is_none() && rows[2].estimated_on.is_none());
        // +9,000 in 6 months = 1,500 a month; 6,000 more → 4 months.
        assert_eq!(rows[3].estimated_on.as_deref(), Some("2027-03-23"));
    }

    #[test]
    fn the_gap_is_what_remains_to_each_threshold_and_zero_once_met() {
        let policy = ProgressionPolicy::reference();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let now = PartnerMetrics {
            active_customers: 31,
            nps: Some(45),
            retention: Some(Decimal::new(8123, 4)),
            recurring_volume: Credits::new(Decimal::new(12_345_050, 2)).unwrap(),
        };
        let rows = threshold_statuses(&policy.regional, &now, &now, as_of);
        let gaps: Vec<Option<&str>> = rows.iter().map(|r| r.gap.as_deref()).collect();
        // 40 − 31 customers; NPS 45 ≥ 30; 0.85 − 0.8123; 150,000 − 123,450.50 credits.
        assert_eq!(
            gaps,
            vec![Some("9"), Some("0"), Some("0.0377"), Some("26549.5")]
        );
        assert!(rows[1].met);
        let unknown = PartnerMetrics {
            nps: None,
            retention: None,
            ..now
        };
        let rows = threshold_statuses(&policy.regional, &unknown, &unknown, as_of);
        assert_eq!(
            (rows[1].gap.as_deref(), rows[2].gap.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn a_falling_measure_has_no_estimated_date() {
        let policy = ProgressionPolicy::reference();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let now = PartnerMetrics {
            active_customers: 5,
            nps: None,
            retention: None,
            recurring_volume: Credits::ZERO,
        };
        let then = PartnerMetrics {
            active_customers: 9,
            ..now.clone()
        };
        let rows = threshold_statuses(&policy.specialist, &now, &then, as_of);
        assert!(rows.iter().all(|r| r.estimated_on.is_none()));
    }

    #[test]
    fn strategic_is_never_auto_upgraded() {
        let policy = ProgressionPolicy::reference();
        assert_eq!(
            outlook(Tier::Regional, &strong(), &policy),
            Outlook::MayBeConsideredForStrategic
        );
        assert_eq!(outlook(Tier::Strategic, &strong(), &policy), Outlook::AtTop);
    }

    #[test]
    fn meeting_every_threshold_makes_a_partner_eligible_for_the_next_self_service_tier() {
        let policy = ProgressionPolicy::reference();
        assert_eq!(
            outlook(Tier::Authorized, &strong(), &policy),
            Outlook::EligibleForUpgrade {
                tier: SelfServiceTier::Specialist
            }
        );
        assert_eq!(
            outlook(Tier::Specialist, &strong(), &policy),
            Outlook::EligibleForUpgrade {
                tier: SelfServiceTier::Regional
            }
        );
    }

    #[test]
    fn missing_one_threshold_is_not_eligible() {
        let policy = ProgressionPolicy::reference();
        let mut m = strong();
        m.nps = None; // too few survey responses to score
        assert_eq!(
            outlook(Tier::Authorized, &m, &policy),
            Outlook::Progressing {
                next: Tier::Specialist
            }
        );
        let mut m = strong();
        m.active_customers = policy.specialist.active_customers - 1;
        assert!(!policy.specialist.met_by(&m));
    }
}
