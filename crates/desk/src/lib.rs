//! Partner Desk's backend, without Tauri. It knows nothing of windows: the Tauri shell maps its
//! commands onto [`Desk`]'s methods, which call the capability that owns the job.
//!
//! - The cache and what it knows: `store` (SQLite, migrations), `workspace` (whose it is, its
//!   day, the program policy, FX rates, the user, the catalog), `settings`, `outbox` (local
//!   changes waiting for the central API, and the ones it refused).
//! - Talking to the central API: `api` (the HTTP client), `sync/` (engine, pull, push, mirror),
//!   `session` (signing in, resuming, signing out), `signin` (the browser sign-in), `credentials`
//!   and `secrets` (tokens, kept in the OS keychain).
//! - What users name: `portfolio/` (the list, search, a partner's page), `customers/`, `credits/`
//!   (ledger, purchases), `deals/`, `quotes/`, `qbr/` (Quarterly Executive Reviews), with `figures`
//!   and `metrics` (each partner's numbers), `export/` (CSV, XLSX, a screen's table as a file)
//!   and `pdf/` (typesetting). `input` reads what the UI sends.
//! - Across IPC: `views` (the types the UI reads) and `error`.
//!
//! Dependencies point one way, from the capabilities down to the cache: no module imports one
//! that imports it back.

pub mod api;
pub mod credentials;
pub mod credits;
pub mod customers;
pub mod deals;
pub mod error;
pub mod export;
pub mod figures;
pub mod input;
pub mod logging;
pub mod metrics;
pub mod outbox;
pub mod passphrase;
pub mod pdf;
pub mod places;
pub mod portfolio;
pub mod qbr;
pub mod quotes;
pub mod recovery;
pub mod secrets;
mod session;
pub mod settings;
pub mod signin;
pub mod store;
pub mod sync;
pub mod views;
pub mod workspace;

use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use program::contract::Dataset;
use tokio::sync::Mutex;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{
    CustomerDetail, CustomerFilter, CustomerPage, ExportKind, LedgerPage, MigrationRow,
    PartnerPage, PortfolioPage, PortfolioQuery, PurchaseQuote, RejectedChange, SearchHit, Settings,
    TrendPoint, WorkspaceInfo, WorkspaceKind,
};

/// Partner Desk's version: every crate of the workspace carries the app's (see CHANGELOG.md).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The backend as the UI sees it: one per data folder.
#[derive(Debug, Clone)]
pub struct Desk {
    /// The open cache. Sign-out and a switch of account close it, delete its files and key, and
    /// put a new, empty one in its place.
    store: Arc<std::sync::RwLock<Store>>,
    session: Arc<Mutex<Option<session::Session>>>,
    browser: Arc<std::sync::Mutex<session::BrowserSlot>>,
    /// What the start recovered from a damaged cache, if it had to.
    recovered: Option<views::Recovery>,
}

pub use credits::{ledger, MAX_PURCHASE_CREDITS};

use crate::workspace::{kind_key, AS_OF, HOME_PARTNER, KIND};

impl Desk {
    /// Opens the workspace cache in `data_dir`, recovering a damaged one (`recovery`).
    pub async fn open(data_dir: &Path) -> Result<Desk> {
        Desk::open_checking(data_dir, store::PageCheck::AtOpen).await
    }

    /// As [`Desk::open`], the cache's pages checked when `check` says (the window opens with
    /// [`store::PageCheck::Later`] and calls [`Desk::check_pages`] once it shows the cache).
    pub async fn open_checking(data_dir: &Path, check: store::PageCheck) -> Result<Desk> {
        let path = data_dir.join(store::CACHE_FILE);
        let (store, recovered) = recovery::open_checking(&path, check).await?;
        Ok(Desk {
            store: Arc::new(std::sync::RwLock::new(store)),
            recovered,
            session: Arc::new(Mutex::new(None)),
            browser: Arc::default(),
        })
    }

    /// Checks every page of the open cache; damage found is recovered at the next start.
    pub async fn check_pages(&self) -> Result<()> {
        self.store().check_pages().await
    }

