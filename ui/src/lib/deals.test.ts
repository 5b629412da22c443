import { afterEach, describe, expect, it } from "vitest";
import type { DealView } from "../ipc/DealView";
import type { IpcError } from "../ipc/IpcError";
import {
  canEditDeal,
  dealChangeText,
  dealDraft,
  dealEdits,
  dealFieldText,
  hasLostEdit,
  dealRefusal,
  dealRuleText,
  isCreditsAmount,
  sameDecimal,
} from "./deals";
import { setLocale } from "./i18n.svelte";

describe("dealRefusal", () => {
  it("reads the rule a save was refused for, as data", () => {
    const error: IpcError = {
      code: "refused",
      message: "the deal breaks a rule of the program",
      refusal: { deal: { rule: "brand_region", brand: "Voldier", country: "US" } },
    };
    expect(dealRefusal(error)).toEqual({ rule: "brand_region", brand: "Voldier", country: "US" });
  });

  it("leaves every other error alone", () => {
    expect(dealRefusal({ code: "invalid_input", message: "value: is not a number", field: "value" })).toBeNull();
    expect(dealRefusal({ code: "refused", message: "", refusal: { quote: { rule: "no_lines" } } })).toBeNull();
    expect(dealRefusal({ code: "storage", message: 'deal: {"rule":"brand_region"}' })).toBeNull();
  });
});

const deal = (over: Partial<DealView> = {}): DealView => ({
  id: "d1",
  partner_id: "p1",
  company: "Offline Outfitters",
  domain: null,
  country: "US",
  subdivision: "US-TX",
  brand: "Voldier",
  products: ["SK-A", "SK-B"],
  value: "18000.00",
  value_fiat: "18000.00",
  currency: "USD",
  stage: "qualified",
  expected_close: "2026-12-15",
  owner: "Rita Regional",
  notes: "",
  status: "approved",
  refusal: null,
  pending: false,
  refused_changes: [],
  registered_at: "2026-10-01T12:00:00Z",
  expires_on: "2026-12-30",
  expiring_soon: false,
  history: [],
  version: 3n,
  ...over,
});

describe("dealChangeText", () => {
  afterEach(() => setLocale("en"));

  it("words a stage, a value and a date set in the user's language", () => {
    setLocale("en");
    expect(dealChangeText({ change: "set", field: "stage", from: "qualified", to: "proposal" })).toBe(
      "Stage: Qualified → Proposal",
    );
    expect(dealChangeText({ change: "set", field: "value", from: "18000", to: "25000.5" })).toBe(
      "Estimated value (credits): 18,000.00 → 25,000.50",
    );
    expect(dealChangeText({ change: "set", field: "expected_close", from: "", to: "2026-12-15" })).toBe(
      "Expected close: no date → Dec 15, 2026",
    );
    setLocale("es");
    expect(dealChangeText({ change: "set", field: "stage", from: "proposal", to: "won" })).toBe(
      "Etapa: Propuesta → Ganada",
    );
    expect(dealChangeText({ change: "set", field: "value", from: "18000", to: "25000.5" })).toBe(
      "Valor estimado (créditos): 18.000,00 → 25.000,50",
    );
    expect(dealChangeText({ change: "set", field: "expected_close", from: "2026-12-15", to: "" })).toBe(
      "Cierre previsto: 15 dic 2026 → sin fecha",
    );
  });

  it("words an edit that lost to the platform's value", () => {
    setLocale("en");
    expect(dealChangeText({ change: "lost", field: "value", wanted: "20000", kept: "19500.5" })).toBe(
      "Estimated value (credits) → 20,000.00 was not applied: it had already changed to 19,500.50",
    );
    setLocale("es");
    expect(dealChangeText({ change: "lost", field: "stage", wanted: "won", kept: "lost" })).toBe(
      "Etapa → Ganada no se aplicó: ya había cambiado a Perdida",
    );
  });

  it("shows text fields as they are, an empty one as empty, and anything unexpected raw", () => {
    setLocale("en");
    expect(dealFieldText("owner", "Ana")).toBe("Ana");
    expect(dealFieldText("notes", "")).toBe("(empty)");
    expect(dealFieldText("products", "SK-A, SK-B")).toBe("SK-A, SK-B");
    expect(dealFieldText("stage", "someday")).toBe("someday");
    expect(dealFieldText("value", "lots")).toBe("lots");
    expect(dealFieldText("expected_close", "soon")).toBe("soon");
  });
});

