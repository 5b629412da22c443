//! The credit ledger: consumptions, migration lines, and the purchases that cover them.

use std::collections::BTreeMap;

use chrono::Months;
use program::contract::{
    Billing, Customer, CustomerId, Deployment, LedgerEntry, LedgerEntryId, LedgerKind, Partner,
    PartnerId,
};
use program::{fiat_for_credits, Credits, Currency, CustomerMigration, FxRate, Tier};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::customers::partner_on;
use super::{fx_rates, Gen};

/// Consumptions (once for one-off deployments, monthly for recurring ones, charged to the
/// partner of record), migration lines at zero, and purchases in packs, bought before the balance
/// would go negative (or below the partner's reserve), so no balance ever does.
pub(super) fn ledger(
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
                at: g.at(day, 60),
                kind: LedgerKind::Consumption,
                credits: -d.credits,
                fiat: None,
                rate: None,
                deployment_id: Some(d.id),
                customer_id: Some(d.customer_id),
                billing: Some(d.billing),
                reason: None,
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
                g.at(m.effective_on, 0),
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
        // About a quarter of partners buy just in time, so their runway runs short (what the
        // low-runway alert is for); the others keep a reserve of one to three months. Drawn from a
        // stream of the partner's own, so the rest of the world keeps its shape.
        let mut own = ChaCha8Rng::seed_from_u64(p.id.0.as_u64_pair().0);
        let reserve_days = if own.gen_bool(0.25) {
            0
        } else {
            own.gen_range(30..=90)
        };
        // The reserve follows the last 30 days' consumption, as the runway does.
        let mut recent: std::collections::VecDeque<(chrono::DateTime<chrono::Utc>, Decimal)> =
            std::collections::VecDeque::new();
        let mut recent_sum = Decimal::ZERO;
        let mut balance = Credits::ZERO;
        for mut line in lines {
            if line.kind == LedgerKind::Consumption {
                recent.push_back((line.at, -line.credits.amount()));
                recent_sum += -line.credits.amount();
            }
            while let Some((at, credits)) = recent.front().copied() {
                if line.at - at <= chrono::Duration::days(30) {
                    break;
                }
                recent_sum -= credits;
                recent.pop_front();
            }
            let per_day = recent_sum / Decimal::from(30);
            let reserve = per_day * Decimal::from(reserve_days);
            let two_months = two_months.max(per_day * Decimal::from(60));
            let need = balance + line.credits;
            if need.is_negative() || need.amount() < reserve {
                // Buy whole packs covering the line, the reserve and the next two months, just
                // before it.
                let packs = ((two_months + reserve - need.amount()) / pack.amount())
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
                    reason: None,
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