    /// The open cache (a handle: cheap to clone, valid until a sign-out replaces the cache).
    pub fn store(&self) -> Store {
        self.store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether a workspace has been loaded into the cache.
    pub async fn has_workspace(&self) -> Result<bool> {
        Ok(!self.store().is_empty().await?)
    }

    /// Loads a whole workspace snapshot as of `as_of`, in one transaction.
    pub async fn load_workspace(
        &self,
        data: &Dataset,
        kind: WorkspaceKind,
        as_of: NaiveDate,
    ) -> Result<()> {
        self.store()
            .load_dataset(
                data,
                &[
                    (KIND, kind_key(kind).to_string()),
                    (AS_OF, as_of.format("%Y-%m-%d").to_string()),
                ],
            )
            .await?;
        tracing::info!(
            partners = data.partners.len(),
            deployments = data.deployments.len(),
            "workspace loaded"
        );
        Ok(())
    }

    /// Queues a purchase of `credits` (a decimal string) for `partner_id`; the central API
    /// prices and records it when the outbox is pushed.
    pub async fn purchase_credits(&self, partner_id: &str, credits: &str) -> Result<String> {
        let mutation = credits::purchase(&self.store(), partner_id, credits).await?;
        self.after_local_write().await?;
        Ok(mutation)
    }

    /// Prices a purchase at the partner's own rate: `credits` → fiat, or `fiat` → the most
    /// credits it buys. Exactly one of the two is given.
    pub async fn price_purchase(
        &self,
        partner_id: &str,
        credits: Option<&str>,
        fiat: Option<&str>,
    ) -> Result<PurchaseQuote> {
        credits::price(&self.store(), partner_id, credits, fiat).await
    }

    pub async fn rejected_changes(&self) -> Result<Vec<RejectedChange>> {
        outbox::rejected(&self.store()).await
    }

    pub async fn dismiss_rejected(&self, id: &str) -> Result<()> {
        outbox::dismiss(&self.store(), id).await?;
        if let Some(s) = self.session.lock().await.as_ref() {
            s.engine.refresh_counts().await?;
        }
        Ok(())
    }

    /// Writes a table to `dir` as CSV or XLSX and returns the file's path. `partner_id` names the
    /// partner for the ledger, customers and deployments; the portfolio takes `query`.
    pub async fn export(
        &self,
        kind: ExportKind,
        partner_id: Option<&str>,
        query: &PortfolioQuery,
        format: export::ExportFormat,
        lang: export::Lang,
        dir: &Path,
    ) -> Result<String> {
        export::screen(&self.store(), kind, partner_id, query, format, lang, dir).await
    }

    /// The date the figures are computed for: the data's as-of date, else today (UTC).
    pub async fn as_of(&self) -> Result<NaiveDate> {
        workspace::as_of(&self.store()).await
    }

    pub async fn workspace_info(&self) -> Result<WorkspaceInfo> {
        let count = |table: &'static str| {
            let pool = self.store().pool().clone();
            async move {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await?;
                Ok::<u32, error::DeskError>(u32::try_from(n).unwrap_or(u32::MAX))
            }
        };
        let kind = match self.store().get_state(KIND).await?.as_deref() {
            Some("remote") => WorkspaceKind::Remote,
            _ => WorkspaceKind::Demo,
        };
        let partners = count("partners").await?;
        Ok(WorkspaceInfo {
            kind,
            partners,
            figures_pending: count("partner_figures").await? < partners,
            customers: count("customers").await?,
            deployments: count("deployments").await?,
            as_of: self.as_of().await?.format("%Y-%m-%d").to_string(),
            home_partner: self.store().get_state(HOME_PARTNER).await?,
            role: workspace::role(&self.store()).await?,
            base_url: match kind {
                WorkspaceKind::Remote => self.store().get_state(workspace::BASE_URL).await?,
                WorkspaceKind::Demo => None,
            },
            app_version: VERSION.to_string(),
            recovered: self.recovered.clone(),
        })
    }

    pub async fn portfolio(&self, query: &PortfolioQuery) -> Result<PortfolioPage> {
        portfolio::list(&self.store(), query).await
    }

    /// The search box: partners and customers matching `text`.
    pub async fn search(&self, text: &str) -> Result<Vec<SearchHit>> {
        portfolio::search(&self.store(), text).await
    }

    /// One page of a partner's ledger, newest first; `after` is the previous page's `next`.
    pub async fn ledger(
        &self,
        partner_id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        ledger::page(
            &self.store(),
            portfolio::partner::parse_id(partner_id)?,
            after,
            limit,
        )
        .await
    }

