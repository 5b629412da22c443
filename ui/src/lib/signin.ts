// Signing in: which sentence each failure gets.

import type { ErrorCode } from "../ipc/ErrorCode";
import { en, type MessageKey } from "./messages";

/** The failures a sign-in can end with, each with its own sentence in the catalog. */
export const signInFailures = [
  "invalid_input",
  "offline",
  "unauthorized",
  "not_central_api",
  "sign_in_denied",
  "sign_in_timed_out",
  "sign_in_expired",
  "sign_in_refused",
] as const satisfies readonly ErrorCode[];

/** The catalog key of the sentence for a sign-in that failed with `code`: its own where there
 * is one, else the general sentence of the code. */
export function sentenceKey(code: ErrorCode): MessageKey {
  const own = `sign_in_error.${code}`;
  return own in en ? (own as MessageKey) : `error.${code}`;
}
