//! The TypeScript IPC types in `ui/src/ipc/` are generated from the Rust types; this test fails
//! when they drift. Regenerate with `make ipc`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use desk::error::IpcError;
use desk::views::{
    PartnerPage, PortfolioQuery, PortfolioRow, RejectedChange, SyncStatus, WorkspaceInfo,
};
use ts_rs::TS;

fn export(dir: &Path) {
    PortfolioQuery::export_all_to(dir).unwrap();
    PortfolioRow::export_all_to(dir).unwrap();
    PartnerPage::export_all_to(dir).unwrap();
    WorkspaceInfo::export_all_to(dir).unwrap();
    IpcError::export_all_to(dir).unwrap();
    SyncStatus::export_all_to(dir).unwrap();
    RejectedChange::export_all_to(dir).unwrap();
    desk::views::ExportKind::export_all_to(dir).unwrap();
    desk::views::PurchaseQuote::export_all_to(dir).unwrap();
    desk::export::ExportFormat::export_all_to(dir).unwrap();
    desk::export::Lang::export_all_to(dir).unwrap();
    desk::views::PortfolioPage::export_all_to(dir).unwrap();
    desk::views::SearchHit::export_all_to(dir).unwrap();
    desk::views::LedgerPage::export_all_to(dir).unwrap();
    desk::views::CustomerPage::export_all_to(dir).unwrap();
    desk::views::CustomerFilter::export_all_to(dir).unwrap();
    desk::views::CustomerDetail::export_all_to(dir).unwrap();
    desk::views::MigrationRow::export_all_to(dir).unwrap();
    desk::views::TrendPoint::export_all_to(dir).unwrap();
    desk::views::Settings::export_all_to(dir).unwrap();
    desk::deals::DealList::export_all_to(dir).unwrap();
    desk::places::SubdivisionChoice::export_all_to(dir).unwrap();
    desk::deals::DealForm::export_all_to(dir).unwrap();
    desk::deals::DealCheck::export_all_to(dir).unwrap();
    program::deals::DealEdit::export_all_to(dir).unwrap();
    desk::quotes::QuoteList::export_all_to(dir).unwrap();
    desk::quotes::QuoteForm::export_all_to(dir).unwrap();
    desk::quotes::QuoteCheck::export_all_to(dir).unwrap();
    desk::qbr::Review::export_all_to(dir).unwrap();
    desk::qbr::ReviewQuarters::export_all_to(dir).unwrap();
    desk::qbr::ReviewFiles::export_all_to(dir).unwrap();
    desk::qbr::Audience::export_all_to(dir).unwrap();
    desk::qbr::ActionItemForm::export_all_to(dir).unwrap();
    desk::signin::CallbackPage::export_all_to(dir).unwrap();
    desk::signin::BrowserSignIn::export_all_to(dir).unwrap();
    desk::views::StartupProgress::export_all_to(dir).unwrap();
    std::fs::write(dir.join("definitions.ts"), definitions()).unwrap();
}

/// The program's figures in words (`program::metrics::DEFINITIONS`, the 12 months' figures, and
/// `Kpi::definition`, a quarter's), as entries of the UI's catalog in both languages: the text of
/// the definition beside each figure.
fn definitions() -> String {
    use program::qbr::Kpi;
    use program::Lang;
    let mut entries: Vec<(String, String, String)> = program::metrics::DEFINITIONS
        .iter()
        .map(|(key, en, es)| (format!("definition.{key}"), en.to_string(), es.to_string()))
        .collect();
    for kpi in Kpi::ALL {
        let name = serde_json::to_value(kpi).unwrap();
        entries.push((
            format!("definition.kpi.{}", name.as_str().unwrap()),
            kpi.definition(Lang::En).to_string(),
            kpi.definition(Lang::Es).to_string(),
        ));
    }
    let object = |lang: fn(&(String, String, String)) -> &String| {
        entries
            .iter()
            .map(|e| {
                let key = serde_json::to_string(&e.0).unwrap();
                format!("  {key}: {},\n", serde_json::to_string(lang(e)).unwrap())
            })
            .collect::<String>()
    };
    format!(
        "// Generated from `program::metrics::DEFINITIONS` and `program::qbr::Kpi::definition` by \
         `make ipc`:\n// the program's figures in words, the catalog's `definition.*` entries. Do not edit.\n\n\
         export const definitionsEn = {{\n{}}} as const;\n\n\
         export const definitionsEs: Record<keyof typeof definitionsEn, string> = {{\n{}}};\n",
        object(|e| &e.1),
        object(|e| &e.2)
    )
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "ts"))
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read_to_string(&p).unwrap())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ipc_bindings_match_the_rust_types() {
    let ui_ipc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc");
    let fresh = tempfile::tempdir().unwrap();
    export(fresh.path());
    let generated = read_dir(fresh.path());
    if std::env::var_os("UPDATE_IPC").is_some() {
        for name in read_dir(&ui_ipc).keys() {
            std::fs::remove_file(ui_ipc.join(name)).unwrap();
        }
        std::fs::create_dir_all(&ui_ipc).unwrap();
        for (name, text) in &generated {
            std::fs::write(ui_ipc.join(name), text).unwrap();
        }
        return;
    }
    let committed = read_dir(&ui_ipc);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "ui/src/ipc has drifted from the Rust types: run `make ipc`"
    );
    for (name, text) in &generated {
        assert_eq!(
            &committed[name], text,
            "ui/src/ipc/{name} has drifted from the Rust types: run `make ipc`"
        );
    }
}
