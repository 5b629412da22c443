// The one interface between the UI and the backend: typed wrappers over Tauri's IPC.
//
// Types come from ui/src/ipc, generated from the Rust types. Every failure reaches the caller as
// an IpcError `{code, message, field?, refusal?}`, whatever went wrong underneath: a refusal by
// one of the program's rules comes as data (the rule and its facts), never as text to parse.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { QuoteCheck } from "../ipc/QuoteCheck";
import type { QuoteForm } from "../ipc/QuoteForm";
import type { QuoteList } from "../ipc/QuoteList";
import type { QuoteStatus } from "../ipc/QuoteStatus";
import type { QuoteView } from "../ipc/QuoteView";
import type { DealCheck } from "../ipc/DealCheck";
import type { DealEdit } from "../ipc/DealEdit";
import type { DealForm } from "../ipc/DealForm";
import type { DealList } from "../ipc/DealList";
import type { DealView } from "../ipc/DealView";
import type { BrowserSignIn } from "../ipc/BrowserSignIn";
import type { CallbackPage } from "../ipc/CallbackPage";
import type { ErrorCode } from "../ipc/ErrorCode";
import type { ExportFormat } from "../ipc/ExportFormat";
import type { ExportKind } from "../ipc/ExportKind";
import type { Lang } from "../ipc/Lang";
import type { IpcError } from "../ipc/IpcError";
import type { PartnerPage } from "../ipc/PartnerPage";
import type { PortfolioQuery } from "../ipc/PortfolioQuery";
import type { PortfolioPage } from "../ipc/PortfolioPage";
import type { CustomerDetail } from "../ipc/CustomerDetail";
import type { CustomerFilter } from "../ipc/CustomerFilter";
import type { CustomerPage } from "../ipc/CustomerPage";
import type { LedgerPage } from "../ipc/LedgerPage";
import type { MigrationRow } from "../ipc/MigrationRow";
import type { SearchHit } from "../ipc/SearchHit";
import type { Settings } from "../ipc/Settings";
import type { TrendPoint } from "../ipc/TrendPoint";
import type { PurchaseQuote } from "../ipc/PurchaseQuote";
import type { RejectedChange } from "../ipc/RejectedChange";
import type { SubdivisionChoice } from "../ipc/SubdivisionChoice";
import type { StartupProgress } from "../ipc/StartupProgress";
import type { SyncStatus } from "../ipc/SyncStatus";
import type { WorkspaceInfo } from "../ipc/WorkspaceInfo";
import type { ActionItemForm } from "../ipc/ActionItemForm";
import type { ActionItemView } from "../ipc/ActionItemView";
import type { Review } from "../ipc/Review";
import type { Audience } from "../ipc/Audience";
import type { ReviewFiles } from "../ipc/ReviewFiles";
import type { ReviewQuarters } from "../ipc/ReviewQuarters";

// Every code the backend sends, checked by the compiler against the generated `ErrorCode`: a
// code added in Rust and missing here (or the other way round) fails the type check.
const CODES: Record<ErrorCode, true> = {
  not_found: true,
  invalid_input: true,
  schema_too_new: true,
  storage: true,
  keychain: true,
  no_secret_store: true,
  cache_key_missing: true,
  cache_unreadable: true,
  cache_in_use: true,
  wrong_passphrase: true,
  unauthorized: true,
  offline: true,
  remote: true,
  not_central_api: true,
  sign_in_denied: true,
  sign_in_timed_out: true,
  sign_in_cancelled: true,
  sign_in_expired: true,
  sign_in_refused: true,
  refused: true,
  desktop: true,
  internal: true,
};

