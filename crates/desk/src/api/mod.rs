//! The central API as the desktop client sees it: one HTTP client, the routes it calls, and what
//! each failure means for sync (retry now, retry after, give up, rebuild).
//!
//! The token lives in memory here and in the OS keyring (see `secrets`); it is sent as a bearer
//! header and never logged, never written to the cache, never handed to the UI. A token from a
//! browser sign-in expires: the client renews it with its refresh token (see `signin`) when the
//! central API refuses it, and sends the request again.

use std::fmt;
use std::time::Duration;

use program::contract::{
    CatalogItem, Customer, Deployment, Entity, LedgerEntry, Me, MutationBatch, MutationResults,
    NpsResponse, Op, PageHeader, PageTrailer, Partner, Problem, ProblemCode, Territory,
};
use program::migration::CustomerMigration;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

pub use crate::credentials::Token;
pub use page::parse_page;

mod page;

/// What went wrong talking to the central API, sorted by what sync should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No connection, or it broke or timed out: the network is down or the server is away.
    #[error("the central API cannot be reached: {0}")]
    Offline(String),
    /// The server asks us to slow down, is briefly unavailable, or ran out of time for the request
    /// (408, a loaded server); retry after the delay it gave, or with back-off.
    #[error("the central API asked to retry later ({status})")]
    Busy {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// A 5xx other than 503: retry with back-off.
    #[error("the central API failed ({status}): {detail}")]
    Server { status: u16, detail: String },
    /// The token was refused: sign in again.
    #[error("the central API refused the sign-in token")]
    Unauthorized,
    /// The cursor is older than the server keeps: rebuild the mirror.
    #[error("the local copy is too old to catch up; it will be rebuilt")]
    CursorTooOld,
    /// The page ended without its trailer, or a line could not be read: discard it, retry.
    #[error("the central API sent an incomplete or unreadable page: {0}")]
    BadPage(String),
    /// Any other refusal (4xx): a bug or a rule, not something a retry fixes.
    #[error("the central API refused the request ({status}): {detail}")]
    Refused { status: u16, detail: String },
}

impl ApiError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Offline(_)
                | ApiError::Busy { .. }
                | ApiError::Server { .. }
                | ApiError::BadPage(_)
        )
    }

    /// The delay the server asked for, if it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Busy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn transport(e: reqwest::Error) -> ApiError {
    // A body cut mid-stream is a network fault too: the page is discarded and fetched again.
    ApiError::Offline(e.to_string())
}

/// One page of the change feed, complete with its trailer.
#[derive(Debug)]
pub struct Page {
    pub header: PageHeader,
    pub changes: Vec<PageChange>,
    pub trailer: PageTrailer,
    /// Bytes received for the page (after decompression).
    pub bytes: usize,
    /// Changes of entity kinds this version does not know (a newer platform's), skipped: their
    /// kinds, once each.
    pub skipped: Vec<String>,
}

/// One change of a page (a `program::contract::Change`), its `data` already decoded into the
/// entity's type: each line is parsed once, straight into the row it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct PageChange {
    pub seq: u64,
    pub entity: Entity,
    pub op: Op,
    pub id: String,
    pub version: u64,
    /// The row's new value for an upsert; None for a delete.
    pub row: Option<Row>,
}

/// A row of one of the mirrored entities.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Partner(Partner),
    Territory(Territory),
    Customer(Customer),
    Deployment(Deployment),
    LedgerEntry(LedgerEntry),
    NpsResponse(NpsResponse),
    CatalogItem(CatalogItem),
    CustomerMigration(CustomerMigration),
    Deal(program::deals::Deal),
    TerritoryClaim(program::deals::TerritoryClaim),
    Quote(program::quotes::Quote),
    ActionItem(program::qbr::ActionItem),
}

impl Row {
    /// Decodes an entity's wire JSON.
    pub fn decode(entity: Entity, json: &str) -> Result<Row, serde_json::Error> {
        use serde_json::from_str;
        Ok(match entity {
            Entity::Partner => Row::Partner(from_str(json)?),
            Entity::Territory => Row::Territory(from_str(json)?),
            Entity::Customer => Row::Customer(from_str(json)?),
            Entity::Deployment => Row::Deployment(from_str(json)?),
            Entity::LedgerEntry => Row::LedgerEntry(from_str(json)?),
            Entity::NpsResponse => Row::NpsResponse(from_str(json)?),
            Entity::CatalogItem => Row::CatalogItem(from_str(json)?),
            Entity::CustomerMigration => Row::CustomerMigration(from_str(json)?),
            Entity::Deal => Row::Deal(from_str(json)?),
            Entity::TerritoryClaim => Row::TerritoryClaim(from_str(json)?),
            Entity::Quote => Row::Quote(from_str(json)?),
            Entity::ActionItem => Row::ActionItem(from_str(json)?),
        })
    }
}

