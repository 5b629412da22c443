import { describe, expect, it } from "vitest";
import { en, es } from "./messages";
import { sentenceKey, signInFailures } from "./signin";

describe("sign-in failures", () => {
  it("each have their own sentence, in both languages", () => {
    const sentences = new Set<string>();
    for (const code of signInFailures) {
      const key = sentenceKey(code);
      expect(key, code).toBe(`sign_in_error.${code}`);
      sentences.add(en[key]);
      expect(es[key], code).not.toBe(en[key]);
    }
    // No two failures read alike.
    expect(sentences.size).toBe(signInFailures.length);
  });

  it("fall back to the general sentence of other codes", () => {
    expect(sentenceKey("keychain")).toBe("error.keychain");
  });
});
