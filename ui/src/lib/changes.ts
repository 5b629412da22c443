// A local change the central API refused, put into words in the user's language.

import type { ChangeSummary } from "../ipc/ChangeSummary";
import { dealFieldKey } from "./deals";
import { fmt, t } from "./i18n.svelte";
import { quoteStatusKey } from "./quotes";

export function changeText(what: ChangeSummary): string {
  switch (what.kind) {
    case "purchase_credits":
      return what.partner === null
        ? t("rejected.what.purchase_credits_unknown", { credits: fmt.credits(what.credits) })
        : t("rejected.what.purchase_credits", { credits: fmt.credits(what.credits), partner: what.partner });
    case "register_deal":
      return t("rejected.what.register_deal", { company: what.company });
    case "edit_deal":
      return t("rejected.what.edit_deal", {
        fields: what.fields.map((f) => t(dealFieldKey(f)).toLowerCase()).join(", "),
      });
    case "save_quote":
      return t("rejected.what.save_quote", { number: what.number, customer: what.customer });
    case "set_quote_status":
      return t("rejected.what.set_quote_status", { status: t(quoteStatusKey(what.status)).toLowerCase() });
    case "save_action_item":
      return t("rejected.what.save_action_item", { text: what.text });
  }
}
