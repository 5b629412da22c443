//! Signing in from Partner Desk: OAuth 2.0 authorization code with PKCE for a native app
//! (RFC 6749, RFC 7636, RFC 8252), found through the server's metadata (RFC 8414).
//!
//! - `GET /.well-known/oauth-authorization-server`: where the endpoints are.
//! - `GET /oauth/authorize`: the login page, opened by the app in the system browser. A request
//!   whose client or redirect is wrong is refused on the page itself (never redirected: the
//!   redirect is what cannot be trusted); anything else wrong goes back to the app as an `error`.
//! - `POST /oauth/authorize`: the login form. Allowing sends the browser back to the app's
//!   loopback redirect with a one-minute, single-use code; denying sends `access_denied`.
//! - `POST /oauth/token`: the app trades the code (with its PKCE verifier) or a refresh token for
//!   an access token of an hour and a new refresh token.
//!
//! The only client is Partner Desk ([`DESK_CLIENT_ID`]), a public client: it has no secret, and
//! PKCE binds each code to the app instance that asked for it. Redirects go to a loopback IP
//! literal on any port (RFC 8252 §7.3), nowhere else.

use axum::extract::{Form, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, HOST, LOCATION, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use program::contract::{AuthServerMetadata, DESK_CLIENT_ID};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::{Host, Url};

use super::problem::ApiError;
use super::store::IssuedTokens;
use super::AppState;

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";

/// `GET /.well-known/oauth-authorization-server`. The endpoints are absolute URLs on the host the
/// client reached (and the scheme a proxy in front says it used).
pub(crate) async fn metadata(headers: HeaderMap) -> Json<AuthServerMetadata> {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https")
        .unwrap_or("http");
    let issuer = format!("{scheme}://{host}");
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
    Json(AuthServerMetadata {
        authorization_endpoint: format!("{issuer}{AUTHORIZE_PATH}"),
        token_endpoint: format!("{issuer}{TOKEN_PATH}"),
        issuer,
        response_types_supported: strings(&["code"]),
        grant_types_supported: strings(&["authorization_code", "refresh_token"]),
        code_challenge_methods_supported: strings(&["S256"]),
        token_endpoint_auth_methods_supported: strings(&["none"]),
    })
}

/// The authorization request, as the app puts it in the login page's URL (and the page carries it
/// on in hidden fields). Every field is optional here so that a missing one gets its own sentence.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct AuthorizeRequest {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// The app's language (OpenID Connect's `ui_locales`), e.g. `es`.
    ui_locales: Option<String>,
}

/// The login form: the request, plus what the user typed and chose.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(flatten)]
    request: AuthorizeRequest,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    /// `allow` or `deny`.
    #[serde(default)]
    decision: String,
}

/// A request that passed the checks: where to send the browser back, and what to bind the code to.
#[derive(Debug)]
struct Valid {
    redirect: Url,
    state: Option<String>,
    challenge: String,
}

