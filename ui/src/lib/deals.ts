// Words for deals: stages, statuses, the program's rules and a deal's history, from the catalog.

import type { DealChange } from "../ipc/DealChange";
import type { DealEdit } from "../ipc/DealEdit";
import type { IpcError } from "../ipc/IpcError";
import type { DealField } from "../ipc/DealField";
import type { DealRule } from "../ipc/DealRule";
import type { DealStage } from "../ipc/DealStage";
import type { DealStatus } from "../ipc/DealStatus";
import type { DealView } from "../ipc/DealView";
import { fmt, t } from "./i18n.svelte";
import { placeName, subdivisionName } from "./places.svelte";
import type { MessageKey } from "./messages";

export const DEAL_STAGES: readonly DealStage[] = ["registered", "qualified", "proposal", "won", "lost"];

export const dealStageKey = (s: DealStage): MessageKey => `deals.stage.${s}`;
export const dealStatusKey = (s: DealStatus): MessageKey => `deals.status.${s}`;
export const dealFieldKey = (f: DealField): MessageKey => `deals.field.${f}`;

/** A deal's field by the name its form gives it (the wire's name when the form has none). */
function fieldName(field: string): string {
  switch (field) {
    case "company":
      return t("deals.field.company");
    case "domain":
      return t("deals.field.domain");
    case "owner":
      return t("deals.field.owner");
    case "notes":
      return t("deals.field.notes");
    default:
      return field;
  }
}

/** A rule the deal breaks, in the user's words. */
export function dealRuleText(rule: DealRule): string {
  switch (rule.rule) {
    case "brand_region":
      return t("deals.rule.brand_region", { brand: rule.brand, country: rule.country });
    case "brand_not_carried":
      return t("deals.rule.brand_not_carried", { brand: rule.brand });
    case "exclusive_territory":
      return t("deals.rule.exclusive_territory", {
        territory: rule.country
          ? placeName(rule.country, rule.subdivision)
          : t(`region.${rule.region}`),
      });
    case "subdivision_needed":
      return t("deals.rule.subdivision_needed", { country: fmt.country(rule.country) });
    case "subdivision_not_in_country":
      return t("deals.rule.subdivision_not_in_country", {
        subdivision: subdivisionName(rule.subdivision),
        country: fmt.country(rule.country),
      });
    case "already_registered":
      return rule.yours
        ? t("deals.rule.already_registered_yours", {
            date: fmt.date(rule.yours.registered_on),
            products: rule.yours.products.join(", "),
          })
        : t("deals.rule.already_registered");
    case "unknown_product":
      return t("deals.rule.unknown_product", { sku: rule.sku });
    case "duplicate_product":
      return t("deals.rule.duplicate_product", { sku: rule.sku });
    case "product_not_in_brand":
      return t("deals.rule.product_not_in_brand", { sku: rule.sku, brand: rule.brand });
    case "country_served_by_none":
      return t("deals.rule.country_served_by_none", { country: rule.country });
    case "early_access_tier":
      return t("deals.rule.early_access_tier", { sku: rule.sku, tier: t(`tier.${rule.tier}`) });
    case "already_customer":
      return t(rule.yours ? "deals.rule.already_your_customer" : "deals.rule.already_a_customer");
    case "incomplete":
      return t("deals.rule.incomplete", { field: rule.field });
    case "too_long":
      return rule.field === "products"
        ? t("deals.rule.too_many_products", { max: fmt.count(rule.max) })
        : t("deals.rule.too_long", { field: fieldName(rule.field), max: fmt.count(rule.max) });
    case "value_too_large":
      return t("deals.rule.value_too_large", { max: fmt.credits(rule.max) });
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
      return t("deals.event.set", {
        field: t(dealFieldKey(change.field)),
        from: dealFieldText(change.field, change.from),
        to: dealFieldText(change.field, change.to),
      });
    case "lost":
      return t("deals.event.lost", {
        field: t(dealFieldKey(change.field)),
        wanted: dealFieldText(change.field, change.wanted),
        kept: dealFieldText(change.field, change.kept),
      });
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A field's value as a deal's history holds it (text: a stage code, a decimal, an ISO date or ""
 * for none, products joined by ", "), in the user's words. Anything unexpected is shown as is.
 */
export function dealFieldText(field: DealField, value: string): string {
  switch (field) {
    case "stage":
      return (DEAL_STAGES as readonly string[]).includes(value) ? t(dealStageKey(value as DealStage)) : value;
    case "value":
      return DECIMAL.test(value) ? fmt.credits(value) : value;
    case "expected_close":
      if (value === "") return t("deals.history.no_date");
      return ISO_DATE.test(value) ? fmt.date(value) : value;
    case "owner":
    case "notes":
    case "products":
      return value === "" ? t("deals.history.empty") : value;
  }
}

/** Whether an edit of this deal was overridden by a change the platform accepted first, and no
 * later change of that field has been made since (then the badge has done its job). */
export function hasLostEdit(deal: Pick<DealView, "history">): boolean {
  const last = new Map<string, string>();
  for (const e of deal.history) {
    if (e.what.change === "set" || e.what.change === "lost") last.set(e.what.field, e.what.change);
  }
  return [...last.values()].includes("lost");
}

/**
 * Whether the deal's fields can still be edited: its registration is approved or still pending,
 * and it is not closed (won or lost). The platform refuses any edit of a refused or expired deal.
 */
export const canEditDeal = (deal: Pick<DealView, "status" | "stage">): boolean =>
  (deal.status === "approved" || deal.status === "pending") && deal.stage !== "won" && deal.stage !== "lost";

/** What the edit form holds: the editable fields, as the inputs hold them. */
export type DealDraft = {
  /** Credits, as typed. */
  value: string;
  /** ISO date, or "" for none. */
  expected_close: string;
  owner: string;
  notes: string;
  products: string[];
};

/** The edit form filled with the deal as shown. */
export const dealDraft = (deal: DealView): DealDraft => ({
  value: deal.value,
  expected_close: deal.expected_close ?? "",
  owner: deal.owner,
  notes: deal.notes,
  products: [...deal.products],
});

const CREDITS = /^\d+(\.\d{1,2})?$/;

/** Whether `text` is an amount of credits the platform takes: zero or more, at most two decimals. */
export const isCreditsAmount = (text: string): boolean => CREDITS.test(text.trim());

/** A plain decimal string without its insignificant zeros ("018000.50" → "18000.5"), as text. */
function canonical(decimal: string): string {
  const [whole = "", fraction = ""] = decimal.trim().split(".");
  const digits = whole.replace(/^0+(?=\d)/, "");
  const rest = fraction.replace(/0+$/, "");
  return rest === "" ? digits : `${digits}.${rest}`;
}

/** Whether two plain decimal strings are the same number (compared as text, never as floats). */
export const sameDecimal = (a: string, b: string): boolean => canonical(a) === canonical(b);

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));