/** Turns anything thrown by `invoke` into an IpcError, keeping the field and the refusal. */
export function toIpcError(e: unknown): IpcError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const { code, message, field, refusal } = e as IpcError;
    if (typeof code === "string" && Object.hasOwn(CODES, code)) {
      const error: IpcError = { code, message: String(message) };
      if (typeof field === "string") error.field = field;
      if (typeof refusal === "object" && refusal !== null) error.refusal = refusal;
      return error;
    }
  }
  return { code: "internal", message: e instanceof Error ? e.message : String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

export const api = {
  /** Why the app could not open its data at start (null when it could): nothing else works then. */
  /** Waits until the start is over; then why the data could not be opened, if it could not. */
  startupProblem: () => call<IpcError | null>("startup_problem"),
  startupProgress: () => call<StartupProgress>("startup_progress"),
  /** The window painted for the first time, or first painted the portfolio with data: the app
   * logs when, counted from its process's start (once each; `make bench` reads it). */
  painted: (what: "window" | "data") => call<null>("painted", { what }),
  /** Calls `handler` at each step of the start. */
  onStartupProgress: (handler: (progress: StartupProgress) => void): Promise<UnlistenFn> =>
    listen<StartupProgress>("startup-progress", (event) => handler(event.payload)),
  /** Calls `handler` if the cache's pages fail the check made once the window shows it: the
   * cache is recovered at the next start. */
  onCacheDamaged: (handler: (problem: IpcError) => void): Promise<UnlistenFn> =>
    listen<IpcError>("cache-damaged", (event) => handler(event.payload)),
  /** Where no secret store answers: whether a passphrase was chosen for this data already. */
  passphraseIsSet: () => call<boolean>("passphrase_is_set"),
  /** Where no secret store answers: opens the data under `passphrase` (chosen at first use). */
  openWithPassphrase: (passphrase: string) => call<void>("open_with_passphrase", { passphrase }),
  workspaceInfo: () => call<WorkspaceInfo>("workspace_info"),
  portfolio: (query: PortfolioQuery) => call<PortfolioPage>("portfolio", { query }),
  search: (text: string) => call<SearchHit[]>("search", { text }),
  ledger: (partnerId: string, after: string | null, limit: number | null) =>
    call<LedgerPage>("ledger", { partnerId, after, limit }),
  customers: (partnerId: string, filter: CustomerFilter, offset: number, limit: number | null) =>
    call<CustomerPage>("customers", { partnerId, filter, offset, limit }),
  customer: (customerId: string) => call<CustomerDetail>("customer", { customerId }),
  migrations: (partnerId: string) => call<MigrationRow[]>("migrations", { partnerId }),
  trends: (partnerId: string) => call<TrendPoint[]>("trends", { partnerId }),
  settings: () => call<Settings>("settings"),
  setSettings: (settings: Settings) => call<Settings>("set_settings", { settings }),
  deals: (partnerId: string) => call<DealList>("deals", { partnerId }),
  countries: () => call<string[]>("countries"),
  subdivisions: (country: string) => call<SubdivisionChoice[]>("subdivisions", { country }),
  checkDeal: (form: DealForm) => call<DealCheck>("check_deal", { form }),
  registerDeal: (form: DealForm) => call<DealView>("register_deal", { form }),
  editDeal: (dealId: string, edits: DealEdit[]) => call<DealView>("edit_deal", { dealId, edits }),
  quotes: (partnerId: string) => call<QuoteList>("quotes", { partnerId }),
  checkQuote: (form: QuoteForm) => call<QuoteCheck>("check_quote", { form }),
  saveQuote: (form: QuoteForm) => call<QuoteView>("save_quote", { form }),
  reviseQuote: (quoteId: string) => call<QuoteView>("revise_quote", { quoteId }),
  setQuoteStatus: (quoteId: string, status: QuoteStatus) =>
    call<QuoteView>("set_quote_status", { quoteId, status }),
  quotePdf: (quoteId: string) => call<string>("quote_pdf", { quoteId }),
  exportQuoteLines: (quoteId: string, format: ExportFormat, lang: Lang) =>
    call<string>("export_quote_lines", { quoteId, format, lang }),
  reviewQuarters: () => call<ReviewQuarters>("review_quarters"),
  review: (partnerId: string, quarter: string) => call<Review>("review", { partnerId, quarter }),
  exportReview: (partnerId: string, quarter: string, lang: Lang, audience: Audience) =>
    call<ReviewFiles>("export_review", { partnerId, quarter, lang, audience }),
  saveActionItem: (form: ActionItemForm) => call<ActionItemView>("save_action_item", { form }),
  partnerPage: (id: string) => call<PartnerPage>("partner_page", { id }),
  syncStatus: () => call<SyncStatus | null>("sync_status"),
  syncNow: () => call<null>("sync_now"),
  signIn: (baseUrl: string, token: string) => call<null>("sign_in", { baseUrl, token }),
  beginBrowserSignIn: (baseUrl: string, locale: string, page: CallbackPage) =>
    call<BrowserSignIn>("begin_browser_sign_in", { baseUrl, locale, page }),
  reopenBrowserSignIn: () => call<boolean>("reopen_browser_sign_in"),
  finishBrowserSignIn: () => call<null>("finish_browser_sign_in"),
  cancelBrowserSignIn: () => call<null>("cancel_browser_sign_in"),
  signOut: () => call<null>("sign_out"),
  purchaseCredits: (partnerId: string, credits: string) =>
    call<string>("purchase_credits", { partnerId, credits }),
  exportTable: (
    kind: ExportKind,
    partnerId: string | null,
    query: PortfolioQuery,
    format: ExportFormat,
    lang: Lang,
  ) => call<string>("export_table", { kind, partnerId, query, format, lang }),
  pricePurchase: (partnerId: string, credits: string | null, fiat: string | null) =>
    call<PurchaseQuote>("price_purchase", { partnerId, credits, fiat }),
  /** Opens a file an export saved, in the desktop's application for it. */
  openExport: (path: string) => call<null>("open_export", { path }),
  /** Shows a file an export saved in the desktop's file manager. */
  showExport: (path: string) => call<null>("show_export", { path }),
  rejectedChanges: () => call<RejectedChange[]>("rejected_changes"),
  dismissRejected: (id: string) => call<null>("dismiss_rejected", { id }),
  /** Calls `handler` with every sync status the backend reports. */
  onSyncStatus: (handler: (status: SyncStatus) => void): Promise<UnlistenFn> =>
    listen<SyncStatus>("sync-status", (event) => handler(event.payload)),
};
