//! The reference central API server: axum over a SQLite store.
//!
//! [`start`] runs the server inside the caller's tokio runtime (the desktop app starts it
//! in-process for its demo workspace; tests start it on `127.0.0.1:0`) and hands back a
//! [`RunningServer`] with the fault switch, the store's test hooks and token making.
//!
//! Modules: `store` (SQLite: the compacted feed, visibility, the ledger, tokens, users, decided
//! mutations), `auth` (bearer tokens, `/v1/me`), `oauth` (signing in through the browser),
//! `feed` (`/v1/changes`), `mutations` (`/v1/mutations`), `faults` (the fault switch), `problem`
//! (RFC 9457 errors), `openapi` (`/openapi.json`), `edge` (HTTP limits and the connection loop)
//! and `throttle` (requests in flight, rates per token and per address). The routes are listed once, in [`routes`], and the router is built from
//! that list.

mod auth;
mod background;
mod caller;
mod edge;
mod faults;
mod feed;
mod mutations;
mod oauth;
mod openapi;
mod problem;
mod store;
mod throttle;
mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use chrono::NaiveDate;
use program::contract::{PartnerId, ProblemCode, ProgramInfo, ProgramPolicy, Role};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

use crate::demo::{self, DemoConfig};

use auth::Caller;
use problem::ApiError;

pub use edge::{Limits, DEFAULT_MAX_BODY_BYTES};
pub use faults::Faults;
pub use feed::{DEFAULT_LIMIT, MAX_LIMIT};
pub use mutations::{MAX_BATCH, MAX_PURCHASE};
pub use openapi::document as openapi_document;
pub use store::{token_id, Scope, Store, StoreError, TokenInfo, DEFAULT_TOKEN_DAYS, TOKEN_ID_LEN};
pub use throttle::{Hourly, Rate};

/// Where to listen, where the database lives, and what demo data to create if it is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// The SQLite file; created and loaded with demo data if new or empty, reused otherwise.
    pub db: PathBuf,
    pub seed: u64,
    pub deployments: usize,
    /// The demo data's day (ignored when the database already holds data: its own day wins).
    pub as_of: NaiveDate,
    /// The day deal registrations are judged on (expiry); None: the system clock's. Tests pin it
    /// so that data generated for a fixed day stays valid as the calendar moves on.
    pub today: Option<NaiveDate>,
    /// The database's SQLCipher key and page size; None for a plaintext database. The desktop
    /// app's in-process demo keeps its database encrypted, as its cache.
    pub key: Option<KeyPragma>,
    /// What a client may send and how long it may take (see [`Limits`]).
    pub limits: Limits,
}

/// How an encrypted database is opened: its key as SQLCipher's `PRAGMA key` takes it
/// (`"x'<64 hex digits>'"`) and its `cipher_page_size`. Its Debug never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPragma {
    pub key: String,
    pub page_size: u32,
}

impl std::fmt::Debug for KeyPragma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPragma")
            .field("key", &"…")
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl ServerConfig {
    /// The demo workspace (about 40 partners, 20,000 deployments) on a free loopback port.
    pub fn demo(db: impl Into<PathBuf>, as_of: NaiveDate) -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: db.into(),
            seed: DemoConfig::DEFAULT_SEED,
            deployments: 20_000,
            as_of,
            today: None,
            key: None,
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the demo data could not be generated: {0}")]
    Generate(String),
    #[error("the server stopped with an error: {0}")]
    Serve(String),
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Store,
    pub faults: Faults,
    pub policy: Arc<ProgramPolicy>,
    /// See [`ServerConfig::today`].
    pub today: Option<NaiveDate>,
    pub throttle: throttle::Throttle,
    pub limits: Limits,
    /// Tasks that outlive their request (feed pages); shutdown waits for them.
    pub background: background::Background,
}

impl AppState {
    /// The day deal registrations are judged on.
    pub fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }
}

/// Opens (or creates and loads) the database and starts serving on `config.addr`.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let store = Store::open_keyed(&config.db, config.key.as_ref())
        .await?
        .on_day(config.today);
    let created = store.head().await? == 0;
    if created {
        let demo_config = DemoConfig {
            seed: config.seed,
            ..DemoConfig::with_deployments(config.as_of, config.deployments)
        };
        let started = std::time::Instant::now();
        let data = tokio::task::spawn_blocking(move || demo::generate(&demo_config))
            .await
            .map_err(|e| ServerError::Generate(e.to_string()))?;
        store.load(&data, config.seed, config.as_of).await?;
        tracing::info!(
            partners = data.partners.len(),
            deployments = data.deployments.len(),
            ledger = data.ledger.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo data created"
        );
    }
    let as_of = store.as_of().await?.unwrap_or(config.as_of);
    let faults = Faults::default();
    // The reference platform publishes its (fixed) rates afresh each day it starts: a quote made
    // on a laptop is judged against the rate of the day it synced.
    let today = config
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let policy = ProgramPolicy::reference(demo::fx_rates(today));
    store.publish_fx_rates(&policy.fx_rates).await?;
    let state = AppState {
        store: store.clone(),
        faults: faults.clone(),
        policy: Arc::new(policy),
        today: config.today,
        throttle: throttle::Throttle::new(&config.limits),
        limits: config.limits,
        background: background::Background::new(),
    };

    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Listen {
            addr: config.addr,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Listen {
            addr: config.addr,
            source,
        })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let sweeper = Sweeper::start(
        store.clone(),
        state.throttle.clone(),
        state.policy.deal_registration_days,
        config.today,
    );
    let throttle = state.throttle.clone();
    let background = state.background.clone();
    let app = edge::with_limits(router(state), config.limits, throttle);
    // Dropping the sender (the RunningServer) stops the server as well.
    let task = tokio::spawn(edge::serve(listener, app, config.limits, stopped));
    tracing::info!(%addr, "central API listening");
    Ok(RunningServer {
        addr,
        store,
        faults,
        created,
        as_of,
        stop,
        task,
        background,
        _sweeper: sweeper,
    })
}

