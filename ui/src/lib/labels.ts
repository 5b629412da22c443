// Catalog keys for the program's enums, so components never build keys from strings by hand.

import type { Benefit } from "../ipc/Benefit";
import type { Brand } from "../ipc/Brand";
import type { Entitlement } from "../ipc/Entitlement";
import type { Exclusivity } from "../ipc/Exclusivity";
import type { Region } from "../ipc/Region";
import type { Tier } from "../ipc/Tier";
import type { MessageKey } from "./messages";

export const TIERS: readonly Tier[] = ["authorized", "specialist", "regional", "strategic"];
export const REGIONS: readonly Region[] = ["latam", "usa_can", "eu_es"];

export const tierKey = (t: Tier): MessageKey => `tier.${t}`;
export const regionKey = (r: Region): MessageKey => `region.${r}`;
export const benefitKey = (b: Benefit): MessageKey => `benefit.${b}`;
export const entitlementKey = (e: Entitlement): MessageKey => `entitlement.${e}`;
export const exclusivityKey = (e: Exclusivity): MessageKey => `exclusivity.${e}`;

export const BRANDS: readonly Brand[] = ["CentroPago", "RemindLedger", "Voldier"];