/**
 * The edits that take `deal` (as shown when the form opened) to `draft`: one per changed field,
 * each carrying what the device saw as `from`. Unchanged fields make no edit. The value must be
 * a valid amount (see `isCreditsAmount`) before calling.
 */
export function dealEdits(deal: DealView, draft: DealDraft): DealEdit[] {
  const edits: DealEdit[] = [];
  const value = draft.value.trim();
  if (!sameDecimal(value, deal.value)) edits.push({ field: "value", from: deal.value, to: value });
  const close = draft.expected_close.trim() === "" ? null : draft.expected_close.trim();
  if (close !== deal.expected_close) edits.push({ field: "expected_close", from: deal.expected_close, to: close });
  const owner = draft.owner.trim();
  if (owner !== deal.owner) edits.push({ field: "owner", from: deal.owner, to: owner });
  if (draft.notes !== deal.notes) edits.push({ field: "notes", from: deal.notes, to: draft.notes });
  if (!sameSet(draft.products, deal.products)) {
    // The products the deal keeps stay in their order; those added follow.
    const to = [
      ...deal.products.filter((p) => draft.products.includes(p)),
      ...draft.products.filter((p) => !deal.products.includes(p)),
    ];
    edits.push({ field: "products", from: [...deal.products], to });
  }
  return edits;
}

/** The deal rule a change was refused for, or null for any other error. */
export const dealRefusal = (error: IpcError): DealRule | null =>
  error.code === "refused" && error.refusal && "deal" in error.refusal ? error.refusal.deal : null;