/// Expires deal registrations that sat too long in one stage, and sent quotes past their
/// validity, and forgets the rate buckets that are full again: once at start, then every minute.
/// Stops with the server.
#[derive(Debug)]
struct Sweeper(Option<JoinHandle<()>>);

impl Sweeper {
    const EVERY: Duration = Duration::from_secs(60);

    fn start(
        store: Store,
        throttle: throttle::Throttle,
        registration_days: u32,
        today: Option<NaiveDate>,
    ) -> Sweeper {
        Sweeper(Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Sweeper::EVERY);
            loop {
                tick.tick().await;
                throttle.sweep();
                let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
                match store.expire_deals(today, registration_days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "deal registrations expired"),
                    Err(err) => tracing::warn!(error = %err, "expiring deal registrations failed"),
                }
                match store.apply_due_migrations(today).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(moved = n, "customer migrations took effect"),
                    Err(err) => tracing::warn!(error = %err, "applying due migrations failed"),
                }
                match store.expire_quotes(today).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "sent quotes expired"),
                    Err(err) => tracing::warn!(error = %err, "expiring sent quotes failed"),
                }
            }
        })))
    }
}

impl Sweeper {
    /// Stops the sweeper and waits until it has (its task dropped, a write it was in rolled back).
    async fn stop(mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// A server started by [`start`]. Dropping it stops the server; [`RunningServer::shutdown`]
/// also waits for it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    store: Store,
    faults: Faults,
    created: bool,
    as_of: NaiveDate,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    background: background::Background,
    _sweeper: Sweeper,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// E.g. `http://127.0.0.1:43123`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The store, for server-side changes and checks.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether this start created the database's data (rather than reusing it).
    pub fn created_dataset(&self) -> bool {
        self.created
    }

    /// The day the data is as of.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Makes an API token for `user` with `role` over `partners` (exactly one for partner
    /// roles). The token is returned once and stored only hashed.
    pub async fn create_token(
        &self,
        user: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<String, ServerError> {
        Ok(self.store.create_token(user, role, partners).await?)
    }

    /// Adds a user who signs in on the login page (see [`Store::create_user`]).
    pub async fn create_user(
        &self,
        login: &str,
        password: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<(), ServerError> {
        Ok(self
            .store
            .create_user(login, password, role, partners)
            .await?)
    }

    /// Stops accepting connections, lets requests in flight and the pages they stream finish
    /// (for up to 5 seconds in all), and closes the database.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let RunningServer {
            store,
            stop,
            mut task,
            background,
            _sweeper,
            ..
        } = self;
        // The sweeper ends before the database closes: none of its writes is cut off midway.
        _sweeper.stop().await;
        let _ = stop.send(());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let result = match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(joined) => joined
                .map_err(|e| ServerError::Serve(e.to_string()))?
                .map_err(|e| ServerError::Serve(e.to_string())),
            Err(_) => {
                // A client holding a page open past the grace period is cut off: the task and
                // its connections are dropped before the database closes.
                task.abort();
                let _ = task.await;
                Ok(())
            }
        };
        if tokio::time::timeout_at(deadline, background.finished())
            .await
            .is_err()
        {
            tracing::warn!("a feed page was still being written when the server stopped");
        }
        store.close().await;
        result
    }
}

/// A route the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
}

type Endpoint = (Route, MethodRouter<AppState>);

fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
    let route = Route {
        method: Method::GET,
        path,
    };
    (route, axum::routing::get(handler))
}

fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
    let route = Route {
        method: Method::POST,
        path,
    };
    (route, axum::routing::post(handler))
}

/// The routes, once: the router and [`routes`] are both made from this list.
fn endpoints() -> Vec<Endpoint> {
    vec![
        get("/v1/me", auth::me),
        get("/v1/program", program),
        get("/v1/changes", feed::changes),
        post("/v1/mutations", mutations::post),
        get("/.well-known/oauth-authorization-server", oauth::metadata),
        get(oauth::AUTHORIZE_PATH, oauth::authorize_page),
        post(oauth::AUTHORIZE_PATH, oauth::authorize_submit),
        post(oauth::TOKEN_PATH, oauth::token),
        get("/openapi.json", openapi::serve),
    ]
}

/// Every route of the router, as (method, path).
pub fn routes() -> Vec<Route> {
    endpoints().into_iter().map(|(route, _)| route).collect()
}

fn router(state: AppState) -> Router {
    let faults = state.faults.clone();
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (route, handler)| {
            router.route(route.path, handler)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            faults,
            faults::middleware,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /v1/program`: the policy the server enforces, and the catalog.
async fn program(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ProgramInfo>, ApiError> {
    Ok(Json(ProgramInfo {
        policy: (*state.policy).clone(),
        catalog: state.store.catalog().await?,
    }))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ProblemCode::BadRequest,
        "this route does not answer that method",
    )
}
