//! IPC commands: each maps its arguments, calls `desk`, and maps the error.

use desk::deals::{DealCheck, DealForm, DealList, DealView};
use desk::error::{DeskError, ErrorCode, IpcError};
use desk::export::{ExportFormat, Lang};
use desk::places::SubdivisionChoice;
use desk::qbr::{ActionItemForm, ActionItemView, Audience, Review, ReviewFiles, ReviewQuarters};
use desk::quotes::{QuoteCheck, QuoteForm, QuoteList, QuoteView};
use desk::signin::{self, BrowserSignIn, CallbackPage};
use desk::sync::SyncOptions;
use desk::views::{
    CustomerDetail, CustomerFilter, CustomerPage, ExportKind, LedgerPage, MigrationRow,
    PartnerPage, PortfolioPage, PortfolioQuery, PurchaseQuote, RejectedChange, SearchHit, Settings,
    StartupProgress, StartupStep, SyncStatus, TrendPoint, WorkspaceInfo,
};
use desk::Desk;
use program::deals::DealEdit;
use program::quotes::QuoteStatus;
use tauri::{AppHandle, Manager, State};

use crate::demo::Demo;
use crate::startup::Startup;
use crate::DataDir;

/// Where the start is (the window shows it while the data opens).
#[tauri::command]
pub fn startup_progress(startup: State<'_, Startup>) -> StartupProgress {
    startup.progress()
}

/// Waits for the start to be over; then why the app could not open its data, if it could not.
/// Every other command needs the data, so the window asks this first.
#[tauri::command]
pub async fn startup_problem(startup: State<'_, Startup>) -> Result<Option<IpcError>, IpcError> {
    Ok(startup.problem().await)
}

/// Whether a passphrase was chosen for this data (used where no secret store answers).
#[tauri::command]
pub fn passphrase_is_set(dir: State<'_, DataDir>) -> bool {
    desk::passphrase::is_set(&dir.0)
}

/// Where no secret store answered at start: derives the data's key from `passphrase` (chosen at
/// the first use), then opens the data as a start does.
#[tauri::command]
pub async fn open_with_passphrase(
    app: AppHandle,
    dir: State<'_, DataDir>,
    startup: State<'_, Startup>,
    passphrase: String,
) -> Result<(), IpcError> {
    if startup.ended_with().map(|p| p.code) != Some(ErrorCode::NoSecretStore) {
        return Err(DeskError::InvalidInput {
            field: "passphrase",
            reason: "is only used where no secret store answers".into(),
        }
        .into());
    }
    desk::passphrase::unlock(&dir.0, &passphrase).await?;
    let (desk, demo) = crate::open_data(&app, &startup, &dir.0).await?;
    app.manage(desk);
    app.manage(demo);
    startup.finish(&app, None);
    Ok(())
}

#[tauri::command]
pub async fn workspace_info(desk: State<'_, Desk>) -> Result<WorkspaceInfo, IpcError> {
    Ok(desk.workspace_info().await?)
}

#[tauri::command]
pub async fn portfolio(
    desk: State<'_, Desk>,
    query: PortfolioQuery,
) -> Result<PortfolioPage, IpcError> {
    Ok(desk.portfolio(&query).await?)
}

#[tauri::command]
pub async fn search(desk: State<'_, Desk>, text: String) -> Result<Vec<SearchHit>, IpcError> {
    Ok(desk.search(&text).await?)
}

#[tauri::command]
pub async fn ledger(
    desk: State<'_, Desk>,
    partner_id: String,
    after: Option<String>,
    limit: Option<u32>,
) -> Result<LedgerPage, IpcError> {
    Ok(desk.ledger(&partner_id, after.as_deref(), limit).await?)
}

#[tauri::command]
pub async fn customers(
    desk: State<'_, Desk>,
    partner_id: String,
    filter: CustomerFilter,
    offset: u32,
    limit: Option<u32>,
) -> Result<CustomerPage, IpcError> {
    Ok(desk.customers(&partner_id, filter, offset, limit).await?)
}

#[tauri::command]
pub async fn customer(
    desk: State<'_, Desk>,
    customer_id: String,
) -> Result<CustomerDetail, IpcError> {
    Ok(desk.customer(&customer_id).await?)
}

#[tauri::command]
pub async fn migrations(
    desk: State<'_, Desk>,
    partner_id: String,
) -> Result<Vec<MigrationRow>, IpcError> {
    Ok(desk.migrations(&partner_id).await?)
}

#[tauri::command]
pub async fn trends(
    desk: State<'_, Desk>,
    partner_id: String,
) -> Result<Vec<TrendPoint>, IpcError> {
    Ok(desk.trends(&partner_id).await?)
}

#[tauri::command]
pub async fn settings(desk: State<'_, Desk>) -> Result<Settings, IpcError> {
    Ok(desk.settings().await?)
}

