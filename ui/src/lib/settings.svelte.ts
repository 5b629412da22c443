// The user's settings, shared by every screen that reads them; saved by the backend.

import type { Settings } from "../ipc/Settings";
import { api } from "./api";

/** The range the backend accepts for the low-runway threshold, in days. */
export const LOW_RUNWAY_MIN = 1;
export const LOW_RUNWAY_MAX = 365;

// The backend's default, shown until the saved settings arrive.
const state = $state<Settings>({ low_runway_days: 30 });

/** Runway below this many days counts as low. */
export function lowRunwayDays(): number {
  return state.low_runway_days;
}

/** Reads the saved settings; throws an IpcError. */
export async function loadSettings(): Promise<void> {
  state.low_runway_days = (await api.settings()).low_runway_days;
}

/** Saves `next`; throws an IpcError (code "invalid_input" when out of range). */
export async function saveSettings(next: Settings): Promise<void> {
  state.low_runway_days = (await api.setSettings(next)).low_runway_days;
}

/** The threshold typed in a field, or null when it is not a whole number in range. */
export function parseLowRunwayDays(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,3}$/.test(trimmed)) return null;
  const days = Number(trimmed);
  return days >= LOW_RUNWAY_MIN && days <= LOW_RUNWAY_MAX ? days : null;
}
