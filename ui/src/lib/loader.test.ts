import { describe, expect, it } from "vitest";
import type { IpcError } from "../ipc/IpcError";
import { firstPageIfEmptied, Loader, type LoaderOptions } from "./loader.svelte";

/**
 * A loader whose every request waits until the test settles it, so requests can finish in any
 * order. `start()` calls `reload()`; `resolve(n, …)` and `reject(n, …)` settle the n-th request
 * (from 0) and wait for that `reload()` to finish.
 */
function pending<T>(options: LoaderOptions<T> = {}) {
  const requests: { resolve: (value: T) => void; reject: (error: unknown) => void }[] = [];
  const reloads: Promise<void>[] = [];
  const loader = new Loader<T>(
    () => new Promise<T>((resolve, reject) => void requests.push({ resolve, reject })),
    options,
  );
  return {
    loader,
    start: () => void reloads.push(loader.reload()),
    resolve: (n: number, value: T) => (requests[n]?.resolve(value), reloads[n]),
    reject: (n: number, error: IpcError) => (requests[n]?.reject(error), reloads[n]),
  };
}

const offline: IpcError = { code: "offline", message: "no network" };
const storage: IpcError = { code: "storage", message: "disk full" };

describe("Loader", () => {
  it("stores the result and clears the error", async () => {
    const { loader, start, resolve } = pending<string>();
    loader.error = storage;
    start();
    expect(loader.loading).toBe(true);
    await resolve(0, "a");
    expect(loader.data).toBe("a");
    expect(loader.error).toBeNull();
    expect(loader.loading).toBe(false);
  });

  it("drops a response that arrives after a newer request started", async () => {
    const { loader, start, resolve } = pending<string>();
    start();
    start();
    await resolve(1, "new");
    await resolve(0, "old");
    expect(loader.data).toBe("new");
    expect(loader.loading).toBe(false);
  });

  it("keeps loading while the latest request is under way, whatever older ones do", async () => {
    const { loader, start, resolve } = pending<string>();
    start();
    start();
    await resolve(0, "old");
    expect(loader.data).toBeNull();
    expect(loader.loading).toBe(true);
    await resolve(1, "new");
    expect(loader.data).toBe("new");
  });

  it("drops a stale failure and keeps the data", async () => {
    const { loader, start, resolve, reject } = pending<string>();
    start();
    start();
    await resolve(1, "new");
    await reject(0, offline);
    expect(loader.error).toBeNull();
    expect(loader.data).toBe("new");
  });

  it("keeps the previous data when the latest request fails", async () => {
    const { loader, start, resolve, reject } = pending<string>();
    start();
    await resolve(0, "a");
    start();
    await reject(1, offline);
    expect(loader.data).toBe("a");
    expect(loader.error).toEqual(offline);
    expect(loader.loading).toBe(false);
  });

  it("lets onload drop a response but still clears the error", async () => {
    const seen: string[] = [];
    const onload = (result: string) => (seen.push(result), result !== "empty");
    const { loader, start, resolve } = pending<string>({ onload });
    start();
    await resolve(0, "a");
    loader.error = offline;
    start();
    await resolve(1, "empty");
    expect(seen).toEqual(["a", "empty"]);
    expect(loader.data).toBe("a");
    expect(loader.error).toBeNull();
  });

  it("does not call onload for a stale response", async () => {
    const seen: string[] = [];
    const { start, resolve } = pending<string>({ onload: (result) => void seen.push(result) });
    start();
    start();
    await resolve(0, "old");
    await resolve(1, "new");
    expect(seen).toEqual(["new"]);
  });

  it("current() turns false once the next reload starts", async () => {
    const { loader, start, resolve } = pending<string>();
    start();
    await resolve(0, "a");
    const current = loader.current();
    expect(current()).toBe(true);
    start();
    expect(current()).toBe(false);
  });
});

describe("firstPageIfEmptied", () => {
  const empty = { rows: [] };
  const some = { rows: [1] };

  it("goes back to the first page when a later one comes back empty", () => {
    let offset = 50;
    const onload = firstPageIfEmptied(() => offset, () => (offset = 0));
    expect(onload(empty)).toBe(false);
    expect(offset).toBe(0);
  });

  it("keeps a page with rows, and an empty first page", () => {
    let resets = 0;
    expect(firstPageIfEmptied(() => 50, () => resets++)(some)).toBe(true);
    expect(firstPageIfEmptied(() => 0, () => resets++)(empty)).toBe(true);
    expect(resets).toBe(0);
  });
});
