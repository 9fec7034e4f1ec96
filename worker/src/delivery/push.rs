//! The `push` channel, on Firebase Cloud Messaging's HTTP v1 API
//! (<https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send>):
//!
//! ```text
//! POST {PUSH_BASE_URL}/v1/projects/{PUSH_PROJECT_ID}/messages:send
//! Authorization: Bearer {PUSH_ACCESS_TOKEN}
//! Content-Type: application/json
//!
//! {"message": {"token": "<recipient.address: the device registration token>",
//!              "notification": {"title": "<subject>", "body": "<text>"},
//!              "data": {"jobId": "<job id>", "tenant": "<tenant>", "attempt": "<n>"}}}
//! ```
//!
//! FCM has no idempotency header, so the job id travels in `data` (FCM requires string
//! values there) for the app to drop a duplicate. Answers are classified like every HTTP
//! provider's ([`super::http`]): 429 (FCM's quota error, with `Retry-After`) and 5xx
//! retry; other 4xx (`INVALID_ARGUMENT`, `UNREGISTERED` as 404, an expired token as 401)
//! are permanent.
//!
//! The Bearer token is either `PUSH_ACCESS_TOKEN`, used as given (it expires after about
//! an hour: the deployment must rotate it), or minted by the worker from the
//! service-account key of `PUSH_SERVICE_ACCOUNT_FILE` and refreshed before it expires
//! ([`super::push_token`]). With a minted token, FCM's 401 means the token went bad
//! before its time (revoked, or the cache outlived it): the token is dropped and the
//! attempt is retried, so the next one mints afresh — but only when the refused token
//! came from the cache; a token minted for this very attempt and refused is not going to
//! get better, and the 401 stays permanent like every other 4xx. With
//! `PUSH_ACCESS_TOKEN` a 401 is permanent as before.
//!
//! The base URL is the operator's, and still goes through the SSRF guard
//! (`herald_core::ssrf`): a literal internal address stops the worker at start-up, a
//! name resolving inside fails the delivery permanently — unless its range is in
//! `WEBHOOK_ALLOWED_CIDRS`.

use std::sync::Arc;

use async_trait::async_trait;
use std::path::Path;
use std::time::Duration;

use herald_core::config::{ConfigError, Env, Secret};
use herald_core::notification::Channel;
use herald_core::ssrf::TargetGuard;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::json;

use super::http;
use super::push_token::ServiceAccount;
use super::push_token::{Token, TokenSource};
use super::{DeliveryError, Message, Transport};

/// What messages call FCM.
const WHAT: &str = "push provider";

#[derive(Debug, Clone)]
pub struct PushTransport {
    client: reqwest::Client,
    /// `…/v1/projects/{project}/messages:send`.
    endpoint: String,
    bearer: Bearer,
    /// Host of the base URL: the circuit breaker's key.
    provider: String,
}

/// Where the Bearer token comes from.
#[derive(Clone)]
enum Bearer {
    /// `PUSH_ACCESS_TOKEN`.
    Static(String),
    /// Minted from `PUSH_SERVICE_ACCOUNT_FILE`; shared by every clone of the channel so
    /// they share one cached token.
    Minted(Arc<TokenSource>),
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Static(<redacted>)"),
            Self::Minted(source) => f.debug_tuple("Minted").field(source).finish(),
        }
    }
}

impl PushTransport {
    /// `guard`: the SSRF guard with the operator's allow-list, for the provider's
    /// resolved addresses.
    pub fn new(config: &PushConfig, guard: TargetGuard) -> anyhow::Result<Self> {
        let client = super::http::provider_client(config.timeout, guard)?;
        let provider = super::http::provider_host(&config.base_url, "push")?;
        let bearer = match &config.auth {
            PushAuth::Static(token) => Bearer::Static(token.expose().clone()),
            // The same client: the token endpoint gets the timeout, the no-redirect
            // policy and the SSRF guard of the FCM calls.
            PushAuth::ServiceAccount(account) => {
                Bearer::Minted(Arc::new(TokenSource::new(account.clone(), client.clone())))
            }
        };
        Ok(Self {
            client,
            endpoint: format!(
                "{}/v1/projects/{}/messages:send",
                config.base_url, config.project_id
            ),
            bearer,
            provider,
        })
    }
}

/// FCM's `{"message": …}` request body.
fn body(message: &Message<'_>) -> serde_json::Value {
    json!({
        "message": {
            "token": message.address().as_str(),
            "notification": {
                "title": message.subject(),
                "body": message.text(),
            },
            "data": {
                "jobId": message.job.id.as_str(),
                "tenant": message.job.tenant.as_str(),
                "attempt": message.attempt.to_string(),
            },
        }
    })
}

#[async_trait]
impl Transport for PushTransport {
    fn channel(&self) -> Channel {
        Channel::Push
    }

