import { afterEach, describe, expect, it } from "vitest";
import { setLocale, tn } from "./i18n.svelte";

describe("plural messages", () => {
  afterEach(() => setLocale("en"));

  it("use the singular for one and the plural otherwise, in English", () => {
    setLocale("en");
    expect(tn("workspace.partners", 1)).toBe("1 partner");
    expect(tn("workspace.partners", 0)).toBe("0 partners");
    expect(tn("sync.pending", 2)).toBe("2 changes waiting to be sent");
    expect(tn("workspace.deployments", 12_345)).toBe("12,345 deployments");
  });

  it("and in Spanish, with its own number format", () => {
    setLocale("es");
    expect(tn("workspace.partners", 1)).toBe("1 socio");
    expect(tn("sync.rejected", 1)).toBe("1 cambio rechazado");
    expect(tn("sync.rejected", 3)).toBe("3 cambios rechazados");
    expect(tn("workspace.customers", 12_345)).toMatch(/^12.345 clientes$/);
  });
});
