//! The words of the exports — sheet titles and column headers — in every language, in one place.
//!
//! Values stay as the program's codes (`strategic`, `usa_can`, `purchase`) in every language, so a
//! filter or a script written against one export works on the next.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The language of an export's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Es,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    Portfolio,
    Ledger,
    Customers,
    Deployments,
    Partner,
    Tier,
    Discount,
    Region,
    Country,
    Brands,
    ActiveCustomers,
    CreditBalance,
    Nps,
    NpsResponses,
    Retention,
    RecurringVolume,
    RunwayDays,
    At,
    Kind,
    Credits,
    AmountPaid,
    Currency,
    DiscountApplied,
    DeploymentId,
    Customer,
    Name,
    Brand,
    Founder,
    CreatedOn,
    ActiveDeployments,
    PartnerOfRecord,
    Sku,
    Billing,
    StartedOn,
    EndedOn,
    Deals,
    Company,
    Domain,
    Products,
    Stage,
    Status,
    ExpectedClose,
    Owner,
    Notes,
    RegisteredOn,
    ExpiresOn,
    ValueCredits,
    Value,
    QuoteLines,
    Line,
    Item,
    Quantity,
    Months,
    UnitPrice,
    Amount,
}

impl Text {
    pub(crate) fn get(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Text::Portfolio => ("Portfolio", "Cartera"),
            Text::Nps => ("NPS (12 months)", "NPS (12 meses)"),
            Text::NpsResponses => ("NPS responses", "Respuestas NPS"),
            Text::Retention => ("Retention (12 months)", "Retención (12 meses)"),
            Text::RecurringVolume => (
                "Recurring volume, 12 months (credits)",
                "Volumen recurrente, 12 meses (créditos)",
            ),
            Text::RunwayDays => ("Runway (days)", "Autonomía (días)"),
            Text::Ledger => ("Credit ledger", "Movimientos de créditos"),
            Text::Customers => ("Customers", "Clientes"),
            Text::Deployments => ("Deployments", "Despliegues"),
            Text::Partner => ("Partner", "Socio"),
            Text::Tier => ("Tier", "Nivel"),
            Text::Discount => ("Discount", "Descuento"),
            Text::Region => ("Region", "Región"),
            Text::Country => ("Country", "País"),
            Text::Brands => ("Brands", "Marcas"),
            Text::ActiveCustomers => ("Active customers", "Clientes activos"),
            Text::CreditBalance => ("Credit balance", "Saldo de créditos"),
            Text::At => ("Date and time (UTC)", "Fecha y hora (UTC)"),
            Text::Kind => ("Type", "Tipo"),
            Text::Credits => ("Credits", "Créditos"),
            Text::AmountPaid => ("Amount paid", "Importe pagado"),
            Text::Currency => ("Currency", "Moneda"),
            Text::DiscountApplied => ("Discount applied", "Descuento aplicado"),
            Text::DeploymentId => ("Deployment ID", "ID de despliegue"),
            Text::Customer => ("Customer", "Cliente"),
            Text::Name => ("Name", "Nombre"),
            Text::Brand => ("Brand", "Marca"),
            Text::Founder => ("Founder", "Fundador"),
            Text::CreatedOn => ("Created on", "Fecha de alta"),
            Text::ActiveDeployments => ("Active deployments", "Despliegues activos"),
            Text::PartnerOfRecord => ("Partner of record", "Socio titular"),
            Text::Sku => ("SKU", "SKU"),
            Text::Billing => ("Billing", "Facturación"),
            Text::StartedOn => ("Started on", "Inicio"),
            Text::EndedOn => ("Ended on", "Fin"),
            Text::Deals => ("Deals", "Oportunidades"),
            Text::Company => ("Company", "Empresa"),
            Text::Domain => ("Domain", "Dominio"),
            Text::Products => ("Products", "Productos"),
            Text::Stage => ("Stage", "Etapa"),
            Text::Status => ("Status", "Estado"),
            Text::ExpectedClose => ("Expected close", "Cierre previsto"),
            Text::Owner => ("Owner", "Responsable"),
            Text::Notes => ("Notes", "Notas"),
            Text::RegisteredOn => ("Registered on", "Registrada el"),
            Text::ExpiresOn => ("Registration expires on", "El registro vence el"),
            Text::ValueCredits => ("Value (credits)", "Valor (créditos)"),
            Text::Value => ("Value", "Valor"),
            Text::QuoteLines => ("Quote lines", "Líneas de la cotización"),
            Text::Line => ("Line", "Línea"),
            Text::Item => ("Item", "Concepto"),
            Text::Quantity => ("Quantity", "Cantidad"),
            Text::Months => ("Months", "Meses"),
            Text::UnitPrice => ("Unit price", "Precio unitario"),
            Text::Amount => ("Amount", "Importe"),
        };
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }
}
