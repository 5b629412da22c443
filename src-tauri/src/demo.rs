//! The demo workspace: the reference central API's generated program, loaded into the local cache
//! on first start. (The sync issue replaces the direct load with real sync over loopback.)

use std::path::Path;

use central_api::demo::{generate, DemoConfig};
use chrono::Utc;
use desk::views::WorkspaceKind;
use desk::Desk;

pub async fn open(data_dir: &Path) -> desk::error::Result<Desk> {
    let desk = Desk::open(data_dir).await?;
    if !desk.has_workspace().await? {
        let today = Utc::now().date_naive();
        let data = generate(&DemoConfig::small(today));
        desk.load_workspace(&data, WorkspaceKind::Demo, today)
            .await?;
    }
    Ok(desk)
}
