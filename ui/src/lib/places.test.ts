import { afterEach, describe, expect, it } from "vitest";
import { fmt, setLocale } from "./i18n.svelte";
import { countryNamed } from "./places.svelte";

const codes = ["CA", "ES", "MX", "PE", "US"];
const choices = () => codes.map((code) => ({ code, name: fmt.country(code) }));

describe("a country typed in the picker", () => {
  afterEach(() => setLocale("en"));

  it("is found by its name in any case, or by its code", () => {
    setLocale("en");
    expect(countryNamed("Mexico", choices())).toBe("MX");
    expect(countryNamed("  united states ", choices())).toBe("US");
    expect(countryNamed("pe", choices())).toBe("PE");
  });

  it("is found by its Spanish name with or without its accents", () => {
    setLocale("es");
    expect(countryNamed("México", choices())).toBe("MX");
    expect(countryNamed("mexico", choices())).toBe("MX");
    expect(countryNamed("perú", choices())).toBe("PE");
    expect(countryNamed("España", choices())).toBe("ES");
  });

  it("is none when it names no country the program serves, or only part of one", () => {
    setLocale("en");
    expect(countryNamed("France", choices())).toBeNull();
    expect(countryNamed("FR", choices())).toBeNull();
    expect(countryNamed("Mexi", choices())).toBeNull();
    expect(countryNamed("", choices())).toBeNull();
  });
});
