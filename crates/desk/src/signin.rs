//! Signing in through the system browser, the way desktop apps do: OAuth 2.0 authorization code
//! with PKCE over a loopback redirect (RFC 8252), with the `oauth2` crate.
//!
//! 1. [`begin`] reads the central API's metadata (RFC 8414) to find its login page and token
//!    endpoint, listens on `127.0.0.1:<free port>`, and makes the login page's URL with a PKCE
//!    challenge and a random `state`. The shell opens it in the browser and shows it too.
//! 2. The user signs in on the central API's page; the browser comes back to the loopback
//!    listener with a code (or an error), and the listener answers with a page saying so.
//! 3. [`finish`] waits for that (or a cancel, or [`BROWSER_WAIT`]), checks the `state`, and trades
//!    the code and the PKCE verifier for an access token and a refresh token.
//!
//! [`refresh`] renews an access token with the refresh token (the sync engine does, when the
//! central API says the token expired). The tokens go to the OS keychain (see `secrets`), never
//! to the cache, the logs or the UI.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::Router;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
use program::contract::{AuthServerMetadata, AUTH_METADATA_PATH, DESK_CLIENT_ID};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;
use url::Url;

pub use crate::credentials::{Credentials, Renewal};
pub use crate::error::SignInError;

use crate::api::{ApiError, Renew, Token};
use crate::error::{DeskError, Result};

/// How long [`finish`] waits for the browser to come back before giving up.
pub const BROWSER_WAIT: Duration = Duration::from_secs(10 * 60);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The page the browser shows when it comes back to the app, in the app's language (the UI
/// passes its catalog's words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallbackPage {
    /// The page's language, e.g. `en`.
    pub lang: String,
    pub title: String,
    /// Shown after a sign-in: go back to the app.
    pub signed_in: String,
    /// Shown after Deny or another refusal.
    pub not_signed_in: String,
}

/// A browser sign-in under way, as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BrowserSignIn {
    /// The login page: opened in the browser, and shown in case it did not open.
    pub authorize_url: String,
    /// Whether the system browser was asked to open it (the shell fills this in).
    pub browser_opened: bool,
}

/// The query the browser comes back with.
type Params = HashMap<String, String>;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A sign-in between [`begin`] and [`finish`]. Dropping it stops the loopback listener.
pub struct Pending {
    client: Client,
    verifier: PkceCodeVerifier,
    state: CsrfToken,
    authorize_url: Url,
    callback: oneshot::Receiver<Params>,
    _listener: Listener,
}

/// The loopback listener's task; dropping it stops the listener.
struct Listener(tokio::task::JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("authorize_url", &self.authorize_url.origin())
            .finish_non_exhaustive()
    }
}

impl Pending {
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }
}

