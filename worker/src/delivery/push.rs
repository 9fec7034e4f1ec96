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
//! `PUSH_ACCESS_TOKEN` is used as given: minting OAuth 2.0 tokens from a service account
//! is left to the deployment (a sidecar or secret rotation that restarts the worker).
//! The base URL is the operator's, and still goes through the SSRF guard
//! (`herald_core::ssrf`): a literal internal address stops the worker at start-up, a
//! name resolving inside fails the delivery permanently — unless its range is in
//! `WEBHOOK_ALLOWED_CIDRS`.

use async_trait::async_trait;
use herald_core::ssrf::TargetGuard;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde_json::json;

use super::http;
use super::{Channel, DeliveryError, Message};
use crate::config::PushConfig;

#[derive(Debug, Clone)]
pub struct PushChannel {
    client: reqwest::Client,
    /// `…/v1/projects/{project}/messages:send`.
    endpoint: String,
    access_token: String,
    /// Host of the base URL: the circuit breaker's key.
    provider: String,
}

impl PushChannel {
    /// `guard`: the SSRF guard with the operator's allow-list, for the provider's
    /// resolved addresses.
    pub fn new(config: &PushConfig, guard: TargetGuard) -> anyhow::Result<Self> {
        let client = super::http::provider_client(config.timeout, guard)?;
        let provider = super::http::provider_host(&config.base_url, "push")?;
        Ok(Self {
            client,
            endpoint: format!(
                "{}/v1/projects/{}/messages:send",
                config.base_url, config.project_id
            ),
            access_token: config.access_token.clone(),
            provider,
        })
    }
}

/// FCM's `{"message": …}` request body.
fn body(message: &Message<'_>) -> serde_json::Value {
    json!({
        "message": {
            "token": message.address,
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
impl Channel for PushChannel {
    fn name(&self) -> &'static str {
        "push"
    }

    fn provider(&self, _message: &Message<'_>) -> String {
        self.provider.clone()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&body(&message))
            .map_err(|e| DeliveryError::permanent(format!("encoding the push message: {e}")))?;
        http::send(
            "push provider",
            self.client
                .post(&self.endpoint)
                .bearer_auth(&self.access_token)
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body),
        )
        .await
    }
}