/// Why a request cannot go on.
enum Refusal {
    /// The client or the redirect is wrong: shown on the page, never redirected.
    Page(&'static str),
    /// Anything else: back to the app as `error` (RFC 6749 §4.1.2.1).
    Redirect {
        redirect: Box<Url>,
        state: Option<String>,
        error: &'static str,
        description: &'static str,
    },
}

impl AuthorizeRequest {
    fn validate(&self) -> Result<Valid, Refusal> {
        if self.client_id.as_deref() != Some(DESK_CLIENT_ID) {
            return Err(Refusal::Page("unknown_client"));
        }
        let redirect = self
            .redirect_uri
            .as_deref()
            .and_then(|uri| Url::parse(uri).ok())
            .filter(is_loopback_redirect)
            .ok_or(Refusal::Page("bad_redirect"))?;
        let state = self.state.clone();
        let back = |error, description| Refusal::Redirect {
            redirect: Box::new(redirect.clone()),
            state: state.clone(),
            error,
            description,
        };
        if self.response_type.as_deref() != Some("code") {
            return Err(back(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        if self.code_challenge_method.as_deref() != Some("S256") {
            return Err(back(
                "invalid_request",
                "PKCE is required, with code_challenge_method=S256",
            ));
        }
        let challenge = self
            .code_challenge
            .clone()
            .filter(|c| c.len() == 43 && BASE64_URL_SAFE_NO_PAD.decode(c).is_ok())
            .ok_or_else(|| {
                back(
                    "invalid_request",
                    "code_challenge must be the base64url SHA-256 of the verifier",
                )
            })?;
        Ok(Valid {
            redirect,
            state,
            challenge,
        })
    }
}

/// `http://127.0.0.1:<port>/…` or `http://[::1]:<port>/…`, without a fragment (RFC 8252 §7.3,
/// §8.3: a loopback IP literal, not `localhost`, which a hostile resolver could point elsewhere).
fn is_loopback_redirect(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    url.scheme() == "http" && loopback && url.port().is_some() && url.fragment().is_none()
}

/// The browser goes back to the app at `redirect` with these parameters.
fn back_to_app(mut redirect: Url, params: &[(&str, &str)], state: Option<&str>) -> Response {
    {
        let mut query = redirect.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(redirect.as_str()) {
        response.headers_mut().insert(LOCATION, location);
    }
    no_store(response)
}

fn refuse(refusal: Refusal, texts: &Texts) -> Response {
    match refusal {
        Refusal::Page(reason) => {
            let sentence = match reason {
                "unknown_client" => texts.unknown_client,
                _ => texts.bad_redirect,
            };
            (
                StatusCode::BAD_REQUEST,
                Html(page(texts, &format!("<p class=\"error\">{sentence}</p>"))),
            )
                .into_response()
        }
        Refusal::Redirect {
            redirect,
            state,
            error,
            description,
        } => back_to_app(
            *redirect,
            &[("error", error), ("error_description", description)],
            state.as_deref(),
        ),
    }
}

/// `GET /oauth/authorize`: the login page.
pub(crate) async fn authorize_page(
    headers: HeaderMap,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    let texts = Texts::for_request(&request, &headers);
    match request.validate() {
        Ok(_) => login_page(&request, texts, "", None),
        Err(refusal) => refuse(refusal, texts),
    }
}

/// `POST /oauth/authorize`: the login form.
pub(crate) async fn authorize_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let texts = Texts::for_request(&form.request, &headers);
    let valid = match form.request.validate() {
        Ok(valid) => valid,
        Err(refusal) => return Ok(refuse(refusal, texts)),
    };
    if form.decision != "allow" {
        return Ok(back_to_app(
            valid.redirect,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the sign-in"),
            ],
            valid.state.as_deref(),
        ));
    }
    if !state
        .store
        .check_password(&form.login, &form.password)
        .await?
    {
        tracing::info!("a sign-in with a wrong login or password");
        return Ok(login_page(
            &form.request,
            texts,
            &form.login,
            Some(texts.wrong_password),
        ));
    }
    let code = state
        .store
        .create_code(
            &form.login,
            DESK_CLIENT_ID,
            valid.redirect.as_str(),
            &valid.challenge,
        )
        .await?;
    tracing::info!("signed in on the login page; code issued");
    Ok(back_to_app(
        valid.redirect,
        &[("code", &code)],
        valid.state.as_deref(),
    ))
}

/// The token request (RFC 6749 §4.1.3 and §6).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
}

/// A refused token request (RFC 6749 §5.2).
#[derive(Debug, Serialize)]
struct TokenError {
    error: &'static str,
    error_description: &'static str,
}

fn token_error(error: &'static str, error_description: &'static str) -> Response {
    no_store(
        (
            StatusCode::BAD_REQUEST,
            Json(TokenError {
                error,
                error_description,
            }),
        )
            .into_response(),
    )
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(state): State<AppState>,
    Form(request): Form<TokenRequest>,
) -> Result<Response, ApiError> {
    if request.client_id.as_deref() != Some(DESK_CLIENT_ID) {
        return Ok(token_error("invalid_client", "unknown client_id"));
    }
    let issued = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(verifier)) = (
                request.code.as_deref(),
                request.redirect_uri.as_deref(),
                request.code_verifier.as_deref(),
            ) else {
                return Ok(token_error(
                    "invalid_request",
                    "code, redirect_uri and code_verifier are required",
                ));
            };
            // The code is spent by this attempt, whatever its outcome.
            let Some(grant) = state.store.redeem_code(code).await? else {
                return Ok(token_error(
                    "invalid_grant",
                    "the code is not valid: expired, already used or never issued",
                ));
            };
            if grant.client_id != DESK_CLIENT_ID || grant.redirect_uri != redirect_uri {
                return Ok(token_error(
                    "invalid_grant",
                    "the code was issued to another client or redirect",
                ));
            }
            if !verifier_matches(verifier, &grant.challenge) {
                return Ok(token_error(
                    "invalid_grant",
                    "the code_verifier does not match the code_challenge",
                ));
            }
            state.store.issue_tokens(&grant.login).await?
        }
        Some("refresh_token") => {
            let Some(refresh_token) = request.refresh_token.as_deref() else {
                return Ok(token_error("invalid_request", "refresh_token is required"));
            };
            state.store.redeem_refresh_token(refresh_token).await?
        }
        _ => {
            return Ok(token_error(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ))
        }
    };
    let Some(IssuedTokens {
        access_token,
        refresh_token,
        expires_in,
    }) = issued
    else {
        return Ok(token_error(
            "invalid_grant",
            "the grant is not valid: expired, already used, revoked or of a user who is gone",
        ));
    };
    Ok(no_store(
        Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token,
        })
        .into_response(),
    ))
}

