//! IPC commands: each maps its arguments, calls `desk`, and maps the error.

use desk::error::IpcError;
use desk::export::{ExportFormat, Lang};
use desk::sync::SyncOptions;
use desk::views::{
    ExportKind, PartnerPage, PortfolioQuery, PortfolioRow, PurchaseQuote, RejectedChange,
    SyncStatus, WorkspaceInfo,
};
use desk::Desk;
use tauri::{AppHandle, State};

use crate::demo::Demo;

#[tauri::command]
pub async fn workspace_info(desk: State<'_, Desk>) -> Result<WorkspaceInfo, IpcError> {
    Ok(desk.workspace_info().await?)
}

#[tauri::command]
pub async fn portfolio(
    desk: State<'_, Desk>,
    query: PortfolioQuery,
) -> Result<Vec<PortfolioRow>, IpcError> {
    Ok(desk.portfolio(&query).await?)
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
    base_url: String,
    token: String,
) -> Result<(), IpcError> {
    desk.sign_in(&base_url, &token, SyncOptions::default())
        .await?;
    crate::forward_sync_status(&app, &desk).await;
    Ok(())
}

/// Signs out and goes back to the demo workspace.
#[tauri::command]
pub async fn sign_out(
    app: AppHandle,
    desk: State<'_, Desk>,
    demo: State<'_, Demo>,
) -> Result<(), IpcError> {
    desk.sign_out().await?;
    demo.open(&desk).await?;
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
