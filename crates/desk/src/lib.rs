//! Partner Desk's backend, without Tauri.
//!
//! Owns the local SQLite cache (`store`), sync with the central API (`api`, `sync`, `outbox`),
//! signing in through the browser (`signin`), the sign-in tokens in the OS keychain (`secrets`), the services each screen calls
//! (`portfolio`, `partners`), logging, and the IPC types (`views`, `error`). It knows nothing of
//! windows: the Tauri shell maps its commands onto `Desk`'s methods.

pub mod api;
pub mod credentials;
pub mod customers;
pub mod deals;
pub mod error;
pub mod export;
pub mod figures;
pub mod ledger;
pub mod logging;
pub mod metrics;
pub mod outbox;
pub mod partners;
pub mod pdf;
pub mod portfolio;
pub mod qbr;
pub mod quotes;
pub mod secrets;
pub mod settings;
pub mod signin;
pub mod store;
pub mod sync;
pub mod views;
pub mod workspace;

use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use program::contract::{Dataset, MutationKind, Role};
use program::Credits;
use rust_decimal::Decimal;
use tokio::sync::Mutex;
use url::Url;

use crate::api::{ApiClient, Token};
use crate::credentials::Credentials;
use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::sync::{SyncEngine, SyncOptions};
use crate::views::{
    CustomerDetail, CustomerFilter, CustomerPage, ExportKind, LedgerPage, MigrationRow,
    PartnerPage, PortfolioPage, PortfolioQuery, PurchaseQuote, RejectedChange, SearchHit, Settings,
    SyncStatus, TrendPoint, WorkspaceInfo, WorkspaceKind,
};

/// Partner Desk's version: every crate of the workspace carries the app's (see CHANGELOG.md).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The backend as the UI sees it: one per open cache.
#[derive(Debug, Clone)]
pub struct Desk {
    store: Store,
    session: Arc<Mutex<Option<Session>>>,
    browser: Arc<std::sync::Mutex<BrowserSlot>>,
}

