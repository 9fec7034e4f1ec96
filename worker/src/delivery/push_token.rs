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

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::http;
use super::DeliveryError;

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

/// Google's default OAuth 2.0 token endpoint, for a key file without `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// A Google service-account key (the JSON file the Cloud console hands out), read and
/// checked at start-up so a wrong file stops the worker instead of failing every push.
/// Only the fields the token flow needs are kept; the private key only as a signing key.
#[derive(Clone)]
pub struct ServiceAccount {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// `client_email`: the JWT's issuer.
    pub client_email: String,
    /// `token_uri`: where assertions are exchanged for access tokens, and the JWT's
    /// audience.
    pub token_uri: String,
    /// `project_id`, the default of `PUSH_PROJECT_ID`.
    pub project_id: Option<String>,
    /// `private_key` (PEM, RSA), parsed. Never logged.
    pub key: jsonwebtoken::EncodingKey,
}

impl ServiceAccount {
    /// Reads and checks the key file at `path`. Messages name the file and the field,
    /// never a field's value: the file holds a private key.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(path, &text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The key file's content. Parsed as a generic JSON value first, so a field of the
    /// wrong type is reported by name rather than by serde's message (which can quote
    /// the value).
    pub fn parse(path: &Path, text: &[u8]) -> Result<Self, String> {
        let json: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
            // Position only: serde's syntax errors carry no content.
            format!(
                "not a JSON service-account key (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if !json.is_object() {
            return Err("not a JSON service-account key (expected an object)".into());
        }
        let field = |name: &str| -> Result<Option<String>, String> {
            match json.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_owned())),
                Some(_) => Err(format!("field {name} is not a string")),
            }
        };
        let required =
            |name: &str| field(name)?.ok_or_else(|| format!("field {name} is missing or empty"));
        if let Some(kind) = field("type")? {
            if kind != "service_account" {
                return Err(format!(
                    "type is {kind:?}, expected \"service_account\" (a service-account key)"
                ));
            }
        }
        let client_email = required("client_email")?;
        let private_key = required("private_key")?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key.as_bytes())
            .map_err(|e| format!("private_key is not a PEM RSA private key: {e}"))?;
        // The PEM parse above does not look inside the key; signing once does, so a
        // damaged key fails here and not at the first delivery.
        probe_sign(&key).map_err(|e| format!("private_key cannot sign: {e}"))?;
        let token_uri = field("token_uri")?.unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        let parsed =
            url::Url::parse(&token_uri).map_err(|e| format!("token_uri is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err("token_uri must be an http:// or https:// URL".into());
        }
        Ok(Self {
            path: path.to_owned(),
            client_email,
            token_uri,
            project_id: field("project_id")?,
            key,
        })
    }
}

/// Signs a throwaway JWT with `key`.
fn probe_sign(key: &jsonwebtoken::EncodingKey) -> Result<(), jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &serde_json::json!({"probe": true}), key).map(|_| ())
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("path", &self.path)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("project_id", &self.project_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::push::PushAuth;

    #[test]
    fn service_account_keys_are_parsed_and_never_shown() {
        let key = include_str!("../../tests/fixtures/push-test-key.pem");
        let path = Path::new("sa.json");
        let file = |fields: serde_json::Value| serde_json::to_vec(&fields).unwrap();
        let account = ServiceAccount::parse(
            path,
            &file(serde_json::json!({
                "type": "service_account", "client_email": "a@p.iam.gserviceaccount.com",
                "private_key": key, "project_id": "p"})),
        )
        .unwrap();
        assert_eq!(account.token_uri, DEFAULT_TOKEN_URI);
        assert_eq!(account.project_id.as_deref(), Some("p"));
        let body = key.lines().nth(1).unwrap();
        let shown = format!("{:?}", PushAuth::ServiceAccount(account));
        assert!(!shown.contains(body), "{shown}");
        assert!(!format!("{:?}", PushAuth::Static("ya29.x".into())).contains("ya29"));
        for (bad, expected) in [
            (b"nope".to_vec(), "not a JSON"),
            (file(serde_json::json!(["a"])), "expected an object"),
            (
                file(serde_json::json!({"private_key": key})),
                "client_email",
            ),
            (
                file(serde_json::json!({"client_email": "a@b"})),
                "private_key",
            ),
            (
                file(serde_json::json!({"client_email": "a@b", "private_key": 7})),
                "private_key is not a string",
            ),
            (
                file(
                    serde_json::json!({"client_email": "a@b", "private_key": key.replace('M', "N")}),
                ),
                "private_key",
            ),
            (
                file(
                    serde_json::json!({"client_email": "a@b", "private_key": key, "token_uri": "ftp://x"}),
                ),
                "token_uri",
            ),
            (
                file(
                    serde_json::json!({"type": "authorized_user", "client_email": "a@b", "private_key": key}),
                ),
                "service_account",
            ),
        ] {
            let err = ServiceAccount::parse(path, &bad).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(!err.contains(body), "{err}");
        }
    }
}
