// Light, dark or the system's choice; remembered across starts.

export type Theme = "system" | "light" | "dark";
export const THEMES: readonly Theme[] = ["system", "light", "dark"];
const STORAGE_KEY = "partner-desk.theme";

function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  return saved === "light" || saved === "dark" ? saved : "system";
}

const state = $state<{ theme: Theme }>({ theme: initialTheme() });

export function theme(): Theme {
  return state.theme;
}

export function setTheme(next: Theme): void {
  state.theme = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  applyTheme();
}

/** Sets `data-theme` on the root element; "system" leaves it to prefers-color-scheme. */
export function applyTheme(): void {
  if (!globalThis.document) return;
  const root = document.documentElement;
  if (state.theme === "system") delete root.dataset["theme"];
  else root.dataset["theme"] = state.theme;
}