/// The HTTP client of sign-in requests: no redirects followed (a token request must not be
/// bounced elsewhere), short timeouts.
fn http() -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .user_agent(concat!("PartnerDesk/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| ApiError::Offline(e.to_string()))
}

/// Step 1: finds the login page of the central API at `base`, starts the loopback listener, and
/// returns the sign-in with the login page's URL (in `locale`, e.g. `es`).
pub async fn begin(base: &Url, locale: &str, page: CallbackPage) -> Result<Pending> {
    let http = http()?;
    let metadata_url = join(base, AUTH_METADATA_PATH);
    let response = http
        .get(metadata_url.clone())
        .send()
        .await
        .map_err(|e| ApiError::Offline(e.to_string()))?;
    if !response.status().is_success() {
        return Err(SignInError::NotCentralApi(format!(
            "{metadata_url} answered {}",
            response.status()
        ))
        .into());
    }
    let metadata: AuthServerMetadata = response.json().await.map_err(|e| {
        SignInError::NotCentralApi(format!("{metadata_url} is not sign-in metadata: {e}"))
    })?;
    if !metadata
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256")
    {
        return Err(SignInError::NotCentralApi(
            "the central API does not offer PKCE (S256), which this app requires".into(),
        )
        .into());
    }
    let endpoint = |url: &str| {
        Url::parse(url).map_err(|e| SignInError::NotCentralApi(format!("an endpoint {url:?}: {e}")))
    };
    let (auth_url, token_url) = (
        endpoint(&metadata.authorization_endpoint)?,
        endpoint(&metadata.token_endpoint)?,
    );

    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(|e| ApiError::Offline(format!("cannot listen on this computer: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| ApiError::Offline(e.to_string()))?
        .port();
    let redirect =
        Url::parse(&format!("http://127.0.0.1:{port}/callback")).expect("a loopback URL parses");
    let client = BasicClient::new(ClientId::new(DESK_CLIENT_ID.into()))
        .set_auth_uri(AuthUrl::from_url(auth_url))
        .set_token_uri(TokenUrl::from_url(token_url))
        .set_redirect_uri(RedirectUrl::from_url(redirect));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_extra_param("ui_locales", locale)
        .url();

    let (done, callback) = oneshot::channel();
    let listener = Listener(tokio::spawn(serve_callback(listener, done, page)));
    Ok(Pending {
        client,
        verifier,
        state,
        authorize_url,
        callback,
        _listener: listener,
    })
}

/// Answers the browser's return on the loopback listener: the first `/callback` is handed to
/// [`finish`]; every request gets the page.
async fn serve_callback(
    listener: tokio::net::TcpListener,
    done: oneshot::Sender<Params>,
    page: CallbackPage,
) {
    #[derive(Clone)]
    struct Shared {
        done: Arc<Mutex<Option<oneshot::Sender<Params>>>>,
        page: Arc<CallbackPage>,
    }
    async fn callback(State(shared): State<Shared>, Query(params): Query<Params>) -> Html<String> {
        let signed_in = params.contains_key("code");
        if let Some(done) = shared.done.lock().ok().and_then(|mut d| d.take()) {
            let _ = done.send(params);
        }
        let page = &shared.page;
        let message = if signed_in {
            &page.signed_in
        } else {
            &page.not_signed_in
        };
        Html(callback_html(&page.lang, &page.title, message))
    }
    let shared = Shared {
        done: Arc::new(Mutex::new(Some(done))),
        page: Arc::new(page),
    };
    let app = Router::new()
        .route("/callback", axum::routing::get(callback))
        .with_state(shared);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::warn!(error = %e, "the sign-in listener stopped");
    }
}

fn callback_html(lang: &str, title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>:root{{color-scheme:light dark}}body{{font:18px/1.5 system-ui,sans-serif;\
         max-width:32rem;margin:15vh auto;padding:0 1.5rem}}</style></head>\
         <body><h1>{}</h1><p>{}</p></body></html>",
        escape(lang),
        escape(title),
        escape(title),
        escape(message)
    )
}

/// Escapes text for a quoted HTML attribute or an element's text.
fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// Step 3: waits for the browser (at most `wait`, or until `cancel` fires or is dropped), then
/// trades the code for tokens.
pub async fn finish(
    pending: Pending,
    cancel: oneshot::Receiver<()>,
    wait: Duration,
) -> Result<Credentials> {
    // The listener lives until the end of this function: the browser's page is answered.
    let Pending {
        client,
        verifier,
        state,
        mut callback,
        authorize_url: _,
        _listener,
    } = pending;
    let params = tokio::select! {
        params = &mut callback => params.map_err(|_| SignInError::Cancelled)?,
        _ = cancel => return Err(SignInError::Cancelled.into()),
        _ = tokio::time::sleep(wait) => return Err(SignInError::TimedOut(wait).into()),
    };
    // An answer that does not carry this sign-in's state was not started by this app.
    if params.get("state").map(String::as_str) != Some(state.secret().as_str()) {
        return Err(SignInError::Refused(
            "the browser's answer does not belong to this sign-in".into(),
        )
        .into());
    }
    if let Some(error) = params.get("error") {
        return Err(match error.as_str() {
            "access_denied" => SignInError::Denied,
            _ => SignInError::Refused(
                params
                    .get("error_description")
                    .cloned()
                    .unwrap_or_else(|| error.clone()),
            ),
        }
        .into());
    }
    let code = params
        .get("code")
        .ok_or_else(|| SignInError::Refused("the browser came back without a code".into()))?;
    let http = http()?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&Http(http))
        .await
        .map_err(token_failure)?;
    let token_endpoint = client.token_uri().url().clone();
    Ok(credentials(&token, token_endpoint, None))
}

/// Renews a browser sign-in's access token with its refresh token, one renewal at a time, and
/// keeps each renewed pair in the keychain under the account (the central API replaces the
/// refresh token at each use: the new one is kept before it is used).
#[derive(Debug)]
pub struct Renewer {
    account: String,
    current: tokio::sync::Mutex<Credentials>,
}

impl Renewer {
    pub fn new(account: &str, credentials: Credentials) -> Renewer {
        Renewer {
            account: account.to_string(),
            current: tokio::sync::Mutex::new(credentials),
        }
    }
}

impl Renew for Renewer {
    fn renew<'a>(
        &'a self,
        stale: &'a Token,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token, ApiError>> + Send + 'a>>
    {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            if current.access != *stale {
                // Another request renewed it meanwhile.
                return Ok(current.access.clone());
            }
            let renewal = current.refresh.clone().ok_or(ApiError::Unauthorized)?;
            let renewed = refresh(&renewal).await?;
            if let Err(e) = crate::secrets::store_credentials(&self.account, &renewed).await {
                tracing::warn!(error = %e, "the renewed sign-in could not be kept in the keychain");
            }
            *current = renewed;
            tracing::info!("access token renewed");
            Ok(current.access.clone())
        })
    }
}

