// Words for quotes: statuses and the program's pricing rules, from the catalog.

import type { IpcError } from "../ipc/IpcError";
import type { QuoteRule } from "../ipc/QuoteRule";
import type { QuoteStatus } from "../ipc/QuoteStatus";
import type { Locale } from "./format";
import { fmt, locale, t } from "./i18n.svelte";
import type { MessageKey } from "./messages";

export const quoteStatusKey = (s: QuoteStatus): MessageKey => `quotes.status.${s}`;

/** The quote rule a change was refused for, or null for any other error. */
export const quoteRefusal = (error: IpcError): QuoteRule | null =>
  error.code === "refused" && error.refusal && "quote" in error.refusal ? error.refusal.quote : null;

/** A rule the quote breaks, in the user's words. */
export function quoteRuleText(rule: QuoteRule): string {
  switch (rule.rule) {
    case "no_lines":
      return t("quotes.rule.no_lines");
    case "too_many_lines":
      return t("quotes.rule.too_many_lines", { max: String(rule.max) });
    case "brand_region":
      return t("quotes.rule.brand_region", { brand: rule.brand, country: rule.country });
    case "brand_not_carried":
      return t("quotes.rule.brand_not_carried", { brand: rule.brand });
    case "unknown_item":
      return t("quotes.rule.unknown_item", { sku: rule.sku });
    case "item_not_in_brand":
      return t("quotes.rule.item_not_in_brand", { sku: rule.sku, brand: rule.brand });
    case "early_access_tier":
      return t("quotes.rule.early_access_tier", { sku: rule.sku, tier: t(`tier.${rule.tier}`) });
    case "rate_outside_band":
      return t("quotes.rule.rate_outside_band", { tier: t(`tier.${rule.tier}`) });
    case "bad_quantity":
      return t("quotes.rule.bad_quantity", { line: String(rule.line), max: fmt.count(rule.max) });
    case "too_large":
      return rule.line === 0
        ? t("quotes.rule.total_too_large")
        : t("quotes.rule.too_large", { line: String(rule.line) });
    case "months_required":
      return t("quotes.rule.months_required", { line: String(rule.line) });
    case "months_not_allowed":
      return t("quotes.rule.months_not_allowed", { line: String(rule.line) });
    case "no_fx_rate":
      return t("quotes.rule.no_fx_rate", { currency: rule.currency });
    case "fx_rate_too_old":
      return t("quotes.rule.fx_rate_too_old", { currency: rule.currency, date: fmt.date(rule.as_of), days: String(rule.days) });
    case "country_served_by_none":
      return t("quotes.rule.country_served_by_none", { country: rule.country });
    case "not_your_customer":
      return t("quotes.rule.not_your_customer");
    case "another_partners_customer":
      return t("quotes.rule.another_partners_customer");
  }
}

/** BCP 47 tags of the app's locales, as format.ts uses them. */
const TAGS: Record<Locale, string> = { en: "en-US", es: "es-ES" };
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/**
 * An FX rate (units of a currency per 1 USD, a decimal string) to four decimals, grouped, as the
 * quote's PDF prints it: "17.2345" → "17.2345" (en) or "17,2345" (es); "4123.5" → "4,123.5000".
 * The string goes to Intl.NumberFormat as is, so no float is involved.
 */
export function formatFxRate(perUsd: string, lang: Locale = locale()): string {
  if (!PLAIN_DECIMAL.test(perUsd)) throw new Error(`not a rate: ${JSON.stringify(perUsd)}`);
  return new Intl.NumberFormat(TAGS[lang], {
    minimumFractionDigits: 4,
    maximumFractionDigits: 4,
    useGrouping: "always",
  }).format(perUsd as Intl.StringNumericLiteral);
}