describe("the deal edit", () => {
  it("makes no edit when nothing changed, whatever the value's trailing zeros", () => {
    const d = deal();
    expect(dealEdits(d, dealDraft(d))).toEqual([]);
    expect(dealEdits(d, { ...dealDraft(d), value: " 18000 " })).toEqual([]);
    expect(dealEdits(d, { ...dealDraft(d), products: ["SK-B", "SK-A"] })).toEqual([]);
    expect(dealEdits(d, { ...dealDraft(d), owner: "Rita Regional  " })).toEqual([]);
  });

  it("makes one edit per changed field, from what was shown", () => {
    const d = deal();
    const edits = dealEdits(d, {
      value: "20000.5",
      expected_close: "",
      owner: " Ana ",
      notes: "call in January",
      products: ["SK-B", "SK-C"],
    });
    expect(edits).toEqual([
      { field: "value", from: "18000.00", to: "20000.5" },
      { field: "expected_close", from: "2026-12-15", to: null },
      { field: "owner", from: "Rita Regional", to: "Ana" },
      { field: "notes", from: "", to: "call in January" },
      { field: "products", from: ["SK-A", "SK-B"], to: ["SK-B", "SK-C"] },
    ]);
    expect(dealEdits(deal({ expected_close: null }), { ...dealDraft(deal()), expected_close: "2027-01-31" })).toEqual([
      { field: "expected_close", from: null, to: "2027-01-31" },
    ]);
  });

  it("compares values as decimal text", () => {
    expect(sameDecimal("18000.00", "18000")).toBe(true);
    expect(sameDecimal("018000.50", "18000.5")).toBe(true);
    expect(sameDecimal("0", "0.00")).toBe(true);
    expect(sameDecimal("18000.01", "18000.1")).toBe(false);
  });

  it("takes credits as zero or more with at most two decimals", () => {
    expect(isCreditsAmount("18000")).toBe(true);
    expect(isCreditsAmount(" 18000.5 ")).toBe(true);
    expect(isCreditsAmount("0.25")).toBe(true);
    expect(isCreditsAmount("")).toBe(false);
    expect(isCreditsAmount("-5")).toBe(false);
    expect(isCreditsAmount("1.234")).toBe(false);
    expect(isCreditsAmount("18,000")).toBe(false);
    expect(isCreditsAmount("1e5")).toBe(false);
  });

  it("is open to approved and pending deals that are not closed", () => {
    expect(canEditDeal(deal())).toBe(true);
    expect(canEditDeal(deal({ status: "pending", stage: "registered" }))).toBe(true);
    expect(canEditDeal(deal({ stage: "won" }))).toBe(false);
    expect(canEditDeal(deal({ stage: "lost" }))).toBe(false);
    expect(canEditDeal(deal({ status: "refused" }))).toBe(false);
    expect(canEditDeal(deal({ status: "expired" }))).toBe(false);
  });

  it("flags a deal with an edit the platform overrode", () => {
    expect(hasLostEdit(deal())).toBe(false);
    expect(
      hasLostEdit(
        deal({
          history: [
            { at: "2026-10-02T00:00:00Z", by: "Ana", what: { change: "set", field: "owner", from: "Rita", to: "Ana" } },
            { at: "2026-10-03T00:00:00Z", by: "Rita", what: { change: "lost", field: "owner", wanted: "Bo", kept: "Ana" } },
          ],
        }),
      ),
    ).toBe(true);
  });

  it("stops flagging once the field is changed again after the lost edit", () => {
    const lost = { at: "2026-10-03T00:00:00Z", by: "Rita", what: { change: "lost", field: "owner", wanted: "Bo", kept: "Ana" } } as const;
    const again = { at: "2026-10-04T00:00:00Z", by: "Rita", what: { change: "set", field: "owner", from: "Ana", to: "Bo" } } as const;
    const other = { at: "2026-10-04T00:00:00Z", by: "Rita", what: { change: "set", field: "notes", from: "", to: "call" } } as const;
    expect(hasLostEdit(deal({ history: [lost, again] }))).toBe(false);
    expect(hasLostEdit(deal({ history: [lost, other] }))).toBe(true);
  });
});

describe("dealRuleText", () => {
  afterEach(() => setLocale("en"));

  it("says no poaching and early access in words, naming no other partner", () => {
    setLocale("en");
    expect(dealRuleText({ rule: "already_customer", yours: true })).toContain("already your customer");
    const theirs = dealRuleText({ rule: "already_customer", yours: false });
    expect(theirs).toContain("only by a migration its founder starts");
    expect(dealRuleText({ rule: "early_access_tier", sku: "SK-FORECAST", tier: "authorized" })).toBe(
      "SK-FORECAST is in early access, for Specialist partners and above; this partner is Authorized.",
    );
    setLocale("es");
    expect(dealRuleText({ rule: "already_customer", yours: true })).toContain("ya es tu cliente");
    expect(dealRuleText({ rule: "already_customer", yours: false })).toContain("migración que inicia su fundador");
  });

  it("says which field is past its bound, and the bound", () => {
    setLocale("en");
    expect(dealRuleText({ rule: "too_long", field: "notes", max: 4000 })).toBe(
      "Notes is too long: at most 4,000 characters.",
    );
    expect(dealRuleText({ rule: "too_long", field: "products", max: 50 })).toBe(
      "Too many products of interest: at most 50.",
    );
    expect(dealRuleText({ rule: "value_too_large", max: "1000000000000" })).toContain("1,000,000,000,000.00");
    setLocale("es");
    expect(dealRuleText({ rule: "too_long", field: "company", max: 200 })).toBe(
      "Empresa: demasiado largo, como máximo 200 caracteres.",
    );
  });
});
