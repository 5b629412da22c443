// Words for deals: stages, statuses, the program's rules and a deal's history, from the catalog.

import type { DealChange } from "../ipc/DealChange";
import type { IpcError } from "../ipc/IpcError";
import type { DealField } from "../ipc/DealField";
import type { DealRule } from "../ipc/DealRule";
import type { DealStage } from "../ipc/DealStage";
import type { DealStatus } from "../ipc/DealStatus";
import { fmt, t } from "./i18n.svelte";
import type { MessageKey } from "./messages";

export const DEAL_STAGES: readonly DealStage[] = ["registered", "qualified", "proposal", "won", "lost"];

export const dealStageKey = (s: DealStage): MessageKey => `deals.stage.${s}`;
export const dealStatusKey = (s: DealStatus): MessageKey => `deals.status.${s}`;
export const dealFieldKey = (f: DealField): MessageKey => `deals.field.${f}`;

/** A rule the deal breaks, in the user's words. */
export function dealRuleText(rule: DealRule): string {
  switch (rule.rule) {
    case "brand_region":
      return t("deals.rule.brand_region", { brand: rule.brand, country: rule.country });
    case "brand_not_carried":
      return t("deals.rule.brand_not_carried", { brand: rule.brand });
    case "exclusive_territory":
      return t("deals.rule.exclusive_territory", {
        holder: rule.holder,
        territory: rule.country ?? t(`region.${rule.region}`),
      });
    case "already_registered":
      return t("deals.rule.already_registered", {
        holder: rule.holder,
        date: fmt.date(rule.registered_on),
        products: rule.products.join(", "),
      });
    case "unknown_product":
      return t("deals.rule.unknown_product", { sku: rule.sku });
    case "product_not_in_brand":
      return t("deals.rule.product_not_in_brand", { sku: rule.sku, brand: rule.brand });
    case "incomplete":
      return t("deals.rule.incomplete", { field: rule.field });
    case "expired":
      return t("deals.rule.expired", { days: fmt.count(rule.days) });
  }
}

/** One entry of a deal's history, in the user's words. */
export function dealChangeText(change: DealChange): string {
  switch (change.change) {
    case "registered":
      return t("deals.event.registered");
    case "approved":
      return t("deals.event.approved");
    case "refused":
      return t("deals.event.refused", { reason: dealRuleText(change.rule) });
    case "expired":
      return t("deals.event.expired", { days: fmt.count(change.days) });
    case "set":
      return t("deals.event.set", { field: t(dealFieldKey(change.field)), from: change.from, to: change.to });
    case "lost":
      return t("deals.event.lost", {
        field: t(dealFieldKey(change.field)),
        wanted: change.wanted,
        kept: change.kept,
      });
  }
}

/**
 * The rule behind a refusal to save ("deal: {json}" or "quote: {json}": the backend names the
 * rule the same way the pre-check does), or null for any other error.
 */
export function refusedRule<T extends { rule: string }>(error: IpcError, field: string): T | null {
  const prefix = `${field}: `;
  if (error.code !== "invalid_input" || !error.message.startsWith(prefix)) return null;
  try {
    const rule = JSON.parse(error.message.slice(prefix.length)) as T | null;
    return rule && typeof rule.rule === "string" ? rule : null;
  } catch {
    return null;
  }
}
