fn main() {
    // Generates `allow-<command>` permissions for the app's own commands; the capability in
    // capabilities/main.json grants exactly these to the main window.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "startup_problem",
        "workspace_info",
        "portfolio",
        "partner_page",
        "sync_status",
        "sync_now",
        "sign_in",
        "sign_out",
        "purchase_credits",
        "rejected_changes",
        "dismiss_rejected",
        "export_table",
        "price_purchase",
        "search",
        "ledger",
        "customers",
        "customer",
        "migrations",
        "trends",
        "settings",
        "set_settings",
        "deals",
        "check_deal",
        "register_deal",
        "edit_deal",
        "quotes",
        "check_quote",
        "save_quote",
        "revise_quote",
        "set_quote_status",
        "quote_pdf",
        "export_quote_lines",
        "review_quarters",
        "review",
        "export_review",
        "save_action_item",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