/// The browser sign-in under way, if any: the sign-in (until `finish` takes it) and the switch
/// that cancels it.
#[derive(Debug, Default)]
struct BrowserSlot {
    /// The central API's base URL and the sign-in, until `finish` takes them.
    pending: Option<(Url, signin::Pending, tokio::sync::oneshot::Receiver<()>)>,
    /// Sending (or dropping) it cancels the sign-in.
    cancel: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The connection to a central API while one is open: its engine and background task.
#[derive(Debug)]
struct Session {
    engine: Arc<SyncEngine>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The central API's address as a user typed it, checked.
fn sign_in_url(base_url: &str) -> Result<Url> {
    api::parse_base_url(base_url).map_err(|reason| DeskError::InvalidInput {
        field: "base_url",
        reason,
    })
}

use crate::workspace::{
    kind_key, ACCOUNT as STATE_ACCOUNT, AS_OF as STATE_AS_OF, BASE_URL as STATE_BASE_URL,
    HOME_PARTNER as STATE_HOME_PARTNER, KIND as STATE_KIND,
};

/// Largest purchase a single request may make; more is a typo, not an order.
pub const MAX_PURCHASE_CREDITS: i64 = 1_000_000;

impl Desk {
    /// Opens the workspace cache in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Desk> {
        let store = Store::open(&data_dir.join(store::CACHE_FILE)).await?;
        Ok(Desk {
            store,
            session: Arc::new(Mutex::new(None)),
            browser: Arc::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether a workspace has been loaded into the cache.
    pub async fn has_workspace(&self) -> Result<bool> {
        Ok(!self.store.is_empty().await?)
    }

    /// Loads a whole workspace snapshot as of `as_of`, in one transaction.
    pub async fn load_workspace(
        &self,
        data: &Dataset,
        kind: WorkspaceKind,
        as_of: NaiveDate,
    ) -> Result<()> {
        self.store
            .load_dataset(
                data,
                &[
                    (STATE_KIND, kind_key(kind).to_string()),
                    (STATE_AS_OF, as_of.format("%Y-%m-%d").to_string()),
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

    /// Connects to the central API at `base` and syncs in the background from now on. Data of
    /// another account is wiped first, so two accounts never mix in one cache.
    pub async fn connect(
        &self,
        base: Url,
        credentials: Credentials,
        kind: WorkspaceKind,
        account: &str,
        options: SyncOptions,
    ) -> Result<Arc<SyncEngine>> {
        let mut session = self.session.lock().await;
        *session = None;
        if self.store.get_state(STATE_ACCOUNT).await?.as_deref() != Some(account) {
            wipe_all(&self.store).await?;
            self.store.set_state(STATE_ACCOUNT, account).await?;
        }
        self.store.set_state(STATE_KIND, kind_key(kind)).await?;
        self.store.set_state(STATE_BASE_URL, base.as_str()).await?;
        let api = match credentials.refresh {
            Some(_) => {
                let access = credentials.access.clone();
                let renewer = signin::Renewer::new(account, credentials);
                ApiClient::signed_in(base, access, Arc::new(renewer))?
            }
            None => ApiClient::new(base, credentials.access)?,
        };
        let engine = SyncEngine::new(self.store.clone(), api, options).await?;
        let task = engine.spawn();
        *session = Some(Session {
            engine: Arc::clone(&engine),
            task,
        });
        Ok(engine)
    }

    /// Signs in to a central API with a token an administrator handed out (the advanced way):
    /// checks the URL and the token (`GET /v1/me`), keeps the token in the OS keychain, and starts
    /// syncing.
    pub async fn sign_in(&self, base_url: &str, token: &str, options: SyncOptions) -> Result<()> {
        let base = sign_in_url(base_url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(DeskError::InvalidInput {
                field: "token",
                reason: "is required".into(),
            });
        }
        self.start_session(base, Credentials::token(Token::new(token)), options)
            .await
    }

    /// Starts signing in through the browser at the central API `base_url`: finds its login
    /// page and starts listening for the browser's return. The shell opens the returned URL;
    /// [`Desk::finish_browser_sign_in`] waits for the outcome. A sign-in already under way is
    /// cancelled.
    pub async fn begin_browser_sign_in(
        &self,
        base_url: &str,
        locale: &str,
        page: signin::CallbackPage,
    ) -> Result<signin::BrowserSignIn> {
        self.cancel_browser_sign_in();
        let base = sign_in_url(base_url)?;
        let pending = signin::begin(&base, locale, page).await?;
        let authorize_url = pending.authorize_url().to_string();
        let (cancel, cancelled) = tokio::sync::oneshot::channel();
        *self.browser_slot() = BrowserSlot {
            pending: Some((base, pending, cancelled)),
            cancel: Some(cancel),
        };
        tracing::info!("browser sign-in started");
        Ok(signin::BrowserSignIn {
            authorize_url,
            browser_opened: false,
        })
    }

    /// Waits (at most `wait`) for the browser sign-in [`Desk::begin_browser_sign_in`] started to
    /// come back, trades its code for tokens, keeps them in the keychain and starts syncing.
    pub async fn finish_browser_sign_in(
        &self,
        wait: std::time::Duration,
        options: SyncOptions,
    ) -> Result<()> {
        let (base, pending, cancelled) = self
            .browser_slot()
            .pending
            .take()
            .ok_or(signin::SignInError::NotStarted)?;
        let credentials = signin::finish(pending, cancelled, wait).await;
        self.browser_slot().cancel = None;
        self.start_session(base, credentials?, options).await
    }

    /// Cancels the browser sign-in under way, if any: its listener stops, and a waiting
    /// [`Desk::finish_browser_sign_in`] ends with [`signin::SignInError::Cancelled`].
    pub fn cancel_browser_sign_in(&self) {
        let mut slot = self.browser_slot();
        if let Some(cancel) = slot.cancel.take() {
            let _ = cancel.send(());
        }
        slot.pending = None;
    }

    /// The login page of the browser sign-in under way (for opening it again).
    pub fn browser_sign_in_url(&self) -> Option<String> {
        self.browser_slot()
            .pending
            .as_ref()
            .map(|(_, pending, _)| pending.authorize_url().to_string())
    }

    fn browser_slot(&self) -> std::sync::MutexGuard<'_, BrowserSlot> {
        self.browser
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks the credentials (`GET /v1/me`), keeps them in the keychain under the account
    /// (base URL and user), and syncs that account from now on.
    async fn start_session(
        &self,
        base: Url,
        credentials: Credentials,
        options: SyncOptions,
    ) -> Result<()> {
        let me = ApiClient::new(base.clone(), credentials.access.clone())?
            .me()
            .await?;
        let account = format!("{}#{}", base.as_str(), me.user);
        secrets::store_credentials(&account, &credentials).await?;
        self.connect(base, credentials, WorkspaceKind::Remote, &account, options)
            .await?;
        // A partner's own user lands on the partner's page, not a portfolio of one.
        match (me.role, me.partners.as_slice()) {
            (Role::PartnerAdmin | Role::PartnerSales, [own]) => {
                self.store
                    .set_state(STATE_HOME_PARTNER, &own.to_string())
                    .await?
            }
            _ => self.store.delete_state(STATE_HOME_PARTNER).await?,
        }
        tracing::info!(role = ?me.role, partners = me.partners.len(), "signed in");
        Ok(())
    }

    /// Reconnects to the account signed in last time, with its token from the keychain.
    /// Returns false when there is none (or its token is gone).
    pub async fn resume(&self, options: SyncOptions) -> Result<bool> {
        if self.store.get_state(STATE_KIND).await?.as_deref() != Some("remote") {
            return Ok(false);
        }
        let (Some(account), Some(base)) = (
            self.store.get_state(STATE_ACCOUNT).await?,
            self.store.get_state(STATE_BASE_URL).await?,
        ) else {
            return Ok(false);
        };
        let Some(credentials) = secrets::load_credentials(&account).await? else {
            return Ok(false);
        };
        let base = Url::parse(&base).map_err(|e| DeskError::Corrupt(format!("base URL: {e}")))?;
        self.connect(base, credentials, WorkspaceKind::Remote, &account, options)
            .await?;
        Ok(true)
    }

    /// Stops syncing, forgets the token and wipes the cache.
    pub async fn sign_out(&self) -> Result<()> {
        let mut session = self.session.lock().await;
        *session = None;
        if let Some(account) = self.store.get_state(STATE_ACCOUNT).await? {
            if account != "demo" {
                secrets::delete_credentials(&account).await?;
            }
        }
        wipe_all(&self.store).await?;
        tracing::info!("signed out");
        Ok(())
    }

    /// The current sync status, if connected.
    pub async fn sync_status(&self) -> Option<SyncStatus> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| s.engine.current_status())
    }

    /// The sync engine, if connected (the shell forwards its status to the window).
    pub async fn engine(&self) -> Option<Arc<SyncEngine>> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| Arc::clone(&s.engine))
    }

    /// Asks for a sync round now.
    pub async fn request_sync(&self) {
        if let Some(s) = self.session.lock().await.as_ref() {
            s.engine.request();
        }
    }

    /// Queues a purchase of `credits` (a decimal string) for `partner_id`; the central API
    /// prices and records it when the outbox is pushed.
    pub async fn purchase_credits(&self, partner_id: &str, credits: &str) -> Result<String> {
        let id = partners::parse_id(partner_id)?;
        let amount: Decimal = credits
            .trim()
            .parse()
            .map_err(|_| DeskError::InvalidInput {
                field: "credits",
                reason: format!("{credits:?} is not a number"),
            })?;
        let credits = Credits::new(amount).map_err(|_| DeskError::InvalidInput {
            field: "credits",
            reason: "credits are counted to the hundredth".into(),
        })?;
        if credits <= Credits::ZERO || credits > Credits::whole(MAX_PURCHASE_CREDITS) {
            return Err(DeskError::InvalidInput {
                field: "credits",
                reason: format!("must be more than 0 and at most {MAX_PURCHASE_CREDITS}"),
            });
        }
        // The partner must be in the cache (and so in the user's scope).
        portfolio::row(&self.store, id).await?;
        let kind = MutationKind::PurchaseCredits {
            partner_id: id,
            credits,
        };
        let mutation =
            outbox::enqueue(&self.store, "credit_purchase", &id.to_string(), &kind, None).await?;
        self.after_local_write().await?;
        Ok(mutation.to_string())
    }

    /// Prices a purchase at the partner's own rate: `credits` → fiat, or `fiat` → the most
    /// credits it buys. Exactly one of the two is given.
    pub async fn price_purchase(
        &self,
        partner_id: &str,
        credits: Option<&str>,
        fiat: Option<&str>,
    ) -> Result<PurchaseQuote> {
        let id = partners::parse_id(partner_id)?;
        let row = portfolio::row(&self.store, id).await?;
        let rate_value: Decimal = row
            .discount_rate
            .parse()
            .map_err(|_| DeskError::Corrupt(format!("rate {:?}", row.discount_rate)))?;
        let rate = program::DiscountRate::new(row.tier, rate_value)
            .map_err(|e| DeskError::Corrupt(e.to_string()))?;
        let fx = self.fx_rate(row.currency).await?;
        let amount = |field: &'static str, text: &str| -> Result<Decimal> {
            text.trim()
                .parse::<Decimal>()
                .map_err(|_| DeskError::InvalidInput {
                    field,
                    reason: format!("{text:?} is not a number"),
                })
        };
        let bad = |field: &'static str| {
            move |e: program::credits::PurchaseError| DeskError::InvalidInput {
                field,
                reason: e.to_string(),
            }
        };
        let (credits, money) = match (credits, fiat) {
            (Some(c), None) => {
                let credits =
                    Credits::new(amount("credits", c)?).map_err(|_| DeskError::InvalidInput {
                        field: "credits",
                        reason: "credits are counted to the hundredth".into(),
                    })?;
                let money =
                    program::fiat_for_credits(credits, rate, &fx).map_err(bad("credits"))?;
                (credits, money)
            }
            (None, Some(f)) => {
                let money = program::Money::new(amount("fiat", f)?, row.currency).map_err(|e| {
                    DeskError::InvalidInput {
                        field: "fiat",
                        reason: e.to_string(),
                    }
                })?;
                let credits = program::credits_for_fiat(money, rate, &fx).map_err(bad("fiat"))?;
                (
                    credits,
                    program::fiat_for_credits(credits, rate, &fx).map_err(bad("fiat"))?,
                )
            }
            _ => {
                return Err(DeskError::InvalidInput {
                    field: "credits",
                    reason: "give either credits or a fiat amount".into(),
                })
            }
        };
        Ok(PurchaseQuote {
            credits: format!("{:.2}", credits.amount()),
            fiat: money.amount.to_string(),
            currency: row.currency,
            rate: row.discount_rate,
            band: row.tier.band(),
            fx_per_usd: fx.per_usd.to_string(),
            fx_as_of: fx.as_of.format("%Y-%m-%d").to_string(),
        })
    }

