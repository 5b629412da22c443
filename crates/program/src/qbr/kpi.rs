//! The review's key figures: what each one is ([`Kpi`]) and a quarter's values of them ([`Kpis`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lang::Lang;
use crate::metrics::{Nps, Retention};
use crate::money::Credits;

/// The review's key figures, in the order the review shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    ActiveCustomers,
    NewDeployments,
    DeploymentValue,
    RecurringVolume,
    Nps,
    Retention,
    CreditsBought,
    CreditsConsumed,
    Balance,
    RunwayDays,
}

impl Kpi {
    pub const ALL: [Kpi; 10] = [
        Kpi::ActiveCustomers,
        Kpi::NewDeployments,
        Kpi::DeploymentValue,
        Kpi::RecurringVolume,
        Kpi::Nps,
        Kpi::Retention,
        Kpi::CreditsBought,
        Kpi::CreditsConsumed,
        Kpi::Balance,
        Kpi::RunwayDays,
    ];

    pub fn name(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Kpi::ActiveCustomers => ("Active customers", "Clientes activos"),
            Kpi::NewDeployments => ("New deployments", "Despliegues nuevos"),
            Kpi::DeploymentValue => ("Deployment value", "Valor desplegado"),
            Kpi::RecurringVolume => (
                "Recurring volume (quarter)",
                "Volumen recurrente (trimestre)",
            ),
            Kpi::Nps => ("NPS (quarter)", "NPS (trimestre)"),
            Kpi::Retention => ("Retention (quarter)", "Retención (trimestre)"),
            Kpi::CreditsBought => ("Credits bought", "Créditos comprados"),
            Kpi::CreditsConsumed => ("Credits consumed", "Créditos consumidos"),
            Kpi::Balance => ("Balance", "Saldo"),
            Kpi::RunwayDays => ("Runway (days)", "Autonomía (días)"),
        };
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }

    /// What the figure is, as the deck's appendix prints it.
    pub fn definition(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Kpi::ActiveCustomers => (
                "Customers active on the quarter's last day: a monthly deployment live, or credits consumed in the 90 days to it (a one-off deployment made, or a monthly one running); counted for their partner of record that day.",
                "Clientes activos el último día del trimestre: un despliegue mensual en marcha, o créditos consumidos en los 90 días hasta entonces (un despliegue único hecho, o uno mensual en marcha); contados para su partner de registro ese día.",
            ),
            Kpi::NewDeployments => (
                "Deployments started during the quarter for customers of the partner on their start day.",
                "Despliegues iniciados durante el trimestre para clientes del partner el día de su inicio.",
            ),
            Kpi::DeploymentValue => (
                "Credits of the deployments started during the quarter (a recurring deployment counts one month); 1 credit = 1 USD of deployment value.",
                "Créditos de los despliegues iniciados durante el trimestre (un despliegue recurrente cuenta un mes); 1 crédito = 1 USD de valor desplegado.",
            ),
            Kpi::RecurringVolume => (
                "Credits consumed during the quarter by recurring (monthly) deployments.",
                "Créditos consumidos durante el trimestre por despliegues recurrentes (mensuales).",
            ),
            Kpi::Nps => (
                "Net Promoter Score of the quarter: each customer's latest answer in the quarter counts once; % promoters (9-10) minus % detractors (0-6), to the whole point; none below 5 customers.",
                "Net Promoter Score del trimestre: la última respuesta de cada cliente en el trimestre cuenta una vez; % promotores (9-10) menos % detractores (0-6), al punto entero; sin valor con menos de 5 clientes.",
            ),
            Kpi::Retention => (
                "Of the customers active for the partner on the day before the quarter, the share still active for it on its last day (a customer migrated away counts as lost). For a partner that joined during the quarter: of the customers it deployed for since, the share active on the last day.",
                "De los clientes activos para el partner el día anterior al trimestre, la proporción aún activa para él su último día (un cliente migrado cuenta como perdido). Para un partner que entró durante el trimestre: de los clientes para los que desplegó desde entonces, la proporción activa el último día.",
            ),
            Kpi::CreditsBought => (
                "Activation Credits purchased during the quarter.",
                "Créditos de Activación comprados durante el trimestre.",
            ),
            Kpi::CreditsConsumed => (
                "Activation Credits consumed by deployments during the quarter.",
                "Créditos de Activación consumidos por despliegues durante el trimestre.",
            ),
            Kpi::Balance => (
                "The credit balance at the end of the quarter's last day: every ledger line up to then.",
                "El saldo de créditos al cierre del último día del trimestre: todas las líneas del libro hasta entonces.",
            ),
            Kpi::RunwayDays => (
                "Whole days the closing balance lasts at the consumption rate of the quarter's last 30 days.",
                "Días enteros que dura el saldo de cierre al ritmo de consumo de los últimos 30 días del trimestre.",
            ),
        };
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }
}

/// A quarter's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpis {
    pub active_customers: u32,
    pub new_deployments: u32,
    pub deployment_value: Credits,
    pub recurring_volume: Credits,
    pub nps: Nps,
    pub retention: Retention,
    pub credits_bought: Credits,
    pub credits_consumed: Credits,
    pub balance: Credits,
    pub runway_days: Option<u32>,
}

impl Kpis {
    /// The figure as a decimal (retention as a fraction); None when it has no value.
    pub fn value(&self, kpi: Kpi) -> Option<Decimal> {
        match kpi {
            Kpi::ActiveCustomers => Some(Decimal::from(self.active_customers)),
            Kpi::NewDeployments => Some(Decimal::from(self.new_deployments)),
            Kpi::DeploymentValue => Some(self.deployment_value.amount()),
            Kpi::RecurringVolume => Some(self.recurring_volume.amount()),
            Kpi::Nps => self.nps.score.map(Decimal::from),
            Kpi::Retention => self.retention.rate.map(|r| r.round_dp(4)),
            Kpi::CreditsBought => Some(self.credits_bought.amount()),
            Kpi::CreditsConsumed => Some(self.credits_consumed.amount()),
            Kpi::Balance => Some(self.balance.amount()),
            Kpi::RunwayDays => self.runway_days.map(Decimal::from),
        }
    }
}
