import { describe, expect, it } from "vitest";
import { formatFxRate } from "./quotes";

describe("formatFxRate", () => {
  it("prints a rate to four decimals in the user's format, as the PDF does", () => {
    expect(formatFxRate("17.2345", "en")).toBe("17.2345");
    expect(formatFxRate("17.2345", "es")).toBe("17,2345");
    expect(formatFxRate("4123.5", "en")).toBe("4,123.5000");
    expect(formatFxRate("4123.5", "es")).toBe("4.123,5000");
    expect(formatFxRate("0.92", "en")).toBe("0.9200");
  });

  it("rounds half away from zero without going through a float", () => {
    expect(formatFxRate("0.12345", "en")).toBe("0.1235");
    expect(formatFxRate("1234567890.123456789", "en")).toBe("1,234,567,890.1235");
  });

  it("refuses what is not a rate", () => {
    expect(() => formatFxRate("abc", "en")).toThrow();
  });
});
