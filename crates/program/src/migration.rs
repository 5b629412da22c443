//! Customer migration between partners.
//!
//! Initiated by the customer's founder only; costs 0 credits by construction (the type has no
//! amount to set); the customer's data, deployments and history stay attached to the customer, and
//! only the partner of record changes from the effective date.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::entities::{CustomerId, LedgerEntry, LedgerEntryId, LedgerKind, MigrationId, PartnerId};
use crate::money::Credits;

/// Who asked for the migration. Only the customer's founder can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "role", content = "name", rename_all = "snake_case")]
pub enum Initiator {
    Founder(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    #[error("a customer cannot migrate to the partner it already has")]
    SamePartner,
    #[error("the founder's name is required to initiate a migration")]
    MissingFounder,
}

/// A customer moving from one partner to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CustomerMigration {
    pub id: MigrationId,
    pub customer_id: CustomerId,
    pub from_partner: PartnerId,
    pub to_partner: PartnerId,
    pub effective_on: NaiveDate,
    pub initiated_by: Initiator,
}

impl CustomerMigration {
    pub fn new(
        id: MigrationId,
        customer_id: CustomerId,
        from_partner: PartnerId,
        to_partner: PartnerId,
        effective_on: NaiveDate,
        initiated_by: Initiator,
    ) -> Result<Self, MigrationError> {
        if from_partner == to_partner {
            return Err(MigrationError::SamePartner);
        }
        let Initiator::Founder(name) = &initiated_by;
        if name.trim().is_empty() {
            return Err(MigrationError::MissingFounder);
        }
        Ok(CustomerMigration {
            id,
            customer_id,
            from_partner,
            to_partner,
            effective_on,
            initiated_by,
        })
    }

    /// What the migration costs anyone: nothing.
    pub fn credit_cost(&self) -> Credits {
        Credits::ZERO
    }

    /// The partner of record for the customer on `day`.
    pub fn partner_of_record_on(&self, day: NaiveDate) -> PartnerId {
        if day >= self.effective_on {
            self.to_partner
        } else {
            self.from_partner
        }
    }
}

/// The migration's own ledger line (the migration module knows the entry; the entry does not know
/// migrations).
impl LedgerEntry {
    /// The zero-credit ledger line recording a customer migration.
    pub fn for_migration(id: LedgerEntryId, m: &CustomerMigration, at: DateTime<Utc>) -> Self {
        LedgerEntry {
            id,
            partner_id: m.to_partner,
            at,
            kind: LedgerKind::Migration,
            credits: m.credit_cost(),
            fiat: None,
            rate: None,
            deployment_id: None,
            customer_id: Some(m.customer_id),
            billing: None,
            reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn migration() -> CustomerMigration {
        CustomerMigration::new(
            MigrationId(Uuid::from_u128(1)),
            CustomerId(Uuid::from_u128(2)),
            PartnerId(Uuid::from_u128(3)),
            PartnerId(Uuid::from_u128(4)),
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            Initiator::Founder("Ana Ruiz".into()),
        )
        .unwrap()
    }

    #[test]
    fn migration_costs_zero_credits() {
        assert_eq!(migration().credit_cost(), Credits::ZERO);
    }

    #[test]
    fn partner_of_record_changes_from_the_migration_date() {
        let m = migration();
        assert_eq!(
            m.partner_of_record_on(NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()),
            m.from_partner
        );
        assert_eq!(m.partner_of_record_on(m.effective_on), m.to_partner);
    }

    #[test]
    fn migration_needs_a_founder_and_two_partners() {
        let p = PartnerId(Uuid::from_u128(3));
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let same = CustomerMigration::new(
            MigrationId(Uuid::nil()),
            CustomerId(Uuid::nil()),
            p,
            p,
            day,
            Initiator::Founder("A".into()),
        );
        assert_eq!(same.unwrap_err(), MigrationError::SamePartner);
        let nobody = CustomerMigration::new(
            MigrationId(Uuid::nil()),
            CustomerId(Uuid::nil()),
            p,
            PartnerId(Uuid::nil()),
            day,
            Initiator::Founder(" ".into()),
        );
        assert_eq!(nobody.unwrap_err(), MigrationError::MissingFounder);
    }
}
