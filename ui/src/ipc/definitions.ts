// Generated from `program::metrics::DEFINITIONS` and `program::qbr::Kpi::definition` by `make ipc`:
// the program's figures in words, the catalog's `definition.*` entries. Do not edit.

export const definitionsEn = {
  "definition.active_customers": "Active customers today: customers with a monthly deployment live, or that consumed credits in the last 90 days (a one-off deployment made, or a monthly one running, in that time). A one-off deployment keeps its customer active for 90 days. A customer counts for its partner of record that day.",
  "definition.nps_12_months": "NPS over the last 12 months: each customer's latest survey answer counts once; % promoters (9–10) minus % detractors (0–6). At least 5 customers must have answered.",
  "definition.retention_12_months": "Retention over the last 12 months: of the customers active for the partner 12 months ago, the share still active for it today; a customer that migrated away counts as lost. For a partner that joined less than 12 months ago: of the customers it has deployed for since it joined, the share active today.",
  "definition.recurring_volume_12_months": "Recurring volume over the last 12 months: credits consumed by monthly deployments.",
  "definition.kpi.active_customers": "Customers active on the quarter's last day: a monthly deployment live, or credits consumed in the 90 days to it (a one-off deployment made, or a monthly one running); counted for their partner of record that day.",
  "definition.kpi.new_deployments": "Deployments started during the quarter for customers of the partner on their start day.",
  "definition.kpi.deployment_value": "Credits of the deployments started during the quarter (a recurring deployment counts one month); 1 credit = 1 USD of deployment value.",
  "definition.kpi.recurring_volume": "Credits consumed during the quarter by recurring (monthly) deployments.",
  "definition.kpi.nps": "Net Promoter Score of the quarter: each customer's latest answer in the quarter counts once; % promoters (9-10) minus % detractors (0-6), to the whole point; none below 5 customers.",
  "definition.kpi.retention": "Of the customers active for the partner on the day before the quarter, the share still active for it on its last day (a customer migrated away counts as lost). For a partner that joined during the quarter: of the customers it deployed for since, the share active on the last day.",
  "definition.kpi.credits_bought": "Activation Credits purchased during the quarter.",
  "definition.kpi.credits_consumed": "Activation Credits consumed by deployments during the quarter.",
  "definition.kpi.balance": "The credit balance at the end of the quarter's last day: every ledger line up to then.",
  "definition.kpi.runway_days": "Whole days the closing balance lasts at the consumption rate of the quarter's last 30 days.",
} as const;

export const definitionsEs: Record<keyof typeof definitionsEn, string> = {
  "definition.active_customers": "Clientes activos hoy: clientes con un despliegue mensual en marcha, o que consumieron créditos en los últimos 90 días (un despliegue único hecho, o uno mensual en marcha, en ese tiempo). Un despliegue único mantiene activo a su cliente 90 días. Cada cliente cuenta para su socio titular ese día.",
  "definition.nps_12_months": "NPS de los últimos 12 meses: la última respuesta de cada cliente cuenta una vez; % de promotores (9–10) menos % de detractores (0–6). Deben haber respondido al menos 5 clientes.",
  "definition.retention_12_months": "Retención de los últimos 12 meses: de los clientes activos para el socio hace 12 meses, la proporción que sigue activa hoy; un cliente que migró a otro socio cuenta como perdido. Para un socio con menos de 12 meses en el programa: de los clientes para los que ha desplegado desde que entró, la proporción activa hoy.",
  "definition.recurring_volume_12_months": "Volumen recurrente de los últimos 12 meses: créditos consumidos por despliegues mensuales.",
  "definition.kpi.active_customers": "Clientes activos el último día del trimestre: un despliegue mensual en marcha, o créditos consumidos en los 90 días hasta entonces (un despliegue único hecho, o uno mensual en marcha); contados para su partner de registro ese día.",
  "definition.kpi.new_deployments": "Despliegues iniciados durante el trimestre para clientes del partner el día de su inicio.",
  "definition.kpi.deployment_value": "Créditos de los despliegues iniciados durante el trimestre (un despliegue recurrente cuenta un mes); 1 crédito = 1 USD de valor desplegado.",
  "definition.kpi.recurring_volume": "Créditos consumidos durante el trimestre por despliegues recurrentes (mensuales).",
  "definition.kpi.nps": "Net Promoter Score del trimestre: la última respuesta de cada cliente en el trimestre cuenta una vez; % promotores (9-10) menos % detractores (0-6), al punto entero; sin valor con menos de 5 clientes.",
  "definition.kpi.retention": "De los clientes activos para el partner el día anterior al trimestre, la proporción aún activa para él su último día (un cliente migrado cuenta como perdido). Para un partner que entró durante el trimestre: de los clientes para los que desplegó desde entonces, la proporción activa el último día.",
  "definition.kpi.credits_bought": "Créditos de Activación comprados durante el trimestre.",
  "definition.kpi.credits_consumed": "Créditos de Activación consumidos por despliegues durante el trimestre.",
  "definition.kpi.balance": "El saldo de créditos al cierre del último día del trimestre: todas las líneas del libro hasta entonces.",
  "definition.kpi.runway_days": "Días enteros que dura el saldo de cierre al ritmo de consumo de los últimos 30 días del trimestre.",
};
