//! How much of the server one client may take: requests in flight, and requests per second.
//!
//! - **In flight**: at most [`Limits::max_in_flight`] requests are handled at once, the feed's
//!   reading of its page included. A request waits up to [`Limits::queue_timeout`] for its turn,
//!   then is answered 503 with `Retry-After`. A client reading its answer slowly holds no turn:
//!   the feed lets go of the database when the client lags (see `feed`).
//! - **Per token**: each signed-in token has a bucket of [`Rate::burst`] requests, refilled at
//!   [`Rate::per_second`] ([`Limits::per_token`]); past it, 429 with `Retry-After`, which the
//!   desk's sync honours.
//! - **Per address**: requests without a token, and those whose token is refused, draw from the
//!   client address's bucket ([`Limits::per_address`]), so guessing tokens or passwords is slow.
//! - **Deal registrations per user** ([`Limits::registrations`]): each registration (and each
//!   edit of a deal) tells whether a prospect is taken, so one user's are paced by the hour; past
//!   the bucket, the change is answered `retry` and the laptop sends it again later. Probing
//!   companies one after another is slow; a day's offline registrations fit the burst.
//!
//! The buckets (GCRA, `governor`) live in memory and are swept every minute.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use program::contract::ProblemCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::edge::Limits;
use super::problem::ApiError;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_second` sustained, `burst` at once.
    ///
    /// # Panics
    /// If either is 0.
    pub const fn new(per_second: u32, burst: u32) -> Rate {
        match (NonZeroU32::new(per_second), NonZeroU32::new(burst)) {
            (Some(per_second), Some(burst)) => Rate { per_second, burst },
            _ => panic!("a rate allows at least one request"),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// A slow allowance: `per_hour` sustained (refilled evenly), `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hourly {
    pub per_hour: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Hourly {
    /// # Panics
    /// If either is 0.
    pub const fn new(per_hour: u32, burst: u32) -> Hourly {
        match (NonZeroU32::new(per_hour), NonZeroU32::new(burst)) {
            (Some(per_hour), Some(burst)) => Hourly { per_hour, burst },
            _ => panic!("an allowance allows at least one"),
        }
    }

    fn quota(self) -> Quota {
        let every = Duration::from_secs(3_600) / self.per_hour.get();
        Quota::with_period(every.max(Duration::from_nanos(1)))
            .expect("a period above zero")
            .allow_burst(self.burst)
    }
}

/// The server's turns and buckets, shared by every request.
#[derive(Clone)]
pub(crate) struct Throttle {
    turns: Arc<Semaphore>,
    queue_timeout: Duration,
    tokens: Arc<DefaultKeyedRateLimiter<String>>,
    addresses: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Keyed by the caller's principal (`Caller::principal`): a user, whichever token.
    registrations: Arc<DefaultKeyedRateLimiter<String>>,
}

/// A request's turn: held until the request is answered, and by the feed until its page is read.
#[derive(Clone)]
pub(crate) struct Turn {
    _permit: Arc<OwnedSemaphorePermit>,
}

impl Throttle {
    pub(crate) fn new(limits: &Limits) -> Throttle {
        Throttle {
            turns: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            queue_timeout: limits.queue_timeout,
            tokens: Arc::new(RateLimiter::hashmap(limits.per_token.quota())),
            addresses: Arc::new(RateLimiter::hashmap(limits.per_address.quota())),
            registrations: Arc::new(RateLimiter::hashmap(limits.registrations.quota())),
        }
    }

    /// Charges `principal`'s registrations; when they are spent, how long until the next one.
    pub(crate) fn charge_registration(&self, principal: &str) -> Result<(), Duration> {
        self.registrations
            .check_key(&principal.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Charges the bucket of the token whose hash is `token_hash`.
    pub(crate) fn charge_token(&self, token_hash: &str) -> Result<(), ApiError> {
        self.tokens
            .check_key(&token_hash.to_string())
            .map_err(|not_until| {
                too_many(
                    not_until.wait_time_from(DefaultClock::default().now()),
                    "this token sent more requests than the server takes",
                )
            })
    }

    /// Charges the bucket of the client at `address`.
    pub(crate) fn charge_address(&self, address: IpAddr) -> Result<(), ApiError> {
        self.addresses.check_key(&address).map_err(|not_until| {
            too_many(
                not_until.wait_time_from(DefaultClock::default().now()),
                "this address sent more requests without a valid token than the server takes",
            )
        })
    }

    /// Forgets the buckets that are full again (nothing to remember about them).
    pub(crate) fn sweep(&self) {
        self.tokens.retain_recent();
        self.addresses.retain_recent();
        self.registrations.retain_recent();
        self.tokens.shrink_to_fit();
        self.addresses.shrink_to_fit();
        self.registrations.shrink_to_fit();
    }
}

fn too_many(wait: Duration, detail: &str) -> ApiError {
    // Whole seconds, rounded up: a client waiting what it is told is let in.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ProblemCode::RateLimited,
        format!("{detail}; try again in {} s", seconds.max(1)),
    )
    .with_retry_after(seconds.max(1))
}

/// The address a request came from ([`ConnectInfo`], set by the connection loop); unspecified for
/// a request that did not come over a connection (a router driven directly).
pub(crate) fn address_of(request: &axum::http::Extensions) -> IpAddr {
    request
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// The middleware: a turn for every request, and the address's bucket charged for a request
/// without a token (the token's own bucket is charged once the token is known: `auth`).
pub(crate) async fn middleware(
    State(throttle): State<Throttle>,
    mut request: Request,
    next: Next,
) -> Response {
    if !request
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        if let Err(refused) = throttle.charge_address(address_of(request.extensions())) {
            return refused.into_response();
        }
    }
    let permit = match tokio::time::timeout(
        throttle.queue_timeout,
        Arc::clone(&throttle.turns).acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => permit,
        // Timed out, or the semaphore closed (it never is).
        _ => {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ProblemCode::Unavailable,
                "the server is answering as many requests as it takes; try again shortly",
            )
            .with_retry_after(1)
            .into_response()
        }
    };
    let turn = Turn {
        _permit: Arc::new(permit),
    };
    request.extensions_mut().insert(turn.clone());
    let response = next.run(request).await;
    drop(turn);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds() {
        let refused = too_many(Duration::from_millis(1_200), "busy");
        assert_eq!(refused.retry_after, Some(2));
        let refused = too_many(Duration::from_millis(10), "busy");
        assert_eq!(refused.retry_after, Some(1));
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_another_key_is_untouched() {
        let limits = Limits {
            per_token: Rate::new(1, 2),
            ..Limits::default()
        };
        let throttle = Throttle::new(&limits);
        assert!(throttle.charge_token("a").is_ok());
        assert!(throttle.charge_token("a").is_ok());
        let refused = throttle.charge_token("a").unwrap_err();
        assert_eq!(refused.code, ProblemCode::RateLimited);
        assert!(throttle.charge_token("b").is_ok());
    }

    #[test]
    fn registrations_are_paced_by_the_hour_per_user() {
        let limits = Limits {
            registrations: Hourly::new(60, 2),
            ..Limits::default()
        };
        let throttle = Throttle::new(&limits);
        assert!(throttle.charge_registration("login:ana").is_ok());
        assert!(throttle.charge_registration("login:ana").is_ok());
        let wait = throttle.charge_registration("login:ana").unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert!(throttle.charge_registration("login:bea").is_ok());
    }
}