    fn provider(&self, _message: &Message<'_>) -> String {
        self.provider.clone()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&body(&message))
            .map_err(|e| DeliveryError::permanent(format!("encoding the push message: {e}")))?;
        let (token, source) = match &self.bearer {
            Bearer::Static(value) => (
                Token {
                    value: value.clone(),
                    fresh: false,
                },
                None,
            ),
            // A token endpoint failure is this attempt's failure; FCM is not called.
            Bearer::Minted(source) => (source.token().await?, Some(source)),
        };
        let request = self
            .client
            .post(&self.endpoint)
            .bearer_auth(&token.value)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        let response = request
            .send()
            .await
            .map_err(|e| http::from_reqwest(WHAT, &e))?;
        let status = response.status();
        if let (StatusCode::UNAUTHORIZED, Some(source)) = (status, source) {
            source.invalidate(&token.value).await;
            if !token.fresh {
                return Err(DeliveryError::retryable(format!(
                    "{WHAT} answered {status} to the cached access token; \
                     it was dropped and the next attempt mints a new one"
                )));
            }
        }
        http::classify(WHAT, status, response.headers())
    }
}

/// Firebase Cloud Messaging's HTTP v1 API.
pub const DEFAULT_PUSH_BASE_URL: &str = "https://fcm.googleapis.com";

/// What the push channel (Firebase Cloud Messaging HTTP v1) needs.
#[derive(Clone)]
pub struct PushConfig {
    /// Without a trailing slash.
    pub base_url: String,
    pub project_id: String,
    /// How requests to FCM are authorised.
    pub auth: PushAuth,
    pub timeout: Duration,
}

impl std::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConfig")
            .field("base_url", &self.base_url)
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The push channel's credentials: exactly one of `PUSH_ACCESS_TOKEN` and
/// `PUSH_SERVICE_ACCOUNT_FILE`.
#[derive(Clone)]
pub enum PushAuth {
    /// `PUSH_ACCESS_TOKEN`, sent as given. Google's access tokens expire after about an
    /// hour, so this suits a deployment that rotates the token (and restarts the worker).
    Static(Secret<String>),
    /// `PUSH_SERVICE_ACCOUNT_FILE`: the worker mints its own access tokens from the key
    /// and refreshes them before they expire (`delivery::push_token`).
    ServiceAccount(ServiceAccount),
}

impl std::fmt::Debug for PushAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Static(<redacted>)"),
            Self::ServiceAccount(account) => {
                f.debug_tuple("ServiceAccount").field(account).finish()
            }
        }
    }
}

/// The push channel's variables; `None` when none of `PUSH_PROJECT_ID`,
/// `PUSH_ACCESS_TOKEN`, `PUSH_SERVICE_ACCOUNT_FILE` is set. With a service-account file,
/// `PUSH_PROJECT_ID` defaults to the file's `project_id` (the project the account
/// belongs to, which is usually the Firebase project).
impl PushConfig {
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        const FILE: &str = "PUSH_SERVICE_ACCOUNT_FILE";
        let project_id = env.var("PUSH_PROJECT_ID");
        let auth = match (env.var("PUSH_ACCESS_TOKEN"), env.var(FILE)) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    FILE,
                    "set either PUSH_ACCESS_TOKEN or PUSH_SERVICE_ACCOUNT_FILE, not both",
                ))
            }
            (None, None) => {
                return match project_id {
                    Some(_) => Err(ConfigError::new(
                        "PUSH_ACCESS_TOKEN",
                        "(or PUSH_SERVICE_ACCOUNT_FILE) must be set when PUSH_PROJECT_ID is",
                    )),
                    None => Ok(None),
                }
            }
            (Some(token), None) => PushAuth::Static(Secret::new(token.trim().to_owned())),
            (None, Some(path)) => PushAuth::ServiceAccount(
                ServiceAccount::load(Path::new(path.trim()))
                    .map_err(|e| ConfigError::new(FILE, e))?,
            ),
        };
        let project_id = match (project_id, &auth) {
            (Some(raw), _) => http::path_segment("PUSH_PROJECT_ID", &raw)?,
            (None, PushAuth::ServiceAccount(account)) => match &account.project_id {
                Some(raw) => http::path_segment(FILE, raw)
                    .map_err(|e| ConfigError::new(FILE, format!("project_id: {}", e.message)))?,
                None => {
                    return Err(ConfigError::new(
                        "PUSH_PROJECT_ID",
                        "must be set: the service-account file has no project_id",
                    ))
                }
            },
            (None, PushAuth::Static(_)) => {
                return Err(ConfigError::new(
                    "PUSH_PROJECT_ID",
                    "must be set when PUSH_ACCESS_TOKEN is",
                ))
            }
        };
        Ok(Some(PushConfig {
            base_url: http::base_url(env, "PUSH_BASE_URL", DEFAULT_PUSH_BASE_URL)?,
            project_id,
            auth,
            timeout: env.millis_or("PUSH_TIMEOUT_MS", http::DEFAULT_PROVIDER_TIMEOUT)?,
        }))
    }
}