/// RFC 7636 §4.1 and §4.6: a verifier of 43–128 unreserved characters whose SHA-256, base64url
/// without padding, is the challenge.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && BASE64_URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Tokens and codes must not be cached on the way (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

// --- The page ----------------------------------------------------------------------------------

/// The login page's words, in the app's language.
struct Texts {
    lang: &'static str,
    title: &'static str,
    asks: &'static str,
    login: &'static str,
    password: &'static str,
    allow: &'static str,
    deny: &'static str,
    wrong_password: &'static str,
    unknown_client: &'static str,
    bad_redirect: &'static str,
}

const ENGLISH: Texts = Texts {
    lang: "en",
    title: "Sign in to Partner Desk",
    asks: "Partner Desk on this computer asks to read your partner program data and to make \
        changes in your name: deals, quotes, credit purchases and review notes.",
    login: "Login",
    password: "Password",
    allow: "Sign in and allow",
    deny: "Deny",
    wrong_password: "That login and password do not match. Try again.",
    unknown_client: "This sign-in link was not made by Partner Desk. Start signing in again from \
        the app.",
    bad_redirect: "This sign-in link would send you somewhere other than Partner Desk on this \
        computer, so it was stopped. Start signing in again from the app.",
};

const SPANISH: Texts = Texts {
    lang: "es",
    title: "Iniciar sesión en Partner Desk",
    asks: "Partner Desk en este equipo pide leer los datos de su programa de partners y hacer \
        cambios en su nombre: oportunidades, presupuestos, compras de créditos y notas de \
        revisión.",
    login: "Usuario",
    password: "Contraseña",
    allow: "Iniciar sesión y permitir",
    deny: "Denegar",
    wrong_password: "El usuario y la contraseña no coinciden. Inténtelo de nuevo.",
    unknown_client: "Este enlace de inicio de sesión no lo creó Partner Desk. Vuelva a iniciar \
        sesión desde la aplicación.",
    bad_redirect: "Este enlace de inicio de sesión le llevaría a otro sitio que no es Partner \
        Desk en este equipo, así que se ha detenido. Vuelva a iniciar sesión desde la aplicación.",
};