#[tauri::command]
pub async fn set_settings(desk: State<'_, Desk>, settings: Settings) -> Result<Settings, IpcError> {
    Ok(desk.set_settings(settings).await?)
}

#[tauri::command]
pub async fn partner_page(desk: State<'_, Desk>, id: String) -> Result<PartnerPage, IpcError> {
    Ok(desk.partner_page(&id).await?)
}

#[tauri::command]
pub async fn sync_status(desk: State<'_, Desk>) -> Result<Option<SyncStatus>, IpcError> {
    Ok(desk.sync_status().await)
}

#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<(), IpcError> {
    desk.request_sync().await;
    Ok(())
}

#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    desk: State<'_, Desk>,
    demo: State<'_, Demo>,
    base_url: String,
    token: String,
) -> Result<(), IpcError> {
    desk.sign_in(&base_url, &token, SyncOptions::default())
        .await?;
    demo.leave().await?;
    crate::forward_sync_status(&app, &desk).await;
    Ok(())
}

/// Starts signing in through the system browser: opens the central API's login page in it, and
/// says whether the browser could be asked to (the window shows the link either way).
#[tauri::command]
pub async fn begin_browser_sign_in(
    desk: State<'_, Desk>,
    base_url: String,
    locale: String,
    page: CallbackPage,
) -> Result<BrowserSignIn, IpcError> {
    let mut started = desk.begin_browser_sign_in(&base_url, &locale, page).await?;
    started.browser_opened = open_in_browser(&started.authorize_url);
    Ok(started)
}

/// Opens the login page of the sign-in under way again (and nothing else).
#[tauri::command]
pub fn reopen_browser_sign_in(desk: State<'_, Desk>) -> bool {
    desk.browser_sign_in_url()
        .is_some_and(|url| open_in_browser(url.as_str()))
}

fn open_in_browser(url: &str) -> bool {
    match open::that_detached(url) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "the system browser could not be opened");
            false
        }
    }
}

/// Waits for the browser to come back, then signs in and syncs.
#[tauri::command]
pub async fn finish_browser_sign_in(
    app: AppHandle,
    desk: State<'_, Desk>,
    demo: State<'_, Demo>,
) -> Result<(), IpcError> {
    desk.finish_browser_sign_in(signin::BROWSER_WAIT, SyncOptions::default())
        .await?;
    demo.leave().await?;
    crate::forward_sync_status(&app, &desk).await;
    Ok(())
}

#[tauri::command]
pub fn cancel_browser_sign_in(desk: State<'_, Desk>) {
    desk.cancel_browser_sign_in();
}

/// Signs out and goes back to the demo workspace, telling the window each step as the start does.
#[tauri::command]
pub async fn sign_out(
    app: AppHandle,
    desk: State<'_, Desk>,
    demo: State<'_, Demo>,
) -> Result<(), IpcError> {
    let progress = |step| crate::startup::announce(&app, StartupProgress::at(step));
    progress(StartupStep::OpeningCache);
    desk.sign_out().await?;
    demo.open(&desk, &progress).await?;
    crate::startup::announce(&app, StartupProgress::done());
    crate::forward_sync_status(&app, &desk).await;
    Ok(())
}

#[tauri::command]
pub async fn purchase_credits(
    desk: State<'_, Desk>,
    partner_id: String,
    credits: String,
) -> Result<String, IpcError> {
    Ok(desk.purchase_credits(&partner_id, &credits).await?)
}

#[tauri::command]
pub async fn rejected_changes(desk: State<'_, Desk>) -> Result<Vec<RejectedChange>, IpcError> {
    Ok(desk.rejected_changes().await?)
}

#[tauri::command]
pub async fn dismiss_rejected(desk: State<'_, Desk>, id: String) -> Result<(), IpcError> {
    Ok(desk.dismiss_rejected(&id).await?)
}

/// Where exports are written (the user's Downloads folder unless overridden).
pub struct ExportDir(pub std::path::PathBuf);

#[tauri::command]
pub async fn export_table(
    desk: State<'_, Desk>,
    dir: State<'_, ExportDir>,
    kind: ExportKind,
    partner_id: Option<String>,
    query: PortfolioQuery,
    format: ExportFormat,
    lang: Lang,
) -> Result<String, IpcError> {
    Ok(desk
        .export(kind, partner_id.as_deref(), &query, format, lang, &dir.0)
        .await?)
}

#[tauri::command]
pub async fn price_purchase(
    desk: State<'_, Desk>,
    partner_id: String,
    credits: Option<String>,
    fiat: Option<String>,
) -> Result<PurchaseQuote, IpcError> {
    Ok(desk
        .price_purchase(&partner_id, credits.as_deref(), fiat.as_deref())
        .await?)
}

#[tauri::command]
pub async fn deals(desk: State<'_, Desk>, partner_id: String) -> Result<DealList, IpcError> {
    Ok(desk.deals(&partner_id).await?)
}