/// What `GET /v1/changes` answered.
#[derive(Debug)]
pub enum Changes {
    Page(Page),
    /// 304: nothing after the cursor.
    UpToDate,
}

/// Pages smaller than this are decoded where they arrive, bigger ones on a blocking thread.
const PARSE_INLINE_BYTES: usize = 256 * 1024;

/// The longest a single request may take; a page of 10,000 rows is well under a second.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    auth: std::sync::Arc<Auth>,
}

/// The token requests carry, and what renews it when the central API says it expired.
#[derive(Debug)]
struct Auth {
    access: std::sync::RwLock<Token>,
    renew: Option<std::sync::Arc<dyn Renew>>,
}

/// Renews an access token the central API refused (a browser sign-in's refresh token does: see
/// `signin::Renewer`).
pub trait Renew: fmt::Debug + Send + Sync {
    /// A valid access token in place of `stale`: a new one, or the one another request's renewal
    /// already got. [`ApiError::Unauthorized`] when the sign-in itself is over.
    fn renew<'a>(
        &'a self,
        stale: &'a Token,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token, ApiError>> + Send + 'a>>;
}

impl ApiClient {
    /// A client sending `token` as is (an administrator's token, or a check of one).
    pub fn new(base: Url, token: Token) -> Result<ApiClient, ApiError> {
        ApiClient::build(base, token, None)
    }

    /// A client for a signed-in account: when the central API refuses the access token, `renew`
    /// renews it and the request is sent once more.
    pub fn signed_in(
        base: Url,
        access: Token,
        renew: std::sync::Arc<dyn Renew>,
    ) -> Result<ApiClient, ApiError> {
        ApiClient::build(base, access, Some(renew))
    }

    fn build(
        base: Url,
        access: Token,
        renew: Option<std::sync::Arc<dyn Renew>>,
    ) -> Result<ApiClient, ApiError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("PartnerDesk/", env!("CARGO_PKG_VERSION")))
            .gzip(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ApiError::Offline(e.to_string()))?;
        let auth = Auth {
            access: std::sync::RwLock::new(access),
            renew,
        };
        Ok(ApiClient {
            http,
            base,
            auth: std::sync::Arc::new(auth),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Whether this client renews its access token itself (a browser sign-in's refresh token);
    /// a token an administrator handed out is not renewed: the user needs a new one in time.
    pub fn renews(&self) -> bool {
        self.auth.renew.is_some()
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    fn access(&self) -> Token {
        self.auth
            .access
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sends `request` with the access token; when the token is refused and the account can
    /// renew it, renews it and sends the request again, once. (Every request the client makes
    /// may be sent twice: reads, and writes under an idempotency key.)
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
        // A copy to send again, only for a session that can renew its token.
        let again = self.auth.renew.as_ref().and_then(|_| request.try_clone());
        let token = self.access();
        let response = request
            .header(AUTHORIZATION, bearer(&token)?)
            .send()
            .await
            .map_err(transport)?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let (Some(renew), Some(again)) = (&self.auth.renew, again) else {
            return Ok(response);
        };
        let fresh = renew.renew(&token).await?;
        *self
            .auth
            .access
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh.clone();
        again
            .header(AUTHORIZATION, bearer(&fresh)?)
            .send()
            .await
            .map_err(transport)
    }

    /// `GET /v1/me`.
    pub async fn me(&self) -> Result<Me, ApiError> {
        let url = self.url("v1/me");
        let resp = self.send(self.http.get(url)).await?;
        let resp = check(resp).await?;
        resp.json()
            .await
            .map_err(|e| ApiError::BadPage(e.to_string()))
    }

    /// `GET /v1/program`: the program policy, as JSON text (kept as sent, read when needed).
    pub async fn program(&self) -> Result<String, ApiError> {
        let url = self.url("v1/program");
        let resp = self.send(self.http.get(url)).await?;
        let resp = check(resp).await?;
        let text = resp.text().await.map_err(transport)?;
        serde_json::from_str::<program::contract::ProgramPolicy>(&text)
            .map_err(|e| ApiError::BadPage(format!("program policy: {e}")))?;
        Ok(text)
    }

    /// `GET /v1/changes?after=&limit=`: one whole page, or nothing new.
    pub async fn changes(&self, after: u64, limit: u32) -> Result<Changes, ApiError> {
        let mut url = self.url("v1/changes");
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &limit.to_string());
        let resp = self.send(self.http.get(url)).await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Changes::UpToDate);
        }
        let resp = check(resp).await?;
        let body = read_capped(resp, MAX_PAGE_BYTES).await?;
        let page = if body.len() < PARSE_INLINE_BYTES {
            parse_page(&body)?
        } else {
            // Decoding a big page takes a while: on a blocking thread, so the async threads keep
            // writing the page before it (see `SyncEngine::pull`) meanwhile.
            match tokio::task::spawn_blocking(move || parse_page(&body)).await {
                Ok(page) => page?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(ApiError::BadPage(format!("decoding the page stopped: {e}"))),
            }
        };
        // A page for another cursor than the one asked for would skip or repeat changes.
        if page.header.after != after {
            return Err(ApiError::BadPage(format!(
                "a page after {} was sent for the cursor {after}",
                page.header.after
            )));
        }
        Ok(Changes::Page(page))
    }

    /// `POST /v1/mutations` with `Idempotency-Key: key`.
    pub async fn mutations(
        &self,
        batch: &MutationBatch,
        key: &str,
    ) -> Result<MutationResults, ApiError> {
        let url = self.url("v1/mutations");
        let resp = self
            .send(
                self.http
                    .post(url)
                    .header("Idempotency-Key", key)
                    .json(batch),
            )
            .await?;
        let resp = check(resp).await?;
        resp.json()
            .await
            .map_err(|e| ApiError::BadPage(e.to_string()))
    }
}