    /// The FX rate for `currency` from the program policy the central API last sent.
    async fn fx_rate(&self, currency: program::Currency) -> Result<program::FxRate> {
        workspace::fx_rate(&self.store, currency)
            .await?
            .ok_or_else(|| DeskError::NotFound {
                what: format!("an exchange rate for {currency} (sync once to get them)"),
            })
    }

    pub async fn rejected_changes(&self) -> Result<Vec<RejectedChange>> {
        outbox::rejected(&self.store).await
    }

    pub async fn dismiss_rejected(&self, id: &str) -> Result<()> {
        outbox::dismiss(&self.store, id).await?;
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
        let as_of = self.as_of().await?;
        let partner = match (kind, partner_id) {
            (ExportKind::Portfolio, _) => None,
            (_, Some(id)) => Some(partners::parse_id(id)?),
            (_, None) => {
                return Err(DeskError::InvalidInput {
                    field: "partner_id",
                    reason: "is required for this table".into(),
                })
            }
        };
        let (table, subject) = match (kind, partner) {
            (ExportKind::Portfolio, _) => (
                export::portfolio(&portfolio::list_all(&self.store, query).await?, lang)?,
                "portfolio".to_string(),
            ),
            (kind, Some(id)) => {
                let name = portfolio::row(&self.store, id).await?.name;
                let table = match kind {
                    ExportKind::Ledger => export::ledger(&self.store, id, lang).await?,
                    ExportKind::Customers => {
                        export::customers(&self.store, id, as_of, lang).await?
                    }
                    ExportKind::Deals => {
                        export::deals(&self.store, id, Utc::now().date_naive(), lang).await?
                    }
                    ExportKind::Pipeline => {
                        export::pipeline(&self.store, id, Utc::now().date_naive(), lang).await?
                    }
                    _ => export::deployments(&self.store, id, lang).await?,
                };
                let what = match kind {
                    ExportKind::Ledger => "ledger",
                    ExportKind::Customers => "customers",
                    ExportKind::Deals => "deals",
                    ExportKind::Pipeline => "pipeline",
                    _ => "deployments",
                };
                (table, format!("{what}-{name}"))
            }
            (_, None) => unreachable!("checked above"),
        };
        let slug: String = subject
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let path = dir.join(format!(
            "{slug}-{}.{}",
            as_of.format("%Y-%m-%d"),
            format.extension()
        ));
        export::save(table, format, path.clone()).await?;
        tracing::info!(kind = ?kind, "exported a table");
        Ok(path.display().to_string())
    }

