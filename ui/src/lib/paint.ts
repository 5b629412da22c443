/** Runs `f` once the browser has painted what the page shows now: a frame's callbacks run before
 * its paint, and a task queued from one runs after it. */
export function afterPaint(f: () => void): void {
  requestAnimationFrame(() => setTimeout(f, 0));
}
