// Where the keyboard's focus goes when the page changes.

/** The id of the app's main region, the skip link's target. */
export const CONTENT_ID = "content";

/** Remembers what has the focus now; the function returned gives it back, if it is still there. */
export function rememberFocus(doc: Document = document): () => void {
  const opener = doc.activeElement instanceof HTMLElement ? doc.activeElement : null;
  return () => {
    if (opener?.isConnected) opener.focus();
  };
}

/**
 * Moves focus to the page's heading once it has rendered (pages load their data first), or to the
 * main region if no heading appears within about a second. Focus the user moved meanwhile into
 * the page is left alone.
 */
export function focusPageHeading(doc: Document = document): void {
  let frames = 0;
  const step = () => {
    const main = doc.getElementById(CONTENT_ID);
    if (!main) return;
    if (main.contains(doc.activeElement) && doc.activeElement !== main) return;
    const heading = main.querySelector<HTMLElement>("h1");
    if (heading || frames >= 60) {
      const target = heading ?? main;
      if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
      target.focus();
      return;
    }
    frames += 1;
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}
