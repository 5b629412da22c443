//! The program's metrics (`program::metrics`) over the local cache, for every partner at once.
//!
//! SQL gathers the facts each metric is defined on (response counts, per-customer activity at
//! the ends of the window, consumption lines) in a few set-based queries; the definitions
//! themselves are applied by `program::metrics`. A customer's partner of record on a day is its
//! current partner unless a migration after that day moved it: then the first such migration's
//! old partner.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use program::contract::{Billing, CustomerId, PartnerId};
use program::metrics::{self, Consumption, CustomerEnds, Nps};
use program::progression::PartnerMetrics;
use program::Credits;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::error::{DeskError, Result};
use crate::input::iso;
use crate::store::Store;

/// SQL: a ledger line `l`'s billing — its own, or (from a feed that did not send it) its
/// deployment's; NULL for lines that are not consumptions. `coalesce` stops at the first value, so
/// the lookup runs only for lines without one.
pub(crate) const LINE_BILLING: &str = "CASE WHEN l.kind = 'consumption' THEN coalesce(l.billing, \
     (SELECT d.billing FROM deployments d WHERE d.id = l.deployment_id), 'one_off') END";

/// A partner's figures on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub active_customers: u32,
    pub nps: Nps,
    pub retention: metrics::Retention,
    pub recurring_volume: Credits,
    pub balance: Credits,
    pub burn_30: Credits,
    pub burn_90: Credits,
    pub runway_days: Option<u32>,
}

impl Figures {
    pub(crate) fn empty() -> Figures {
        Figures {
            active_customers: 0,
            nps: metrics::nps_from_counts(0, 0, 0),
            retention: metrics::retention([]),
            recurring_volume: Credits::ZERO,
            balance: Credits::ZERO,
            burn_30: Credits::ZERO,
            burn_90: Credits::ZERO,
            runway_days: None,
        }
    }

    /// The inputs of tier progression.
    pub fn progression(&self) -> PartnerMetrics {
        PartnerMetrics {
            active_customers: self.active_customers,
            nps: self.nps.score,
            retention: self.retention.rate,
            recurring_volume: self.recurring_volume,
        }
    }
}

fn slot(out: &mut HashMap<PartnerId, Figures>, id: PartnerId) -> &mut Figures {
    out.entry(id).or_insert_with(Figures::empty)
}

fn parse_partner(id: &str) -> Result<PartnerId> {
    id.parse()
        .map(PartnerId)
        .map_err(|_| DeskError::Corrupt(format!("partner id {id:?}")))
}

/// SQL for the partner of record of customer `c` on the day bound as `?day`.
const RECORD_ON: &str = "coalesce((SELECT m.from_partner_id FROM customer_migrations m \
     WHERE m.customer_id = c.id AND m.effective_on > ?day ORDER BY m.effective_on LIMIT 1), c.partner_id)";

/// SQL: whether deployment `d` keeps its customer active on `?day`
/// (`program::metrics::keeps_active`): started by then, and a one-off made since `?since` (the
/// first of the 90 days to `?day`) or a monthly one that had not ended by `?since`.
macro_rules! keeps_active_sql {
    () => {
        "d.started_on <= ?day AND (d.started_on >= ?since \
         OR (d.billing = 'monthly' AND (d.ended_on IS NULL OR d.ended_on > ?since)))"
    };
}
pub(crate) const KEEPS_ACTIVE: &str = keeps_active_sql!();

/// SQL: whether customer `c` is active on `?day`: a deployment of it keeps it active.
const ACTIVE_ON: &str = concat!(
    "EXISTS (SELECT 1 FROM deployments d WHERE d.customer_id = c.id AND ",
    keeps_active_sql!(),
    ")"
);

/// `sql` on `day`, bound as literals (`?day`, and `?since`, the first of the 90 days to it).
pub(crate) fn on(sql: &str, day: NaiveDate) -> String {
    sql.replace("?day", &format!("'{}'", iso(day)))
        .replace("?since", &format!("'{}'", iso(metrics::active_since(day))))
}

