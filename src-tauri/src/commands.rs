//! IPC commands: each maps its arguments, calls `desk`, and maps the error.

use desk::error::IpcError;
use desk::views::{PartnerPage, PortfolioQuery, PortfolioRow, WorkspaceInfo};
use desk::Desk;
use tauri::State;

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
