//! The `webhook` channel: an HTTP POST of the notification request to
//! `recipient.address`.
//!
//! Each request carries `Idempotency-Key: <job id>` (the same on every attempt, so the
//! one duplicate the lease protocol cannot rule out — a worker dying between delivering
//! and completing — is recognisable downstream), `X-Herald-Attempt`, and, when the
//! tenant has a `WEBHOOK_SECRETS` entry, the Standard Webhooks headers (`webhook-id`:
//! the job id, `webhook-timestamp`, `webhook-signature: v1,<base64>`) and, for one more
//! release, `X-Herald-Signature: sha256=<hex>` ([`herald_core::signature`]).
//!
//! The target is tenant-chosen, so it passes the SSRF guard (`herald_core::ssrf`): an
//! IP-literal or `localhost` URL is checked before sending, and a host name is resolved
//! by [`GuardedResolver`], which gives the client only addresses the guard accepts — the
//! connection goes to a checked address or nowhere. Redirects and proxies are off: a
//! redirect could point anywhere, and through a proxy the guard would check the proxy.
//!
//! Outcomes are classified by [`super::http`]: 2xx delivered; 5xx, 408, 425, timeouts
//! and connection errors retry; 429 retries after its `Retry-After`; other statuses and
//! refused targets are permanent.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use herald_core::config::{self, ConfigError, Env, Secret};
use herald_core::notification::{Address, Channel};
use herald_core::signature::signed_headers;
use herald_core::ssrf::{Refused, TargetGuard};
use herald_core::TenantId;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

use super::http::{self, GuardedResolver};
use super::{DeliveryError, Message, Transport};

#[derive(Debug, Clone)]
pub struct WebhookTransport {
    client: reqwest::Client,
    secrets: HashMap<TenantId, Secret<String>>,
    guard: TargetGuard,
}

impl WebhookTransport {
    /// `guard`: the SSRF guard with the operator's allow-list, for the tenant's URLs.
    pub fn new(config: &WebhookConfig, guard: TargetGuard) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver::new(guard.clone()))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("herald-worker/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            secrets: config.secrets.clone(),
            guard,
        })
    }
}

/// `host[:port]` of a webhook URL, lowercase.
fn target_key(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}:{port}", host.to_ascii_lowercase()),
        (Some(host), None) => host.to_ascii_lowercase(),
        (None, _) => "invalid".to_owned(),
    }
}

/// The webhook URL of a message (the API checked it; only a webhook job has one).
fn target<'a>(message: &'a Message<'_>) -> Result<&'a url::Url, DeliveryError> {
    match message.address() {
        Address::Webhook(url) => Ok(url),
        other => Err(DeliveryError::permanent(format!(
            "a {} address is not a webhook URL",
            other.channel()
        ))),
    }
}

#[async_trait]
impl Transport for WebhookTransport {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    /// The target's `host[:port]`, so one failing endpoint opens only its own circuit.
    fn provider(&self, message: &Message<'_>) -> String {
        target(message).map_or_else(|_| "invalid".to_owned(), target_key)
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let url = target(&message)?;
        // IP literals never reach the resolver; judge them here. Names (`localhost`
        // too) are judged by the resolver on what they resolve to.
        self.guard
            .check_ip_literal(url)
            .map_err(|refused| match refused {
                Refused::Internal { .. } => http::refused_target("webhook", &refused.to_string()),
                Refused::BadUrl(e) => DeliveryError::permanent(format!("bad webhook URL: {e}")),
            })?;
        let body = serde_json::to_vec(&message.job.payload)
            .map_err(|e| DeliveryError::permanent(format!("encoding the payload: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let id = message.job.id.as_str();
        if let Ok(v) = HeaderValue::from_str(id) {
            headers.insert("idempotency-key", v.clone());
            headers.insert("x-herald-job-id", v);
        }
        headers.insert("x-herald-attempt", HeaderValue::from(message.attempt));
        if let Some(secret) = self.secrets.get(&message.job.tenant) {
            // The time of this attempt, on the wall clock the receiver compares with.
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            for (name, value) in signed_headers(secret.expose().as_bytes(), id, timestamp, &body) {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(name, v);
                }
            }
        }
        http::send(
            "webhook",
            self.client.post(url.clone()).headers(headers).body(body),
        )
        .await
    }
}

/// `WEBHOOK_TIMEOUT_MS` when unset.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// What the webhook channel needs: `WEBHOOK_SECRETS` and `WEBHOOK_TIMEOUT_MS`. (Its
/// SSRF allow-list, `WEBHOOK_ALLOWED_CIDRS`, is the worker's: the sms and push
/// providers pass the same guard.)
#[derive(Clone)]
pub struct WebhookConfig {
    /// Per-tenant HMAC keys.
    pub secrets: HashMap<TenantId, Secret<String>>,
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            secrets: HashMap::new(),
            timeout: DEFAULT_WEBHOOK_TIMEOUT,
        }
    }
}

impl WebhookConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            secrets: parse_secrets(env.var("WEBHOOK_SECRETS").as_deref())?,
            timeout: env.millis_or("WEBHOOK_TIMEOUT_MS", DEFAULT_WEBHOOK_TIMEOUT)?,
        })
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tenants: Vec<&str> = self.secrets.keys().map(TenantId::as_str).collect();
        tenants.sort_unstable();
        f.debug_struct("WebhookConfig")
            .field("secrets_for", &tenants)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `tenant:secret,tenant:secret`.
fn parse_secrets(raw: Option<&str>) -> Result<HashMap<TenantId, Secret<String>>, ConfigError> {
    config::tenant_map("WEBHOOK_SECRETS", raw, "secret", |tenant, secret| {
        // The secret itself never goes into an error message.
        if secret.len() < 8 {
            return Err(format!(
                "the secret of tenant {tenant} is shorter than 8 characters"
            ));
        }
        Ok(Secret::new(secret.to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        target_key(&url::Url::parse(raw).unwrap())
    }

    #[test]
    fn the_breaker_key_is_the_lowercase_host_and_port() {
        assert_eq!(key("https://Hooks.Example.com/a?b=c"), "hooks.example.com");
        assert_eq!(key("https://hooks.example.com:443/a"), "hooks.example.com");
        assert_eq!(
            key("http://HOOKS.example.com:8080/a"),
            "hooks.example.com:8080"
        );
        assert_eq!(key("http://[::1]:9/"), "[::1]:9");
        // What is not a URL never becomes a webhook target at all.
        assert!(Address::parse(Channel::Webhook, "not a url").is_err());
    }

    #[test]
    fn only_http_urls_are_targets() {
        let url = Address::parse(Channel::Webhook, "https://hooks.example.com/x").unwrap();
        assert!(matches!(url, Address::Webhook(_)));
        for bad in ["ftp://example.com/", "not a url", "file:///etc/passwd"] {
            assert!(Address::parse(Channel::Webhook, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_parse_and_never_echo_the_secret() {
        let secrets = parse_secrets(Some("acme:s3cretvalue, beta:another-secret")).unwrap();
        assert_eq!(secrets.len(), 2);
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(secrets[&acme].expose(), "s3cretvalue");
        let err = parse_secrets(Some("acme:short")).unwrap_err();
        assert_eq!(err.var, "WEBHOOK_SECRETS");
        assert!(!err.to_string().contains("short\""), "{err}");
        assert!(parse_secrets(Some("no-colon")).is_err());
        assert!(parse_secrets(Some("a:aaaaaaaaaa,a:bbbbbbbbbb")).is_err());
        assert!(parse_secrets(None).unwrap().is_empty());
    }
}