/// Every partner's figures as of `as_of` (only partners with any activity appear; others are
/// all zero — see [`Figures`]). `only` restricts to some partners: then each query reads only
/// their rows, through the partner indexes.
pub async fn figures(
    store: &Store,
    as_of: NaiveDate,
    only: Option<&[PartnerId]>,
) -> Result<HashMap<PartnerId, Figures>> {
    let start = metrics::trailing_start(as_of);
    let (day, first) = (iso(as_of), iso(start));
    // The trailing year's ledger starts the day after `start`.
    let first_end = iso(start + Days::new(1));
    let mut out: HashMap<PartnerId, Figures> = HashMap::new();
    // The partners, as a JSON array bound to `?` in `IN (SELECT value FROM json_each(?))`.
    let only_json = only.map(|ids| {
        serde_json::Value::from(ids.iter().map(ToString::to_string).collect::<Vec<_>>()).to_string()
    });
    let filter = |column: &str| match only {
        Some(_) => format!(" AND {column} IN (SELECT value FROM json_each(?))"),
        None => String::new(),
    };
    let only_set: Option<std::collections::HashSet<PartnerId>> =
        only.map(|ids| ids.iter().copied().collect());
    let wanted = |p: &PartnerId| only_set.as_ref().is_none_or(|set| set.contains(p));

    // Customers at the two ends of the window, attributed to their partner of record then.
    // (Dates are bound as literals: they come from NaiveDate, never from user text.)
    let ends_sql = format!(
        "SELECT c.id, {rs} AS rec_start, {as_} AS act_start, {re} AS rec_end, {ae} AS act_end \
         FROM customers c WHERE 1 = 1",
        rs = on(RECORD_ON, start),
        as_ = on(ACTIVE_ON, start),
        re = on(RECORD_ON, as_of),
        ae = on(ACTIVE_ON, as_of),
    );
    let ends_sql = match only {
        // The partners' customers of record now, and those that migrated to or from them.
        Some(_) => format!(
            "{ends_sql} AND c.id IN (\
               SELECT id FROM customers WHERE partner_id IN (SELECT value FROM json_each(?1)) \
               UNION SELECT customer_id FROM customer_migrations \
                      WHERE from_partner_id IN (SELECT value FROM json_each(?1)) \
                         OR to_partner_id IN (SELECT value FROM json_each(?1)))"
        ),
        None => ends_sql,
    };
    let mut ends_query = sqlx::query(&ends_sql);
    if let Some(json) = &only_json {
        ends_query = ends_query.bind(json);
    }
    // Each customer's latest answer in the window, once (two on one day: the lower score).
    let nps_sql = format!(
        "SELECT partner_id, count(*) AS n, sum(score >= 9) AS promoters, sum(score <= 6) AS detractors \
         FROM (SELECT partner_id, score, row_number() OVER (PARTITION BY partner_id, customer_id \
                 ORDER BY answered_on DESC, score ASC) AS latest \
               FROM nps_responses WHERE answered_on > ? AND answered_on <= ?{}) \
         WHERE latest = 1 GROUP BY partner_id",
        filter("partner_id")
    );
    let mut nps_query = sqlx::query(&nps_sql).bind(&first).bind(&day);
    if let Some(json) = &only_json {
        nps_query = nps_query.bind(json);
    }
    // Balances up to the day, and the consumption of the trailing year, summed per partner from
    // the ledger's sums per day (`ledger_days`): the consumption into the six sets the volume
    // metrics tell apart, billing (monthly or not) × window (the last 30 days, the 60 before, the
    // rest of the trailing year). Each sum then enters `program::metrics` as one consumption dated
    // inside its set, so the definitions there decide what counts. The windows begin on their
    // first day: the last 30 days end on `as_of` and hold it. A day's consumption whose lines do
    // not carry their billing (class 3) is read line by line, each taking its deployment's (those
    // days found through their partial index: `+` keeps the planner off the day's range).
    let first_day = |days: u32| iso(as_of - Days::new(u64::from(days) - 1));
    let (d30, d90) = (
        first_day(metrics::BURN_SHORT_DAYS),
        first_day(metrics::BURN_LONG_DAYS),
    );
    let set = |class: u8, window: &str| {
        format!("-coalesce(sum(CASE WHEN class = {class} AND {window} THEN minor END), 0)")
    };
    let (recent, middle, early) = (
        "day >= ?1".to_string(),
        "day < ?1 AND day >= ?2".to_string(),
        "day < ?2 AND day >= ?3".to_string(),
    );
    let only_partners = |column: &str| match only {
        Some(_) => format!(" AND {column} IN (SELECT value FROM json_each(?5))"),
        None => String::new(),
    };
    let lines_sql = format!(
        "SELECT partner_id, sum(minor) AS minor, \
         {} AS m30, {} AS m90, {} AS m365, {} AS o30, {} AS o90, {} AS o365 \
         FROM (SELECT partner_id, day, class, credits_minor AS minor FROM ledger_days \
               WHERE day <= ?4 AND class <> 3{} \
               UNION ALL \
               SELECT l.partner_id, u.day, \
                      CASE WHEN {LINE_BILLING} = 'monthly' THEN 1 ELSE 2 END, l.credits_minor \
               FROM ledger_days u JOIN ledger_entries l ON l.partner_id = u.partner_id \
                AND l.at >= u.day AND l.at < date(u.day, '+1 day') \
                AND l.kind = 'consumption' AND l.billing IS NULL \
               WHERE u.class = 3 AND +u.day <= ?4{}) \
         GROUP BY partner_id",
        set(1, &recent),
        set(1, &middle),
        set(1, &early),
        set(2, &recent),
        set(2, &middle),
        set(2, &early),
        only_partners("partner_id"),
        only_partners("u.partner_id"),
    );
    let mut lines_query = sqlx::query(&lines_sql)
        .bind(&d30)
        .bind(&d90)
        .bind(&first_end)
        .bind(&day);
    if let Some(json) = &only_json {
        lines_query = lines_query.bind(json);
    }
    // The four reads at once, each on a connection of its own (SQLite reads in parallel in WAL
    // mode): the figures take the longest of them, not their sum.
    let pool = store.pool();
    let (rows, young, nps_rows, sums) = tokio::try_join!(
        timed("customers_ends", async {
            Ok(ends_query.fetch_all(pool).await?)
        }),
        timed(
            "retention_since_joining",
            retention_since_joining(store, as_of, only_json.as_deref())
        ),
        timed("nps", async { Ok(nps_query.fetch_all(pool).await?) }),
        timed("ledger", async { Ok(lines_query.fetch_all(pool).await?) }),
    )?;
    let took = Steps(vec![rows.1, young.1, nps_rows.1, sums.1]);
    let (rows, young, nps_rows, sums) = (rows.0, young.0, nps_rows.0, sums.0);
    let mut ends: HashMap<PartnerId, Vec<CustomerEnds>> = HashMap::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let customer = CustomerId(
            id.parse()
                .map_err(|_| DeskError::Corrupt(format!("customer id {id:?}")))?,
        );
        let rec_start = parse_partner(&r.try_get::<String, _>("rec_start")?)?;
        let rec_end = parse_partner(&r.try_get::<String, _>("rec_end")?)?;
        let act_start: bool = r.try_get("act_start")?;
        let act_end: bool = r.try_get("act_end")?;
        if act_end && wanted(&rec_end) {
            slot(&mut out, rec_end).active_customers += 1;
        }
        for partner in [rec_start, rec_end] {
            if !wanted(&partner) {
                continue;
            }
            let list = ends.entry(partner).or_default();
            if list.last().is_some_and(|l| l.customer == customer) {
                continue; // same partner at both ends: one entry
            }
            list.push(CustomerEnds {
                customer,
                active_at_start: act_start && rec_start == partner,
                active_at_end: act_end && rec_end == partner,
            });
        }
    }
    for (partner, list) in ends {
        slot(&mut out, partner).retention = metrics::retention(list);
    }
    for (partner, retention) in young {
        if wanted(&partner) {
            slot(&mut out, partner).retention = retention;
        }
    }

    for r in &nps_rows {
        let id = parse_partner(&r.try_get::<String, _>("partner_id")?)?;
        let n = |c: &str| {
            r.try_get::<i64, _>(c)
                .map(|v| u32::try_from(v).unwrap_or(0))
        };
        slot(&mut out, id).nps =
            metrics::nps_from_counts(n("n")?, n("promoters")?, n("detractors")?);
    }

    // A day inside each window: `as_of` itself, 31 days back, 91 days back.
    let inside = [as_of, as_of - Days::new(31), as_of - Days::new(91)];
    let mut consumption: HashMap<PartnerId, Vec<Consumption>> = HashMap::new();
    for r in &sums {
        let id = parse_partner(&r.try_get::<String, _>("partner_id")?)?;
        slot(&mut out, id).balance = Credits::from_minor(r.try_get("minor")?);
        let lines = consumption.entry(id).or_default();
        for (billing, columns) in [
            (Billing::Monthly, ["m30", "m90", "m365"]),
            (Billing::OneOff, ["o30", "o90", "o365"]),
        ] {
            for (on, column) in inside.iter().zip(columns) {
                lines.push(Consumption {
                    on: *on,
                    billing,
                    credits: Credits::from_minor(r.try_get(column)?),
                });
            }
        }
    }
    for (id, lines) in consumption {
        let f = slot(&mut out, id);
        f.recurring_volume = metrics::recurring_volume(&lines, as_of);
        f.burn_30 = metrics::burn_rate(&lines, as_of, metrics::BURN_SHORT_DAYS);
        f.burn_90 = metrics::burn_rate(&lines, as_of, metrics::BURN_LONG_DAYS);
    }
    for f in out.values_mut() {
        f.runway_days = metrics::runway_days(f.balance, f.burn_30);
    }
    out.retain(|k, _| wanted(k));
    tracing::debug!(
        every_partner = only.is_none(),
        partners = out.len(),
        steps = %took,
        "figures computed"
    );
    Ok(out)
}

