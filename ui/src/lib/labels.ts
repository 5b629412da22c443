// Catalog keys for the program's enums, so components never build keys from strings by hand.

import type { Benefit } from "../ipc/Benefit";
import type { Brand } from "../ipc/Brand";
import type { CustomerFilter } from "../ipc/CustomerFilter";
import type { CustomerStatus } from "../ipc/CustomerStatus";
import type { Entitlement } from "../ipc/Entitlement";
import type { Exclusivity } from "../ipc/Exclusivity";
import type { LedgerKind } from "../ipc/LedgerKind";
import type { MigrationDirection } from "../ipc/MigrationDirection";
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

export const CUSTOMER_FILTERS: readonly CustomerFilter[] = [
  "all",
  "active",
  "churned",
  "migrated_in",
  "migrated_out",
];
export const customerFilterKey = (f: CustomerFilter): MessageKey => `customers.filter.${f}`;
export const customerStatusKey = (s: CustomerStatus): MessageKey => `customers.status.${s}`;
export const ledgerKindKey = (k: LedgerKind): MessageKey => `ledger.kind.${k}`;
export const directionKey = (d: MigrationDirection): MessageKey => `migrations.direction.${d}`;

export const BRANDS: readonly Brand[] = ["CentroPago", "RemindLedger", "Voldier"];
