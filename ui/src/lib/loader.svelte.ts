// Data a screen reads from the backend, with the state its template shows: the latest result,
// the latest failure and whether a request is under way.

import type { IpcError } from "../ipc/IpcError";

export type LoaderOptions<T> = {
  /**
   * Runs with each response that is still current, before it is stored. Returning false keeps
   * the previous data (the error is cleared all the same), e.g. after it reset the query that
   * asked for this response, which loads again.
   */
  onload?: (result: T) => boolean | void;
};

/**
 * An `onload` for a list read a page at a time. A sync can shrink the list under a later page:
 * when that page comes back empty, it is dropped and `toFirstPage` goes back to the first one.
 * `offset` reads the current offset: the one the response asked for, since only the response to
 * the latest request reaches `onload` and each change of offset starts a new one.
 */
export function firstPageIfEmptied<T extends { rows: readonly unknown[] }>(
  offset: () => number,
  toFirstPage: () => void,
): (page: T) => boolean {
  return (page) => {
    if (page.rows.length > 0 || offset() === 0) return true;
    toFirstPage();
    return false;
  };
}

/**
 * Loads with `fetch` on each `reload()`. Only the latest request counts: a response (or failure)
 * that arrives after a newer request has started is dropped, so a slow answer for the previous
 * partner, filter or page never overwrites the current one.
 *
 * Call `reload()` from an `$effect` to load again whenever what `fetch` reads changes: `fetch`
 * runs synchronously up to its first `await`, so the effect tracks the arguments it passes on.
 */
export class Loader<T> {
  /** The latest current result; null until the first one arrives. */
  data = $state<T | null>(null);
  /** Why the latest current request failed; null once one succeeds. */
  error = $state<IpcError | null>(null);
  /** Whether the latest request is still under way. */
  loading = $state(false);

  #generation = 0;
  readonly #fetch: () => Promise<T>;
  readonly #onload: ((result: T) => boolean | void) | undefined;

  constructor(fetch: () => Promise<T>, options: LoaderOptions<T> = {}) {
    this.#fetch = fetch;
    this.#onload = options.onload;
  }

  /** Starts a request; earlier ones still under way no longer count. Never throws. */
  async reload(): Promise<void> {
    const mine = ++this.#generation;
    this.loading = true;
    try {
      const result = await this.#fetch();
      if (mine !== this.#generation) return;
      if (this.#onload?.(result) !== false) this.data = result;
      this.error = null;
    } catch (e) {
      if (mine === this.#generation) this.error = e as IpcError;
    } finally {
      if (mine === this.#generation) this.loading = false;
    }
  }

  /**
   * A check for a follow-up request that belongs to the data loaded now (a further page): it
   * stays true until the next `reload()` starts.
   */
  current(): () => boolean {
    const mine = this.#generation;
    return () => mine === this.#generation;
  }
}
