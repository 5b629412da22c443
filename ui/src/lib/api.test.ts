import { describe, expect, it } from "vitest";
import { toIpcError } from "./api";

describe("toIpcError", () => {
  it("keeps an error from the backend as it is", () => {
    expect(toIpcError({ code: "not_found", message: "partner x not found" })).toEqual({
      code: "not_found",
      message: "partner x not found",
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