impl Texts {
    /// The app's language if it said (`ui_locales`), else the browser's first.
    fn for_request(request: &AuthorizeRequest, headers: &HeaderMap) -> &'static Texts {
        let wanted = request
            .ui_locales
            .clone()
            .or_else(|| {
                headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        if wanted.trim_start().to_ascii_lowercase().starts_with("es") {
            &SPANISH
        } else {
            &ENGLISH
        }
    }
}

fn login_page(
    request: &AuthorizeRequest,
    texts: &Texts,
    login: &str,
    error: Option<&str>,
) -> Response {
    let hidden: String = [
        ("response_type", &request.response_type),
        ("client_id", &request.client_id),
        ("redirect_uri", &request.redirect_uri),
        ("state", &request.state),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
        ("ui_locales", &request.ui_locales),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().map(|value| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
    })
    .collect();
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{e}</p>"))
        .unwrap_or_default();
    let body = format!(
        "<p>{asks}</p>{error}\
         <form method=\"post\" action=\"{AUTHORIZE_PATH}\">{hidden}\
         <label>{login_label}<input name=\"login\" autocomplete=\"username\" required autofocus \
         value=\"{login}\"></label>\
         <label>{password_label}<input name=\"password\" type=\"password\" \
         autocomplete=\"current-password\"></label>\
         <div class=\"actions\">\
         <button name=\"decision\" value=\"deny\" class=\"secondary\" formnovalidate>{deny}</button>\
         <button name=\"decision\" value=\"allow\">{allow}</button></div></form>",
        asks = texts.asks,
        login_label = texts.login,
        password_label = texts.password,
        login = escape(login),
        deny = texts.deny,
        allow = texts.allow,
    );
    no_store(Html(page(texts, &body)).into_response())
}

fn page(texts: &Texts, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>",
        lang = texts.lang,
        title = texts.title,
    )
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#59636e;--bg:#f6f7f9;--card:#fff;\
--line:#d0d7de;--accent:#1f5fbf;--error:#b42318}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa4ae;--bg:#0f1216;\
--card:#181c21;--line:#333a42;--accent:#6ea8fe;--error:#ff8a80}}\
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,sans-serif}\
main{max-width:26rem;margin:10vh auto;padding:2rem;background:var(--card);\
border:1px solid var(--line);border-radius:12px}\
h1{font-size:1.4rem;margin:0 0 1rem}p{color:var(--muted)}\
.error{color:var(--error);font-weight:600}\
label{display:block;margin:1rem 0;font-weight:600}\
input{display:block;box-sizing:border-box;width:100%;margin-top:.35rem;padding:.55rem .7rem;\
font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px}\
.actions{display:flex;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}\
button{font:inherit;font-weight:600;padding:.55rem 1rem;border-radius:8px;cursor:pointer;\
border:1px solid var(--accent);background:var(--accent);color:#fff}\
@media (prefers-color-scheme:dark){button{color:#0f1216}}\
button.secondary{background:transparent;color:var(--fg);border-color:var(--line)}";

/// Escapes text for a quoted HTML attribute or an element's text.
fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_ip_literal_with_a_port_is_a_redirect() {
        let ok = |u: &str| is_loopback_redirect(&Url::parse(u).unwrap());
        assert!(ok("http://127.0.0.1:49152/callback"));
        assert!(ok("http://[::1]:8080/"));
        assert!(!ok("http://localhost:49152/callback"));
        assert!(!ok("https://127.0.0.1:49152/callback"));
        assert!(!ok("http://127.0.0.1/callback"));
        assert!(!ok("http://10.0.0.1:49152/callback"));
        assert!(!ok("http://evil.example:49152/callback"));
        assert!(!ok("http://127.0.0.1:49152/callback#frag"));
    }

    #[test]
    fn a_verifier_matches_its_s256_challenge_only() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(&verifier.replace('d', "e"), challenge));
        assert!(!verifier_matches("short", challenge));
    }

    #[test]
    fn text_put_in_a_page_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