/// How long each read of a computation took, for the log.
#[derive(Debug)]
struct Steps(Vec<(&'static str, std::time::Duration)>);

/// `read`, and how long it took under the name `step`.
async fn timed<T>(
    step: &'static str,
    read: impl std::future::Future<Output = Result<T>>,
) -> Result<(T, (&'static str, std::time::Duration))> {
    let started = std::time::Instant::now();
    let value = read.await?;
    Ok((value, (step, started.elapsed())))
}

impl std::fmt::Display for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (step, took)) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{step} {} ms", took.as_millis())?;
        }
        Ok(())
    }
}

/// The retention of the partners that joined after the trailing window's start, over their time in
/// the program (`program::metrics::retention_since_joining`): the customers each has deployed for,
/// and whether each is active for it on `as_of`, in one set-based query. `only`: a JSON array of
/// partner ids.
async fn retention_since_joining(
    store: &Store,
    as_of: NaiveDate,
    only: Option<&str>,
) -> Result<Vec<(PartnerId, metrics::Retention)>> {
    let start = iso(metrics::trailing_start(as_of));
    // The young partners (joined after `?1`), `json` naming the parameter of `only`.
    let young = |json: &str| {
        format!(
            "SELECT id, joined_on FROM partners WHERE joined_on > ?1{}",
            match only {
                Some(_) => format!(" AND id IN (SELECT value FROM json_each({json}))"),
                None => String::new(),
            }
        )
    };
    let young_sql = young("?2");
    let mut q = sqlx::query(&young_sql).bind(&start);
    if let Some(json) = only {
        q = q.bind(json);
    }
    let mut joined: HashMap<PartnerId, (NaiveDate, Vec<CustomerEnds>)> = HashMap::new();
    for r in q.fetch_all(store.pool()).await? {
        let day: String = r.try_get("joined_on")?;
        let joined_on = day
            .parse()
            .map_err(|_| DeskError::Corrupt(format!("joined_on {day:?}")))?;
        joined.insert(
            parse_partner(&r.try_get::<String, _>("id")?)?,
            (joined_on, Vec::new()),
        );
    }
    if joined.is_empty() {
        return Ok(Vec::new());
    }
    // Each young partner's customers it deployed for by `as_of`, with where each stands then.
    let ends_sql = format!(
        "SELECT d.partner_id, c.id, {re} AS rec_end, {ae} AS act_end \
         FROM (SELECT DISTINCT partner_id, customer_id FROM deployments \
               WHERE started_on <= ?2 AND partner_id IN (SELECT id FROM ({}))) d \
         JOIN customers c ON c.id = d.customer_id",
        young("?3"),
        re = on(RECORD_ON, as_of),
        ae = on(ACTIVE_ON, as_of),
    );
    let mut q = sqlx::query(&ends_sql).bind(&start).bind(iso(as_of));
    if let Some(json) = only {
        q = q.bind(json);
    }
    for r in q.fetch_all(store.pool()).await? {
        let partner = parse_partner(&r.try_get::<String, _>("partner_id")?)?;
        let customer: String = r.try_get("id")?;
        let rec_end = parse_partner(&r.try_get::<String, _>("rec_end")?)?;
        let end = CustomerEnds {
            customer: CustomerId(
                customer
                    .parse()
                    .map_err(|_| DeskError::Corrupt(format!("customer id {customer:?}")))?,
            ),
            active_at_start: true,
            active_at_end: r.try_get::<bool, _>("act_end")? && rec_end == partner,
        };
        if let Some((_, ends)) = joined.get_mut(&partner) {
            ends.push(end);
        }
    }
    Ok(joined
        .into_iter()
        .map(|(partner, (joined_on, ends))| {
            (partner, metrics::retention_since_joining(ends, joined_on))
        })
        .collect())
}

/// One partner's figures (all zero for a partner with no activity).
pub async fn partner_figures(store: &Store, id: PartnerId, as_of: NaiveDate) -> Result<Figures> {
    Ok(figures(store, as_of, Some(&[id]))
        .await?
        .remove(&id)
        .unwrap_or_else(Figures::empty))
}

/// The day six months before `as_of`, where progression takes its pace from.
pub fn pace_start(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_months(chrono::Months::new(program::progression::PACE_MONTHS))
        .unwrap_or(as_of - Days::new(183))
}

/// A decimal fraction as a string with up to four decimals ("0.8571").
pub fn fraction(d: Decimal) -> String {
    d.round_dp(4).normalize().to_string()
}
