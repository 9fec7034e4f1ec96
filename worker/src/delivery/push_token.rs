//! FCM access tokens minted from a service-account key (`PUSH_SERVICE_ACCOUNT_FILE`),
//! with Google's server-to-server OAuth 2.0 flow
//! (<https://developers.google.com/identity/protocols/oauth2/service-account#httprest>):
//!
//! ```text
//! JWT  header {"alg":"RS256","typ":"JWT"}
//!      claims {"iss": client_email, "scope": "https://www.googleapis.com/auth/firebase.messaging",
//!              "aud": token_uri, "iat": now, "exp": now + 3600}
//!      signed with the key's private_key
//! POST {token_uri}
//! Content-Type: application/x-www-form-urlencoded
//!
//! grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
//! → 200 {"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}
//! ```
//!
//! Google's access tokens live about an hour, so a fixed `PUSH_ACCESS_TOKEN` stops
//! working an hour after it was issued; this source keeps one token cached and mints a
//! new one when less than [`REFRESH_MARGIN`] of its life remains. Minting is
//! single-flight: the cache sits behind an async mutex held across the exchange, so a
//! burst of pushes on an expired token waits for one request instead of sending one each.
//!
//! The token endpoint's failures become delivery errors of the push job that needed
//! the token: no answer, 408, 429 and 5xx retry (a Google outage must not kill jobs);
//! any other 4xx (`invalid_grant` for a bad or revoked key, `unauthorized_client`, a
//! disabled account) is permanent, with Google's error code in the message. No message
//! carries the key, the assertion or a token.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::http;
use super::DeliveryError;
use crate::config::ServiceAccount;

/// The OAuth 2.0 scope FCM HTTP v1 requires.
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The grant of a signed JWT assertion (RFC 7523).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// A JWT assertion's lifetime: Google accepts at most an hour.
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(3_600);
/// A cached token with less life than this left is replaced before use, so a token
/// never expires between being taken from the cache and reaching FCM (and clocks that
/// disagree by a few minutes do not matter).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// What messages call the token endpoint.
const WHAT: &str = "push token endpoint";

/// An access token for FCM, and whether it was minted for the caller just now.
#[derive(Clone)]
pub struct Token {
    pub value: String,
    /// `true` when this call minted it; `false` when it came from the cache.
    pub fresh: bool,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("fresh", &self.fresh)
            .finish()
    }
}

struct Cached {
    value: String,
    expires_at: Instant,
}

/// Mints, caches and refreshes FCM access tokens for one service account.
pub struct TokenSource {
    account: ServiceAccount,
    /// The push channel's client: the SSRF guard applies to `token_uri` too.
    client: reqwest::Client,
    cached: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The JWT claims of Google's service-account flow.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

/// The token endpoint's success answer (`token_type` is always `Bearer`).
#[derive(Deserialize)]
struct Grant {
    access_token: String,
    expires_in: u64,
}

/// The token endpoint's OAuth 2.0 error answer (RFC 6749 §5.2).
#[derive(Deserialize)]
struct GrantError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenSource {
    pub fn new(account: ServiceAccount, client: reqwest::Client) -> Self {
        Self {
            account,
            client,
            cached: Mutex::new(None),
        }
    }

    /// A token with at least [`REFRESH_MARGIN`] of life left: the cached one, or a new
    /// one minted now (by exactly one caller at a time).
    pub async fn token(&self) -> Result<Token, DeliveryError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if token.expires_at > Instant::now() + REFRESH_MARGIN {
                return Ok(Token {
                    value: token.value.clone(),
                    fresh: false,
                });
            }
        }
        let minted = self.mint().await?;
        let value = minted.value.clone();
        *cached = Some(minted);
        Ok(Token { value, fresh: true })
    }

    /// Drops `value` from the cache (FCM refused it), so the next call mints afresh.
    /// A different cached token — minted meanwhile by another delivery — stays.
    pub async fn invalidate(&self, value: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.value == value) {
            *cached = None;
        }
    }

    /// Signs an assertion and exchanges it for an access token.
    async fn mint(&self) -> Result<Cached, DeliveryError> {
        // Measured before the request: the token's life is counted from no later than
        // when Google issued it.
        let started = Instant::now();
        let assertion = self.assertion()?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER_GRANT)
            .append_pair("assertion", &assertion)
            .finish();
        let response = self
            .client
            .post(&self.account.token_uri)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(form)
            .send()
            .await
            .map_err(|e| http::from_reqwest(WHAT, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| http::from_reqwest(WHAT, &e))?;
        if status.is_success() {
            // The body holds the token: a parse error says what is wrong, never quotes it.
            let grant: Grant = serde_json::from_slice(&body).map_err(|_| {
                DeliveryError::retryable(format!(
                    "{WHAT} answered {status} without an access_token and expires_in"
                ))
            })?;
            return Ok(Cached {
                value: grant.access_token,
                expires_at: started + Duration::from_secs(grant.expires_in),
            });
        }
        match http::classify(WHAT, status, &headers) {
            Err(DeliveryError::Permanent { message }) => {
                Err(DeliveryError::permanent(refusal(&message, status, &body)))
            }
            // 408, 429 (with its Retry-After), 5xx: Google's side, worth another attempt.
            Err(retry) => Err(retry),
            // Not reached: a success was handled above.
            Ok(()) => Err(DeliveryError::retryable(format!(
                "{WHAT} answered {status}"
            ))),
        }
    }

    /// The signed JWT of Google's service-account flow.
    fn assertion(&self) -> Result<String, DeliveryError> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| DeliveryError::retryable("the system clock is before 1970"))?
            .as_secs();
        let claims = Claims {
            iss: &self.account.client_email,
            scope: FCM_SCOPE,
            aud: &self.account.token_uri,
            iat,
            exp: iat + ASSERTION_LIFETIME.as_secs(),
        };
        // `Header::new` sets "typ": "JWT".
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.account.key).map_err(
            |e| DeliveryError::permanent(format!("signing the service-account assertion: {e}")),
        )
    }
}

/// The message of a permanent refusal: Google's `error` code and description (they
/// name the problem, never the key), and where to look.
fn refusal(message: &str, status: StatusCode, body: &[u8]) -> String {
    let detail = serde_json::from_slice::<GrantError>(body)
        .ok()
        .map(|e| {
            let mut text = format!(": {}", clip(&e.error));
            if let Some(description) = e.error_description.filter(|d| !d.is_empty()) {
                text.push_str(&format!(" ({})", clip(&description)));
            }
            text
        })
        .unwrap_or_default();
    let hint = if matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED) {
        " — check PUSH_SERVICE_ACCOUNT_FILE: the key may be revoked or the account disabled"
    } else {
        ""
    };
    format!("{message}{detail}{hint}")
}

/// At most 200 characters of a far side's text.
fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}