    /// One page of a partner's customers.
    pub async fn customers(
        &self,
        partner_id: &str,
        filter: CustomerFilter,
        offset: u32,
        limit: Option<u32>,
    ) -> Result<CustomerPage> {
        let id = portfolio::partner::parse_id(partner_id)?;
        customers::page(
            &self.store(),
            id,
            self.as_of().await?,
            filter,
            offset,
            limit,
        )
        .await
    }

    /// A customer with its deployments and migrations.
    pub async fn customer(&self, customer_id: &str) -> Result<CustomerDetail> {
        customers::detail(&self.store(), customer_id, self.as_of().await?).await
    }

    /// A partner's customer migrations, in and out.
    pub async fn migrations(&self, partner_id: &str) -> Result<Vec<MigrationRow>> {
        customers::migrations(&self.store(), portfolio::partner::parse_id(partner_id)?).await
    }

    /// A partner's monthly trends over the last 12 months.
    pub async fn trends(&self, partner_id: &str) -> Result<Vec<TrendPoint>> {
        let id = portfolio::partner::parse_id(partner_id)?;
        customers::trends(&self.store(), id, self.as_of().await?).await
    }

    pub async fn settings(&self) -> Result<Settings> {
        settings::get(&self.store()).await
    }

    pub async fn set_settings(&self, settings: Settings) -> Result<Settings> {
        settings::set(&self.store(), settings).await
    }

    /// A partner's deals, pipeline and the deals expiring soon.
    pub async fn deals(&self, partner_id: &str) -> Result<deals::DealList> {
        let id = portfolio::partner::parse_id(partner_id)?;
        deals::list(&self.store(), id, Utc::now().date_naive()).await
    }

    /// The countries the program serves, for the forms' country pickers.
    pub fn countries(&self) -> Vec<String> {
        places::countries()
    }

    /// The states, provinces or regions of a country, for the forms' pickers.
    pub fn subdivisions(&self, country: &str) -> Result<Vec<places::SubdivisionChoice>> {
        places::subdivisions(country)
    }

    /// What the program's rules say about a deal form, before it is saved.
    pub async fn check_deal(&self, form: &deals::DealForm) -> Result<deals::DealCheck> {
        deals::check(&self.store(), form).await
    }

    /// Registers a deal on this device; the platform decides it at the next sync.
    pub async fn register_deal(&self, form: &deals::DealForm) -> Result<deals::DealView> {
        let deal = deals::register(&self.store(), form).await?;
        self.after_local_write().await?;
        Ok(deal)
    }

    /// Changes a deal on this device; the platform decides at the next sync.
    pub async fn edit_deal(
        &self,
        deal_id: &str,
        edits: Vec<program::deals::DealEdit>,
    ) -> Result<deals::DealView> {
        let deal = deals::edit(&self.store(), deal_id, edits).await?;
        self.after_local_write().await?;
        Ok(deal)
    }

    /// A partner's quotes, and what the quote builder offers (catalog, brands, currencies).
    pub async fn quotes(&self, partner_id: &str) -> Result<quotes::QuoteList> {
        let id = portfolio::partner::parse_id(partner_id)?;
        quotes::list(&self.store(), id, Utc::now().date_naive()).await
    }

    /// Prices a quote as it is built: for the customer and for the partner, or the rule it breaks.
    pub async fn check_quote(&self, form: &quotes::QuoteForm) -> Result<quotes::QuoteCheck> {
        quotes::check(&self.store(), form).await
    }