/// Renews an access token with `renewal`'s refresh token. The central API replaces the refresh
/// token too: the one returned is the one to keep.
pub async fn refresh(renewal: &Renewal) -> Result<Credentials, ApiError> {
    let http = http()?;
    let client = BasicClient::new(ClientId::new(DESK_CLIENT_ID.into()))
        .set_token_uri(TokenUrl::from_url(renewal.token_endpoint.clone()));
    let token = client
        .exchange_refresh_token(&RefreshToken::new(renewal.token.expose().to_string()))
        .request_async(&Http(http))
        .await
        .map_err(|e| match token_failure(e) {
            DeskError::Api(api) => api,
            _ => ApiError::Unauthorized,
        })?;
    Ok(credentials(
        &token,
        renewal.token_endpoint.clone(),
        Some(&renewal.token),
    ))
}

fn credentials(
    token: &oauth2::basic::BasicTokenResponse,
    token_endpoint: Url,
    old_refresh: Option<&Token>,
) -> Credentials {
    let refresh = token
        .refresh_token()
        .map(|r| Token::new(r.secret().clone()))
        .or_else(|| old_refresh.cloned());
    Credentials {
        access: Token::new(token.access_token().secret().clone()),
        refresh: refresh.map(|token| Renewal {
            token,
            token_endpoint,
        }),
    }
}

type TokenFailure = RequestTokenError<HttpError, StandardErrorResponse<BasicErrorResponseType>>;

fn token_failure(e: TokenFailure) -> DeskError {
    match e {
        RequestTokenError::ServerResponse(response) => {
            let detail = response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string());
            match response.error() {
                BasicErrorResponseType::InvalidGrant => SignInError::Expired(detail).into(),
                _ => SignInError::Refused(detail).into(),
            }
        }
        RequestTokenError::Request(e) => ApiError::Offline(e.to_string()).into(),
        RequestTokenError::Parse(e, _) => {
            ApiError::BadPage(format!("the token response: {e}")).into()
        }
        RequestTokenError::Other(e) => ApiError::BadPage(format!("the token response: {e}")).into(),
    }
}

/// What failed sending a token request.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Reqwest(#[from] reqwest::Error),
    #[error(transparent)]
    Http(#[from] oauth2::http::Error),
}

/// The `oauth2` crate's HTTP client: our reqwest (a named type rather than a closure, so the
/// futures that use it stay `Send` for any lifetime, as `tokio::spawn` needs).
struct Http(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends one of the `oauth2` crate's requests.
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, HttpError> {
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder.body(response.bytes().await?.to_vec())?)
}

/// `path` under the base URL (which may itself have a path).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_through_the_keychain_form_and_a_bare_token_reads_as_one() {
        let creds = Credentials {
            access: Token::new("pdk_a"),
            refresh: Some(Renewal {
                token: Token::new("pdr_b"),
                token_endpoint: Url::parse("https://api.example.com/oauth/token").unwrap(),
            }),
        };
        assert_eq!(Credentials::from_secret(&creds.to_secret()), creds);
        let bare = Credentials::from_secret("pdk_0123");
        assert_eq!(bare, Credentials::token(Token::new("pdk_0123")));
        assert!(!format!("{creds:?}").contains("pdk_a"));
    }

    #[test]
    fn the_metadata_is_found_under_the_base_urls_path() {
        let base = Url::parse("https://api.example.com/partners/").unwrap();
        assert_eq!(
            join(&base, AUTH_METADATA_PATH).as_str(),
            "https://api.example.com/partners/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn the_callback_page_escapes_its_words() {
        let html = callback_html("en", "A <b>", "x & \"y\"");
        assert!(html.contains("A &lt;b&gt;") && html.contains("x &amp; &quot;y&quot;"));
    }
}
