//! One customer's detail (its deployments and migrations), and a partner's customer migrations.

use chrono::NaiveDate;
use program::contract::PartnerId;
use program::Credits;
use sqlx::Row;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{CustomerDetail, DeploymentRow, MigrationDirection, MigrationRow};

use super::list::{customer_row, mine};
use crate::input::iso;

/// One customer with every deployment it ever had (whichever partner made it) and its
/// migrations.
pub async fn detail(store: &Store, customer: &str, as_of: NaiveDate) -> Result<CustomerDetail> {
    let customer = customer.trim();
    crate::input::id::<program::contract::CustomerId>("customer_id", "a customer", customer)?;
    let partner = sqlx::query_scalar!("SELECT partner_id FROM customers WHERE id = ?", customer)
        .fetch_optional(store.pool())
        .await?;
    let Some(partner) = partner else {
        return Err(DeskError::NotFound {
            what: format!("customer {customer}"),
        });
    };
    let row = sqlx::query(&format!(
        "{} SELECT * FROM classified WHERE id = ?3",
        mine(as_of)
    ))
    .bind(&partner)
    .bind(iso(as_of))
    .bind(customer)
    .fetch_one(store.pool())
    .await?;
    let day = iso(as_of);
    let deployments = sqlx::query!(
        r#"SELECT d.id, d.sku, ci.name AS "product?", d.billing, d.credits_minor, d.started_on,
                  d.ended_on, d.partner_id, p.name AS "partner?"
           FROM deployments d
           LEFT JOIN catalog_items ci ON ci.sku = d.sku
           LEFT JOIN partners p ON p.id = d.partner_id
           WHERE d.customer_id = ? ORDER BY d.started_on DESC, d.id"#,
        customer
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| {
        let active = r.started_on <= day && r.ended_on.as_ref().is_none_or(|e| *e > day);
        DeploymentRow {
            id: r.id,
            sku: r.sku,
            product: r.product,
            monthly: r.billing == program::contract::Billing::Monthly.as_str(),
            credits: Credits::from_minor(r.credits_minor).amount().to_string(),
            active,
            started_on: r.started_on,
            ended_on: r.ended_on,
            partner_id: r.partner_id,
            partner: r.partner,
        }
    })
    .collect::<Vec<_>>();
    let migrations = migration_rows(
        store,
        "WHERE m.customer_id = ?1",
        customer,
        PartnerId(
            partner
                .parse()
                .map_err(|_| DeskError::Corrupt(format!("partner id {partner:?}")))?,
        ),
    )
    .await?;
    Ok(CustomerDetail {
        customer: customer_row(&row)?,
        deployments,
        migrations,
    })
}

/// `partner`'s customer migrations, in and out, newest first.
pub async fn migrations(store: &Store, partner: PartnerId) -> Result<Vec<MigrationRow>> {
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    migration_rows(
        store,
        "WHERE m.from_partner_id = ?1 OR m.to_partner_id = ?1",
        &partner.to_string(),
        partner,
    )
    .await
}

/// Migrations matching `condition` (on `?1`), their direction seen from `partner`.
async fn migration_rows(
    store: &Store,
    condition: &str,
    bound: &str,
    partner: PartnerId,
) -> Result<Vec<MigrationRow>> {
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.customer_id, c.name AS customer, m.from_partner_id, pf.name AS from_name, \
                m.to_partner_id, pt.name AS to_name, m.effective_on, m.initiated_by, \
                (SELECT l.credits_minor FROM ledger_entries l \
                  WHERE l.kind = 'migration' AND l.customer_id = m.customer_id \
                    AND substr(l.at, 1, 10) = m.effective_on LIMIT 1) AS credits_minor \
         FROM customer_migrations m \
         LEFT JOIN customers c ON c.id = m.customer_id \
         LEFT JOIN partners pf ON pf.id = m.from_partner_id \
         LEFT JOIN partners pt ON pt.id = m.to_partner_id \
         {condition} ORDER BY m.effective_on DESC, m.id"
    ))
    .bind(bound)
    .fetch_all(store.pool())
    .await?;
    let me = partner.to_string();
    rows.iter()
        .map(|r| {
            let to: String = r.try_get("to_partner_id")?;
            let incoming = to == me;
            let credits: Option<i64> = r.try_get("credits_minor")?;
            Ok(MigrationRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                customer: r.try_get("customer")?,
                direction: if incoming {
                    MigrationDirection::In
                } else {
                    MigrationDirection::Out
                },
                other_partner_id: if incoming {
                    r.try_get("from_partner_id")?
                } else {
                    to.clone()
                },
                other_partner: if incoming {
                    r.try_get("from_name")?
                } else {
                    r.try_get("to_name")?
                },
                effective_on: r.try_get("effective_on")?,
                initiated_by: r.try_get("initiated_by")?,
                // Migrations move customers, never credits: the ledger line is always 0.
                credits: Credits::from_minor(credits.unwrap_or(0))
                    .amount()
                    .to_string(),
            })
        })
        .collect()
}
