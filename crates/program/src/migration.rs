//! Customer migration between partners.
//!
//! Initiated by the customer's founder only; costs 0 credits by construction (the type has no
//! amount to set); the customer's data, deployments and history stay attached to the customer, and
//! only the partner of record changes from the effective date.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::entities::{
    Customer, CustomerId, LedgerEntry, LedgerEntryId, LedgerKind, MigrationId, Partner, PartnerId,
};
use crate::money::Credits;
use crate::regions::Brand;

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
    #[error("only the customer's founder starts a migration; {initiator} is not its founder")]
    NotTheFounder { initiator: String },
    #[error("a migration leaves the customer's current partner of record")]
    NotFromCurrentPartner,
    #[error("the new partner does not sell {brand}, the customer's brand")]
    BrandNotSold { brand: Brand },
    #[error("the migration names another customer")]
    OtherCustomer,
    #[error(
        "the new partner joined the program on {joined_on}, after the migration would take effect"
    )]
    BeforeJoining { joined_on: NaiveDate },
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

    /// Checks a migration against the customer it moves and the partner it moves to, as they
    /// stand before it: [`CustomerMigration::new`]'s rules (two partners, a founder named), the
    /// initiator is the customer's founder, it leaves the customer's current partner of record,
    /// and the new partner sells the customer's brand. A migration read from the wire has not
    /// been through `new`, so its rules are checked again here.
    pub fn check(&self, customer: &Customer, to: &Partner) -> Result<(), MigrationError> {
        CustomerMigration::new(
            self.id,
            self.customer_id,
            self.from_partner,
            self.to_partner,
            self.effective_on,
            self.initiated_by.clone(),
        )?;
        if customer.id != self.customer_id || to.id != self.to_partner {
            return Err(MigrationError::OtherCustomer);
        }
        let Initiator::Founder(name) = &self.initiated_by;
        if !name.trim().eq_ignore_ascii_case(customer.founder.trim()) {
            return Err(MigrationError::NotTheFounder {
                initiator: name.trim().to_string(),
            });
        }
        if customer.partner_id != self.from_partner {
            return Err(MigrationError::NotFromCurrentPartner);
        }
        if !to.brands.contains(&customer.brand) {
            return Err(MigrationError::BrandNotSold {
                brand: customer.brand,
            });
        }
        if self.effective_on < to.joined_on {
            return Err(MigrationError::BeforeJoining {
                joined_on: to.joined_on,
            });
        }
        Ok(())
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

/// The partner of record on `day` of a customer whose migrations, in the order they take effect,
/// are `chain`, and whose partner of record today is `current`: the partner the last migration in
/// effect that day gave it, else the partner the first one left.
pub fn partner_of_record_on(
    current: PartnerId,
    chain: &[CustomerMigration],
    day: NaiveDate,
) -> PartnerId {
    match chain.iter().rev().find(|m| m.effective_on <= day) {
        Some(m) => m.to_partner,
        None => chain.first().map_or(current, |m| m.from_partner),
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

    fn customer() -> Customer {
        Customer {
            id: CustomerId(Uuid::from_u128(2)),
            partner_id: PartnerId(Uuid::from_u128(3)),
            name: "Panadería Sol".into(),
            domain: None,
            country: crate::Country::parse("MX").unwrap(),
            subdivision: crate::Subdivision::parse("MX-JAL").ok(),
            brand: Brand::CentroPago,
            founder: "Ana Ruiz".into(),
            created_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        }
    }

    fn partner(id: u128, brands: &[Brand]) -> Partner {
        Partner {
            id: PartnerId(Uuid::from_u128(id)),
            name: format!("P{id}"),
            tier: crate::Tier::Authorized,
            discount_rate: crate::Tier::Authorized.band().min,
            country: crate::Country::parse("MX").unwrap(),
            brands: brands.to_vec(),
            currency: crate::Currency::MXN,
            joined_on: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            account_manager: "Eva".into(),
            tier_history: Partner::joining(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()),
            logo: None,
        }
    }

    #[test]
    fn migration_is_started_by_the_customers_founder_only() {
        let to = partner(4, &[Brand::CentroPago]);
        assert_eq!(migration().check(&customer(), &to), Ok(()));
        // The same name, however it is capitalised and spaced.
        let mut m = migration();
        m.initiated_by = Initiator::Founder("  ana ruiz ".into());
        assert_eq!(m.check(&customer(), &to), Ok(()));
        m.initiated_by = Initiator::Founder("Beto Ruiz".into());
        assert_eq!(
            m.check(&customer(), &to),
            Err(MigrationError::NotTheFounder {
                initiator: "Beto Ruiz".into()
            })
        );
    }

    #[test]
    fn migration_leaves_the_current_partner_for_one_selling_the_customers_brand() {
        let mut moved_already = customer();
        moved_already.partner_id = PartnerId(Uuid::from_u128(9));
        let to = partner(4, &[Brand::CentroPago]);
        assert_eq!(
            migration().check(&moved_already, &to),
            Err(MigrationError::NotFromCurrentPartner)
        );
        let no_brand = partner(4, &[Brand::Voldier]);
        assert_eq!(
            migration().check(&customer(), &no_brand),
            Err(MigrationError::BrandNotSold {
                brand: Brand::CentroPago
            })
        );
    }

    #[test]
    fn migration_read_from_the_wire_is_held_to_the_rules_of_new() {
        let mut m = migration();
        m.to_partner = m.from_partner;
        let to = partner(3, &[Brand::CentroPago]);
        assert_eq!(m.check(&customer(), &to), Err(MigrationError::SamePartner));
    }

    #[test]
    fn a_migration_takes_effect_no_earlier_than_the_new_partner_joined() {
        let mut to = partner(4, &[Brand::CentroPago]);
        to.joined_on = NaiveDate::from_ymd_opt(2026, 6, 2).unwrap();
        to.tier_history = Partner::joining(to.joined_on);
        assert_eq!(
            migration().check(&customer(), &to),
            Err(MigrationError::BeforeJoining {
                joined_on: to.joined_on
            })
        );
        to.joined_on = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(migration().check(&customer(), &to), Ok(()));
    }

    #[test]
    fn the_partner_of_record_on_a_day_follows_the_customers_migrations() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let first = migration(); // 3 → 4 on 2026-06-01
        let mut second = migration();
        second.id = MigrationId(Uuid::from_u128(9));
        second.from_partner = first.to_partner;
        second.to_partner = PartnerId(Uuid::from_u128(5));
        second.effective_on = day(9, 1);
        let chain = [first.clone(), second.clone()];
        let now = second.to_partner;
        assert_eq!(
            partner_of_record_on(now, &chain, day(5, 31)),
            first.from_partner
        );
        assert_eq!(
            partner_of_record_on(now, &chain, day(6, 1)),
            first.to_partner
        );
        assert_eq!(partner_of_record_on(now, &chain, day(9, 1)), now);
        assert_eq!(partner_of_record_on(now, &[], day(1, 1)), now);
    }

    #[test]
    fn a_deployment_is_made_by_the_partner_of_record_on_the_catalogs_terms() {
        use crate::entities::DeploymentId;
        use crate::entities::{Billing, CatalogItem, CatalogKind, Deployment, DeploymentError};
        let c = customer();
        let mut p = partner(3, &[Brand::CentroPago]);
        let joined = p.joined_on;
        p.move_to(
            crate::Tier::Specialist,
            crate::Tier::Specialist.band().min,
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        );
        let item = CatalogItem {
            sku: "CP-AI".into(),
            name: "Copilot".into(),
            kind: CatalogKind::Skill,
            list_price: Credits::whole(40),
            billing: Billing::Monthly,
            brands: vec![Brand::CentroPago],
            early_access: true,
        };
        let d = Deployment {
            id: DeploymentId(Uuid::from_u128(7)),
            customer_id: c.id,
            partner_id: p.id,
            sku: item.sku.clone(),
            billing: Billing::Monthly,
            credits: Credits::whole(120),
            started_on: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
            ended_on: None,
        };
        assert_eq!(d.check(&c, &p, &item), Ok(()));
        let other = partner(4, &[Brand::CentroPago]);
        assert!(matches!(
            d.check(&c, &other, &item),
            Err(DeploymentError::NotPartnerOfRecord { .. })
        ));
        let one_off = Deployment {
            billing: Billing::OneOff,
            ..d.clone()
        };
        assert!(matches!(
            one_off.check(&c, &p, &item),
            Err(DeploymentError::Billing { .. })
        ));
        let odd = Deployment {
            credits: Credits::whole(50),
            ..d.clone()
        };
        assert!(matches!(
            odd.check(&c, &p, &item),
            Err(DeploymentError::Credits { .. })
        ));
        let none = Deployment {
            credits: Credits::ZERO,
            ..d.clone()
        };
        assert!(matches!(
            none.check(&c, &p, &item),
            Err(DeploymentError::Credits { .. })
        ));
        let backwards = Deployment {
            ended_on: Some(d.started_on),
            ..d.clone()
        };
        assert!(matches!(
            backwards.check(&c, &p, &item),
            Err(DeploymentError::EndsBeforeStart { .. })
        ));
        let elsewhere = CatalogItem {
            brands: vec![Brand::Voldier],
            ..item.clone()
        };
        assert!(matches!(
            d.check(&c, &p, &elsewhere),
            Err(DeploymentError::BrandNotServed { .. })
        ));
        // Not before the partner joined.
        let early_bird = Deployment {
            started_on: joined - chrono::Days::new(1),
            ..d.clone()
        };
        assert_eq!(
            early_bird.check(
                &c,
                &p,
                &CatalogItem {
                    early_access: false,
                    ..item.clone()
                }
            ),
            Err(DeploymentError::BeforeJoining { joined_on: joined })
        );
        // Early access by the tier held on the start date: Authorized when it joined.
        let early = Deployment {
            started_on: joined,
            ..d.clone()
        };
        assert_eq!(
            early.check(&c, &p, &item),
            Err(DeploymentError::EarlyAccess {
                sku: "CP-AI".into(),
                tier: crate::Tier::Authorized,
                started_on: joined
            })
        );
        assert_eq!(
            early.check(
                &c,
                &p,
                &CatalogItem {
                    early_access: false,
                    ..item.clone()
                }
            ),
            Ok(())
        );
    }
}
