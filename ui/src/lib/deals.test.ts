import { describe, expect, it } from "vitest";
import type { DealRule } from "../ipc/DealRule";
import type { IpcError } from "../ipc/IpcError";
import { refusedRule } from "./deals";

describe("refusedRule", () => {
  it("reads the rule a save was refused for", () => {
    const error: IpcError = {
      code: "invalid_input",
      message: 'deal: {"rule":"brand_region","brand":"Voldier","country":"US"}',
    };
    expect(refusedRule<DealRule>(error, "deal")).toEqual({ rule: "brand_region", brand: "Voldier", country: "US" });
  });

  it("leaves every other error alone", () => {
    expect(refusedRule({ code: "invalid_input", message: "value: is not a number" }, "deal")).toBeNull();
    expect(refusedRule({ code: "storage", message: 'deal: {"rule":"x"}' }, "deal")).toBeNull();
    expect(refusedRule({ code: "invalid_input", message: "deal: {not json" }, "deal")).toBeNull();
  });
});