    /// Saves a draft quote on this device (numbered here), queued for the platform.
    pub async fn save_quote(&self, form: &quotes::QuoteForm) -> Result<quotes::QuoteView> {
        let user = workspace::user_name(&self.store()).await?;
        let quote = quotes::save(&self.store(), form, &user).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    /// A new version of a sent quote, as a draft; the sent one is kept.
    pub async fn revise_quote(&self, quote_id: &str) -> Result<quotes::QuoteView> {
        let user = workspace::user_name(&self.store()).await?;
        let quote = quotes::revise(&self.store(), quote_id, &user).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    pub async fn set_quote_status(
        &self,
        quote_id: &str,
        status: program::quotes::QuoteStatus,
    ) -> Result<quotes::QuoteView> {
        let quote = quotes::set_status(&self.store(), quote_id, status).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    /// Prints a quote as PDF into `dir`, with the partner's own template if the data folder holds
    /// one (`templates/quote.typ`), else the bundled one. Returns the file's path.
    pub async fn quote_pdf(&self, quote_id: &str, dir: &Path) -> Result<String> {
        let template = self.template_path("quote.typ");
        quotes::export_pdf(&self.store(), quote_id, dir, template.as_deref()).await
    }

    /// Writes a quote's lines to `dir` as CSV or XLSX; returns the file's path.
    pub async fn export_quote_lines(
        &self,
        quote_id: &str,
        format: export::ExportFormat,
        lang: export::Lang,
        dir: &Path,
    ) -> Result<String> {
        let view = quotes::get(&self.store(), quote_id).await?;
        let priced = view.priced.ok_or_else(|| DeskError::InvalidInput {
            field: "quote",
            reason: serde_json::to_string(&view.rule).unwrap_or_default(),
        })?;
        let table = export::quote_lines(&priced, lang)?;
        quotes::check_number(&view.number)?;
        let path = dir.join(export::file_name(
            &format!("{}-v{}-lines", view.number, view.revision),
            format.extension(),
        ));
        export::save(table, format, path.clone()).await?;
        Ok(path.display().to_string())
    }

    /// The quarters a review can be built for (newest first) and the one to start on.
    pub async fn review_quarters(&self) -> Result<qbr::ReviewQuarters> {
        let as_of = self.as_of().await?;
        Ok(qbr::ReviewQuarters {
            quarters: qbr::quarters(as_of),
            default: qbr::default_quarter(as_of),
        })
    }

    /// A partner's Quarterly Executive Review of `quarter` ("2026-Q3"), from the cache.
    pub async fn review(&self, partner_id: &str, quarter: &str) -> Result<qbr::Review> {
        let id = portfolio::partner::parse_id(partner_id)?;
        let quarter = qbr::parse_quarter(quarter)?;
        qbr::review(&self.store(), id, quarter, self.as_of().await?).await
    }

    /// Writes a review's deck (PDF, with the data folder's `templates/qbr.typ` if there is one),
    /// the same deck as an editable presentation (PPTX) and the workbook (XLSX) for `audience`
    /// into `dir`.
    pub async fn export_review(
        &self,
        partner_id: &str,
        quarter: &str,
        lang: export::Lang,
        audience: qbr::Audience,
        dir: &Path,
    ) -> Result<qbr::ReviewFiles> {
        let review = self.review(partner_id, quarter).await?;
        let template = self.template_path("qbr.typ");
        let paths = qbr::export(review, deck_lang(lang), audience, template, dir).await?;
        tracing::info!("exported a review");
        Ok(qbr::ReviewFiles {
            deck: paths.deck.display().to_string(),
            slides: paths.slides.display().to_string(),
            workbook: paths.workbook.display().to_string(),
        })
    }

    /// Saves a review's action item on this device and asks sync to send it.
    pub async fn save_action_item(
        &self,
        form: &qbr::ActionItemForm,
    ) -> Result<qbr::ActionItemView> {
        let view = qbr::save_action_item(&self.store(), form, self.as_of().await?).await?;
        self.after_local_write().await?;
        Ok(view)
    }

    /// The partners in the user's scope (every partner the cache holds), by name.
    pub async fn partner_ids(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query!("SELECT id, name FROM partners ORDER BY name, id")
                .fetch_all(self.store().pool())
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
        )
    }

    /// Where a partner's own copy of a template goes: `templates/<name>` in the data folder.
    pub fn template_path(&self, name: &str) -> Option<std::path::PathBuf> {
        self.store()
            .path()
            .parent()
            .map(|dir| dir.join("templates").join(name))
    }

    pub async fn partner_page(&self, id: &str) -> Result<PartnerPage> {
        let id = portfolio::partner::parse_id(id)?;
        portfolio::partner::page(&self.store(), id, self.as_of().await?).await
    }
}

fn deck_lang(lang: export::Lang) -> program::Lang {
    match lang {
        export::Lang::En => program::Lang::En,
        export::Lang::Es => program::Lang::Es,
    }
}