    /// The date the figures are computed for: the data's as-of date, else today (UTC).
    pub async fn as_of(&self) -> Result<NaiveDate> {
        workspace::as_of(&self.store).await
    }

    pub async fn workspace_info(&self) -> Result<WorkspaceInfo> {
        let count = |table: &'static str| {
            let pool = self.store.pool().clone();
            async move {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await?;
                Ok::<u32, error::DeskError>(u32::try_from(n).unwrap_or(u32::MAX))
            }
        };
        let kind = match self.store.get_state(STATE_KIND).await?.as_deref() {
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
            home_partner: self.store.get_state(STATE_HOME_PARTNER).await?,
            app_version: VERSION.to_string(),
        })
    }

    pub async fn portfolio(&self, query: &PortfolioQuery) -> Result<PortfolioPage> {
        portfolio::list(&self.store, query).await
    }

    /// The search box: partners and customers matching `text`.
    pub async fn search(&self, text: &str) -> Result<Vec<SearchHit>> {
        portfolio::search(&self.store, text).await
    }

    /// One page of a partner's ledger, newest first; `after` is the previous page's `next`.
    pub async fn ledger(
        &self,
        partner_id: &str,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        ledger::page(&self.store, partners::parse_id(partner_id)?, after, limit).await
    }

    /// One page of a partner's customers.
    pub async fn customers(
        &self,
        partner_id: &str,
        filter: CustomerFilter,
        offset: u32,
        limit: Option<u32>,
    ) -> Result<CustomerPage> {
        let id = partners::parse_id(partner_id)?;
        customers::page(&self.store, id, self.as_of().await?, filter, offset, limit).await
    }

    /// A customer with its deployments and migrations.
    pub async fn customer(&self, customer_id: &str) -> Result<CustomerDetail> {
        customers::detail(&self.store, customer_id, self.as_of().await?).await
    }

    /// A partner's customer migrations, in and out.
    pub async fn migrations(&self, partner_id: &str) -> Result<Vec<MigrationRow>> {
        customers::migrations(&self.store, partners::parse_id(partner_id)?).await
    }

    /// A partner's monthly trends over the last 12 months.
    pub async fn trends(&self, partner_id: &str) -> Result<Vec<TrendPoint>> {
        let id = partners::parse_id(partner_id)?;
        customers::trends(&self.store, id, self.as_of().await?).await
    }

    pub async fn settings(&self) -> Result<Settings> {
        settings::get(&self.store).await
    }

    pub async fn set_settings(&self, settings: Settings) -> Result<Settings> {
        settings::set(&self.store, settings).await
    }

    /// A partner's deals, pipeline and the deals expiring soon.
    pub async fn deals(&self, partner_id: &str) -> Result<deals::DealList> {
        let id = partners::parse_id(partner_id)?;
        deals::list(&self.store, id, Utc::now().date_naive()).await
    }

    /// What the program's rules say about a deal form, before it is saved.
    pub async fn check_deal(&self, form: &deals::DealForm) -> Result<deals::DealCheck> {
        deals::check(&self.store, form).await
    }

    /// Registers a deal on this device; the platform decides it at the next sync.
    pub async fn register_deal(&self, form: &deals::DealForm) -> Result<deals::DealView> {
        let deal = deals::register(&self.store, form).await?;
        self.after_local_write().await?;
        Ok(deal)
    }

    /// Changes a deal on this device; the platform decides at the next sync.
    pub async fn edit_deal(
        &self,
        deal_id: &str,
        edits: Vec<program::deals::DealEdit>,
    ) -> Result<deals::DealView> {
        let deal = deals::edit(&self.store, deal_id, edits).await?;
        self.after_local_write().await?;
        Ok(deal)
    }

    /// A partner's quotes, and what the quote builder offers (catalog, brands, currencies).
    pub async fn quotes(&self, partner_id: &str) -> Result<quotes::QuoteList> {
        let id = partners::parse_id(partner_id)?;
        quotes::list(&self.store, id, Utc::now().date_naive()).await
    }

    /// Prices a quote as it is built: for the customer and for the partner, or the rule it breaks.
    pub async fn check_quote(&self, form: &quotes::QuoteForm) -> Result<quotes::QuoteCheck> {
        quotes::check(&self.store, form).await
    }

    /// Saves a draft quote on this device (numbered here), queued for the platform.
    pub async fn save_quote(&self, form: &quotes::QuoteForm) -> Result<quotes::QuoteView> {
        let user = workspace::user_name(&self.store).await?;
        let quote = quotes::save(&self.store, form, &user).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    /// A new version of a sent quote, as a draft; the sent one is kept.
    pub async fn revise_quote(&self, quote_id: &str) -> Result<quotes::QuoteView> {
        let user = workspace::user_name(&self.store).await?;
        let quote = quotes::revise(&self.store, quote_id, &user).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    pub async fn set_quote_status(
        &self,
        quote_id: &str,
        status: program::quotes::QuoteStatus,
    ) -> Result<quotes::QuoteView> {
        let quote = quotes::set_status(&self.store, quote_id, status).await?;
        self.after_local_write().await?;
        Ok(quote)
    }

    /// Prints a quote as PDF into `dir`, with the partner's own template if the data folder holds
    /// one (`templates/quote.typ`), else the bundled one. Returns the file's path.
    pub async fn quote_pdf(&self, quote_id: &str, dir: &Path) -> Result<String> {
        let template = self.template_path("quote.typ");
        quotes::export_pdf(&self.store, quote_id, dir, template.as_deref()).await
    }

    /// Writes a quote's lines to `dir` as CSV or XLSX; returns the file's path.
    pub async fn export_quote_lines(
        &self,
        quote_id: &str,
        format: export::ExportFormat,
        lang: export::Lang,
        dir: &Path,
    ) -> Result<String> {
        let view = quotes::get(&self.store, quote_id).await?;
        let priced = view.priced.ok_or_else(|| DeskError::InvalidInput {
            field: "quote",
            reason: serde_json::to_string(&view.rule).unwrap_or_default(),
        })?;
        let table = export::quote_lines(&priced, lang)?;
        let path = dir.join(format!(
            "{}-v{}-lines.{}",
            view.number,
            view.revision,
            format.extension()
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
        let id = partners::parse_id(partner_id)?;
        let quarter = qbr::parse_quarter(quarter)?;
        qbr::review(&self.store, id, quarter, self.as_of().await?).await
    }

    /// Writes a review's deck (PDF, with the data folder's `templates/qbr.typ` if there is one)
    /// and workbook (XLSX) into `dir`.
    pub async fn export_review(
        &self,
        partner_id: &str,
        quarter: &str,
        lang: export::Lang,
        dir: &Path,
    ) -> Result<qbr::ReviewFiles> {
        let review = self.review(partner_id, quarter).await?;
        let (deck, workbook) =
            qbr::export(review, deck_lang(lang), self.template_path("qbr.typ"), dir).await?;
        tracing::info!("exported a review");
        Ok(qbr::ReviewFiles {
            deck: deck.display().to_string(),
            workbook: workbook.display().to_string(),
        })
    }

    /// Saves a review's action item on this device and asks sync to send it.
    pub async fn save_action_item(
        &self,
        form: &qbr::ActionItemForm,
    ) -> Result<qbr::ActionItemView> {
        let view = qbr::save_action_item(&self.store, form, self.as_of().await?).await?;
        self.after_local_write().await?;
        Ok(view)
    }

    /// The partners in the user's scope (every partner the cache holds), by name.
    pub async fn partner_ids(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT id, name FROM partners ORDER BY name, id")
                .fetch_all(self.store.pool())
                .await?,
        )
    }

    /// Where a partner's own copy of a template goes: `templates/<name>` in the data folder.
    pub fn template_path(&self, name: &str) -> Option<std::path::PathBuf> {
        self.store
            .path()
            .parent()
            .map(|dir| dir.join("templates").join(name))
    }

    /// After a change is queued: the pending count moves, and sync is asked to push it.
    async fn after_local_write(&self) -> Result<()> {
        if let Some(s) = self.session.lock().await.as_ref() {
            s.engine.refresh_counts().await?;
            s.engine.request();
        }
        Ok(())
    }

    pub async fn partner_page(&self, id: &str) -> Result<PartnerPage> {
        let id = partners::parse_id(id)?;
        partners::page(&self.store, id, self.as_of().await?).await
    }
}

fn deck_lang(lang: export::Lang) -> program::quotes::QuoteLang {
    match lang {
        export::Lang::En => program::quotes::QuoteLang::En,
        export::Lang::Es => program::quotes::QuoteLang::Es,
    }
}

/// Empties the cache: the mirror, local work, the outbox and the sync state.
async fn wipe_all(store: &Store) -> Result<()> {
    sync::wipe_mirror(store).await?;
    let mut tx = store.pool().begin().await?;
    for table in ["outbox", "sync_state"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
