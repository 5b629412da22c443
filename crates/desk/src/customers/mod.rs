//! A partner's customers (active, churned, migrated in or out) and their deployments, its
//! customer migrations, and the monthly trends of its page.
//!
//! A customer's partner of record on a day is the rule of `crate::metrics`: its current partner,
//! unless a migration after that day moved it, in which case the first such migration's old
//! partner. A customer's deployments and history stay attached to the customer whichever partner
//! it has.

mod detail;
mod list;
mod trends;

pub use detail::{detail, migrations};
pub use list::{page, DEFAULT_PAGE, MAX_PAGE};
pub use trends::{month_ends, trends, TREND_MONTHS};

use program::contract::CustomerId;
use program::deals::{KnownCustomer, Prospect};

use crate::error::{DeskError, Result};
use crate::store::Store;

/// The customers in the cache the no-poaching rule compares `prospect` with
/// (`program::deals::served_by`): the one named by `id`, and those whose normalized name or web
/// domain is the prospect's. On a partner's laptop, its own customers; on an account manager's,
/// those of every partner it works with.
pub async fn known(
    store: &Store,
    prospect: &Prospect,
    id: Option<CustomerId>,
) -> Result<Vec<KnownCustomer>> {
    let id = id.map(|c| c.to_string());
    let domain = prospect.domain.as_deref();
    sqlx::query!(
        r#"SELECT id, partner_id, company_key AS "company_key!", domain_key FROM customers
           WHERE company_key = ?1 OR (?2 IS NOT NULL AND domain_key = ?2) OR id = ?3"#,
        prospect.company,
        domain,
        id
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| {
        Ok(KnownCustomer {
            id: r
                .id
                .parse()
                .map_err(|_| DeskError::Corrupt(format!("customer id {:?}", r.id)))?,
            partner_id: crate::portfolio::partner::parse_id(&r.partner_id)?,
            prospect: Prospect {
                company: r.company_key,
                domain: r.domain_key,
            },
        })
    })
    .collect()
}