/// The window painted for the first time, or first painted the portfolio with its data: logged
/// with the time since the process started.
#[tauri::command]
pub fn painted(what: crate::startup::Painted) {
    crate::startup::painted(what);
}

#[tauri::command]
pub fn countries(desk: State<'_, Desk>) -> Vec<String> {
    desk.countries()
}

#[tauri::command]
pub fn subdivisions(
    desk: State<'_, Desk>,
    country: String,
) -> Result<Vec<SubdivisionChoice>, IpcError> {
    Ok(desk.subdivisions(&country)?)
}

#[tauri::command]
pub async fn check_deal(desk: State<'_, Desk>, form: DealForm) -> Result<DealCheck, IpcError> {
    Ok(desk.check_deal(&form).await?)
}

#[tauri::command]
pub async fn register_deal(desk: State<'_, Desk>, form: DealForm) -> Result<DealView, IpcError> {
    Ok(desk.register_deal(&form).await?)
}

#[tauri::command]
pub async fn edit_deal(
    desk: State<'_, Desk>,
    deal_id: String,
    edits: Vec<DealEdit>,
) -> Result<DealView, IpcError> {
    Ok(desk.edit_deal(&deal_id, edits).await?)
}

#[tauri::command]
pub async fn quotes(desk: State<'_, Desk>, partner_id: String) -> Result<QuoteList, IpcError> {
    Ok(desk.quotes(&partner_id).await?)
}

#[tauri::command]
pub async fn check_quote(desk: State<'_, Desk>, form: QuoteForm) -> Result<QuoteCheck, IpcError> {
    Ok(desk.check_quote(&form).await?)
}

#[tauri::command]
pub async fn save_quote(desk: State<'_, Desk>, form: QuoteForm) -> Result<QuoteView, IpcError> {
    Ok(desk.save_quote(&form).await?)
}

#[tauri::command]
pub async fn revise_quote(desk: State<'_, Desk>, quote_id: String) -> Result<QuoteView, IpcError> {
    Ok(desk.revise_quote(&quote_id).await?)
}

#[tauri::command]
pub async fn set_quote_status(
    desk: State<'_, Desk>,
    quote_id: String,
    status: QuoteStatus,
) -> Result<QuoteView, IpcError> {
    Ok(desk.set_quote_status(&quote_id, status).await?)
}

#[tauri::command]
pub async fn quote_pdf(
    desk: State<'_, Desk>,
    dir: State<'_, ExportDir>,
    quote_id: String,
) -> Result<String, IpcError> {
    Ok(desk.quote_pdf(&quote_id, &dir.0).await?)
}

#[tauri::command]
pub async fn export_quote_lines(
    desk: State<'_, Desk>,
    dir: State<'_, ExportDir>,
    quote_id: String,
    format: ExportFormat,
    lang: Lang,
) -> Result<String, IpcError> {
    Ok(desk
        .export_quote_lines(&quote_id, format, lang, &dir.0)
        .await?)
}

#[tauri::command]
pub async fn review_quarters(desk: State<'_, Desk>) -> Result<ReviewQuarters, IpcError> {
    Ok(desk.review_quarters().await?)
}

#[tauri::command]
pub async fn review(
    desk: State<'_, Desk>,
    partner_id: String,
    quarter: String,
) -> Result<Review, IpcError> {
    Ok(desk.review(&partner_id, &quarter).await?)
}

#[tauri::command]
pub async fn export_review(
    desk: State<'_, Desk>,
    dir: State<'_, ExportDir>,
    partner_id: String,
    quarter: String,
    lang: Lang,
    audience: Audience,
) -> Result<ReviewFiles, IpcError> {
    Ok(desk
        .export_review(&partner_id, &quarter, lang, audience, &dir.0)
        .await?)
}

#[tauri::command]
pub async fn save_action_item(
    desk: State<'_, Desk>,
    form: ActionItemForm,
) -> Result<ActionItemView, IpcError> {
    Ok(desk.save_action_item(&form).await?)
}

/// Opens a file an export saved (only one in the export folder) in the desktop's application
/// for it.
#[tauri::command]
pub fn open_export(dir: State<'_, ExportDir>, path: String) -> Result<(), IpcError> {
    let file = desk::export::saved_export(&dir.0, std::path::Path::new(&path))?;
    tauri_plugin_opener::open_path(&file, None::<&str>).map_err(desktop)
}

/// Shows a file an export saved (only one in the export folder) in the desktop's file manager.
#[tauri::command]
pub fn show_export(dir: State<'_, ExportDir>, path: String) -> Result<(), IpcError> {
    let file = desk::export::saved_export(&dir.0, std::path::Path::new(&path))?;
    tauri_plugin_opener::reveal_item_in_dir(file).map_err(desktop)
}

/// The desktop could not open or show a file.
fn desktop(e: tauri_plugin_opener::Error) -> IpcError {
    DeskError::Desktop(e.to_string()).into()
}
