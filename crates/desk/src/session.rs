//! A session with a central API: signing in (with a token, or through the browser), resuming
//! the last account, signing out, and the sync engine that runs meanwhile.

use std::sync::Arc;

use program::contract::Role;
use url::Url;

use crate::api::{self, ApiClient, Token};
use crate::credentials::Credentials;
use crate::error::{DeskError, Result};
use crate::sync::{SyncEngine, SyncOptions};
use crate::views::{SyncStatus, WorkspaceKind};
use crate::workspace::{ACCOUNT, BASE_URL, HOME_PARTNER, KIND};
use crate::{secrets, signin, workspace, Desk};

/// The browser sign-in under way, if any: the sign-in (until `finish` takes it) and the switch
/// that cancels it.
#[derive(Debug, Default)]
pub(crate) struct BrowserSlot {
    /// The central API's base URL and the sign-in, until `finish` takes them.
    pending: Option<(Url, signin::Pending, tokio::sync::oneshot::Receiver<()>)>,
    /// Sending (or dropping) it cancels the sign-in.
    cancel: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The connection to a central API while one is open: its engine and background task.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) engine: Arc<SyncEngine>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Desk {
    /// Connects to the central API at `base` and syncs in the background from now on. The cache
    /// of another account is deleted first (its files, its key and that account's token), so two
    /// accounts never mix in one cache.
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
        let before = self.store().get_state(ACCOUNT).await?;
        // An empty cache of no account (a first start, a cache just recovered) is kept as it is.
        if before.as_deref() != Some(account)
            && (before.is_some() || !self.store().is_empty().await?)
        {
            let was_remote = self.store().get_state(KIND).await?.as_deref()
                == Some(workspace::kind_key(WorkspaceKind::Remote));
            self.renew_cache().await?;
            // The account left behind keeps no token either.
            if let (Some(before), true) = (before, was_remote) {
                secrets::delete_credentials(&before).await?;
            }
        }
        self.store().set_state(ACCOUNT, account).await?;
        self.store()
            .set_state(KIND, workspace::kind_key(kind))
            .await?;
        self.store().set_state(BASE_URL, base.as_str()).await?;
        let api = match credentials.refresh {
            Some(_) => {
                let access = credentials.access.clone();
                let renewer = signin::Renewer::new(account, credentials);
                ApiClient::signed_in(base, access, Arc::new(renewer))?
            }
            None => ApiClient::new(base, credentials.access)?,
        };
        let engine = SyncEngine::new(self.store(), api, options).await?;
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
        crate::workspace::set_role(&self.store(), me.role).await?;
        // A partner's own user lands on the partner's page, not a portfolio of one.
        match (me.role, me.partners.as_slice()) {
            (Role::PartnerAdmin | Role::PartnerSales, [own]) => {
                self.store()
                    .set_state(HOME_PARTNER, &own.to_string())
                    .await?
            }
            _ => self.store().delete_state(HOME_PARTNER).await?,
        }
        tracing::info!(role = ?me.role, partners = me.partners.len(), "signed in");
        Ok(())
    }

    /// Reconnects to the account signed in last time, with its token from the keychain.
    /// Returns false when there is none (or its token is gone).
    pub async fn resume(&self, options: SyncOptions) -> Result<bool> {
        if self.store().get_state(KIND).await?.as_deref() != Some("remote") {
            return Ok(false);
        }
        let (Some(account), Some(base)) = (
            self.store().get_state(ACCOUNT).await?,
            self.store().get_state(BASE_URL).await?,
        ) else {
            return Ok(false);
        };
        let Some(credentials) = secrets::load_credentials(&account).await? else {
            return Ok(false);
        };
        // Checked as at sign-in (HTTPS, or plain HTTP to loopback only) before the token goes
        // there: the cache is not trusted with where the token is sent.
        let base = api::parse_base_url(&base).map_err(|reason| {
            DeskError::Corrupt(format!(
                "the stored central API address is refused: {reason}"
            ))
        })?;
        self.connect(base, credentials, WorkspaceKind::Remote, &account, options)
            .await?;
        Ok(true)
    }

    /// Stops syncing, deletes the cache (its files and its key), then forgets the token: wiping
    /// first, so a keychain error never leaves the data behind.
    pub async fn sign_out(&self) -> Result<()> {
        let mut session = self.session.lock().await;
        *session = None;
        let demo = self.store().get_state(KIND).await?.as_deref()
            == Some(workspace::kind_key(WorkspaceKind::Demo));
        let account = self.store().get_state(ACCOUNT).await?;
        self.renew_cache().await?;
        if let (Some(account), false) = (account, demo) {
            secrets::delete_credentials(&account).await?;
        }
        tracing::info!("signed out");
        Ok(())
    }

    /// Replaces the cache with a new, empty one: [`Store::renew`].
    async fn renew_cache(&self) -> Result<()> {
        let fresh = self.store().renew().await?;
        *self
            .store
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        tracing::info!("deleted the cache and started an empty one");
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

    /// After a change is queued: the pending count moves, and sync is asked to push it.
    pub(crate) async fn after_local_write(&self) -> Result<()> {
        if let Some(s) = self.session.lock().await.as_ref() {
            s.engine.refresh_counts().await?;
            s.engine.request();
        }
        Ok(())
    }
}

/// The central API's address as a user typed it, checked.
fn sign_in_url(base_url: &str) -> Result<Url> {
    api::parse_base_url(base_url).map_err(|reason| DeskError::InvalidInput {
        field: "base_url",
        reason,
    })
}