/// The `Authorization` header of `token`, marked sensitive: never printed, never compressed
/// into a shared table by HTTP/2.
fn bearer(token: &Token) -> Result<reqwest::header::HeaderValue, ApiError> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| ApiError::Unauthorized)?;
    value.set_sensitive(true);
    Ok(value)
}

/// The most a page's body may hold: ten times what the reference server's largest page (10,000
/// changes) takes. A bigger body is refused as a bad page, not read into memory.
pub const MAX_PAGE_BYTES: usize = 256 * 1024 * 1024;

/// The most of an error's body that is read (for its problem document).
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Reads a body, refusing it as a bad page once it passes `max` bytes.
async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::with_capacity(
        resp.content_length()
            .map_or(0, |n| usize::try_from(n).unwrap_or(max).min(max)),
    );
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > max {
            return Err(ApiError::BadPage(format!(
                "the body passes {max} bytes; not read further"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Passes a success through; turns anything else into the `ApiError` it means.
async fn check(resp: reqwest::Response) -> Result<reqwest::Response, ApiError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = retry_after(resp.headers());
    // At most the start of an error's body: a problem document is small.
    let body = read_capped(resp, MAX_ERROR_BYTES).await.unwrap_or_default();
    let problem: Option<Problem> = serde_json::from_slice(&body).ok();
    let detail = problem
        .as_ref()
        .and_then(|p| p.detail.clone().or(Some(p.title.clone())))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
    Err(match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        StatusCode::GONE => ApiError::CursorTooOld,
        _ if problem
            .as_ref()
            .is_some_and(|p| p.code == ProblemCode::CursorTooOld) =>
        {
            ApiError::CursorTooOld
        }
        StatusCode::REQUEST_TIMEOUT
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::SERVICE_UNAVAILABLE => ApiError::Busy {
            status: status.as_u16(),
            retry_after,
        },
        s if s.is_server_error() => ApiError::Server {
            status: s.as_u16(),
            detail,
        },
        s => ApiError::Refused {
            status: s.as_u16(),
            detail,
        },
    })
}

/// The longest wait a `Retry-After` is honoured for: a server asking for more is asked again
/// after this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// `Retry-After` in either of its forms, seconds or an HTTP date (a date in the past is no wait),
/// capped at [`MAX_RETRY_AFTER`].
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

pub fn parse_base_url(input: &str) -> Result<Url, String> {
    let url = Url::parse(input.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(
                    "plain http:// is allowed only to this computer (localhost); use https://"
                        .into(),
                );
            }
        }
        other => return Err(format!("the scheme must be https, not {other}")),
    }
    if url.host().is_none() {
        return Err("the URL has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry a user name or password".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after_of(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap());
        retry_after(&headers)
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_within_a_bound() {
        assert_eq!(retry_after_of("120"), Some(Duration::from_secs(120)));
        assert_eq!(retry_after_of("99999999"), Some(MAX_RETRY_AFTER));
        let in_a_minute = std::time::SystemTime::now() + Duration::from_secs(60);
        let wait = retry_after_of(&httpdate::fmt_http_date(in_a_minute)).unwrap();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        let next_year = std::time::SystemTime::now() + Duration::from_secs(365 * 86_400);
        assert_eq!(
            retry_after_of(&httpdate::fmt_http_date(next_year)),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after_of("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after_of("soon"), None);
    }

    #[test]
    fn the_token_header_is_marked_sensitive() {
        let header = bearer(&Token::new("secret")).unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("secret"));
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(parse_base_url("https://api.example.com").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:8080/").is_ok());
        assert!(parse_base_url("http://[::1]:9/").is_ok());
        let err = parse_base_url("http://api.example.com").unwrap_err();
        assert!(err.contains("only to this computer"), "{err}");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("https://u:p@api.example.com").is_err());
        assert!(parse_base_url("nonsense").is_err());
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let t = Token::new("s3cret-token");
        assert!(!format!("{t:?}").contains("s3cret"));
    }
}
