//! Errors as RFC 9457 problem details.
//!
//! Every handler fails with an [`ApiError`], which answers `application/problem+json` carrying a
//! stable `code` (the client branches on the code, never on the text).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use program::contract::{Problem, ProblemCode};

use super::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ProblemCode,
    pub detail: Option<String>,
    /// Seconds, for the `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: Some(detail.into()),
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::BadRequest, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, detail)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            "the server failed to answer; try again later",
        )
    }

    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:partner-desk:problem:{}", code_str(self.code)),
            title: title(self.code).to_string(),
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        // The cause goes to the log, not to the client.
        tracing::error!(error = %err, "store error");
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).expect("a problem serializes");
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The code as it appears on the wire.
pub fn code_str(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::Unauthorized => "unauthorized",
        ProblemCode::Forbidden => "forbidden",
        ProblemCode::NotFound => "not_found",
        ProblemCode::BadRequest => "bad_request",
        ProblemCode::CursorTooOld => "cursor_too_old",
        ProblemCode::RateLimited => "rate_limited",
        ProblemCode::Unavailable => "unavailable",
        ProblemCode::Internal => "internal",
        ProblemCode::RuleViolation => "rule_violation",
    }
}

fn title(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::Unauthorized => "Sign-in required",
        ProblemCode::Forbidden => "Not allowed",
        ProblemCode::NotFound => "Not found",
        ProblemCode::BadRequest => "Bad request",
        ProblemCode::CursorTooOld => "Cursor too old",
        ProblemCode::RateLimited => "Too many requests",
        ProblemCode::Unavailable => "Service unavailable",
        ProblemCode::Internal => "Internal error",
        ProblemCode::RuleViolation => "Program rule violated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_strings_match_the_wire_names() {
        for code in [
            ProblemCode::Unauthorized,
            ProblemCode::Forbidden,
            ProblemCode::NotFound,
            ProblemCode::BadRequest,
            ProblemCode::CursorTooOld,
            ProblemCode::RateLimited,
            ProblemCode::Unavailable,
            ProblemCode::Internal,
            ProblemCode::RuleViolation,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code_str(code))
            );
        }
    }
}
