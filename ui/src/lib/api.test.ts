import { describe, expect, it } from "vitest";
import { toIpcError } from "./api";

describe("toIpcError", () => {
  it("keeps an error from the backend as it is", () => {
    expect(toIpcError({ code: "not_found", message: "partner x not found" })).toEqual({
      code: "not_found",
      message: "partner x not found",
    });
  });

  it("keeps a refusal's rule and facts, and the field at fault, as data", () => {
    const refused = {
      code: "refused",
      message: "the quote breaks a rule of the program",
      refusal: { quote: { rule: "early_access_tier", sku: "SK-FORECAST", tier: "authorized" } },
    };
    expect(toIpcError(refused)).toEqual(refused);
    expect(toIpcError({ code: "invalid_input", message: "value: not a number", field: "value" })).toEqual({
      code: "invalid_input",
      message: "value: not a number",
      field: "value",
    });
  });

  it("keeps every sign-in code", () => {
    for (const code of ["sign_in_denied", "sign_in_cancelled", "not_central_api"] as const) {
      expect(toIpcError({ code, message: "m" }).code).toBe(code);
    }
  });

  it("maps an unknown code or a thrown string to internal", () => {
    expect(toIpcError({ code: "bogus", message: "m" }).code).toBe("internal");
    expect(toIpcError({ code: "toString", message: "m" }).code).toBe("internal");
    expect(toIpcError("command portfolio not allowed")).toEqual({
      code: "internal",
      message: "command portfolio not allowed",
    });
  });
});
