//! What the demo program sells, and at which exchange rates: its catalog and FX rates.

use chrono::NaiveDate;
use program::contract::{Billing, CatalogItem, CatalogKind};
use program::{Brand, Credits, Currency, FxRate};
use rust_decimal::Decimal;

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
