import { afterEach, describe, expect, it } from "vitest";
import { changeText } from "./changes";
import { setLocale } from "./i18n.svelte";

describe("changeText", () => {
  afterEach(() => setLocale("en"));

  it("words a refused purchase with its amount in the user's format", () => {
    setLocale("en");
    expect(changeText({ kind: "purchase_credits", credits: "5000", partner: "Andes Digital" })).toBe(
      "Buy 5,000.00 credits for Andes Digital",
    );
    setLocale("es");
    expect(changeText({ kind: "purchase_credits", credits: "5000", partner: "Andes Digital" })).toBe(
      "Comprar 5.000,00 créditos para Andes Digital",
    );
  });

  it("leaves out a partner the cache does not know", () => {
    setLocale("en");
    expect(changeText({ kind: "purchase_credits", credits: "12.5", partner: null })).toBe("Buy 12.50 credits");
  });

  it("names a deal edit's fields and a quote's status in the catalog's words", () => {
    setLocale("es");
    expect(changeText({ kind: "edit_deal", fields: ["stage", "owner"] })).toBe(
      "Cambiar etapa, responsable de una oportunidad",
    );
    expect(changeText({ kind: "set_quote_status", status: "sent" })).toBe("Marcar una cotización como enviada");
    setLocale("en");
    expect(changeText({ kind: "save_action_item", text: "Call Ana" })).toBe("Save the action item “Call Ana”");
  });
});
