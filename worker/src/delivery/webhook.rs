//! The `webhook` channel: an HTTP POST of the notification request to
//! `recipient.address`.
//!
//! Each request carries `Idempotency-Key: <job id>` (the same on every attempt, so the
//! one duplicate the lease protocol cannot rule out — a worker dying between delivering
//! and completing — is recognisable downstream), `X-Herald-Attempt`, and, when the
//! tenant has a `WEBHOOK_SECRETS` entry, `X-Herald-Signature: sha256=<hex>` — the
//! HMAC-SHA256 of the exact body bytes under that secret.
//!
//! Status mapping (DESIGN §5): 2xx delivered; 5xx, 408, timeouts and connection errors
//! retry with the policy's backoff; 429 retries after its `Retry-After`; any other
//! status (4xx, and 3xx because redirects are not followed) is permanent.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use sha2::Sha256;

use super::{Channel, DeliveryError, Message};
use crate::config::{Cidr, WebhookConfig};
use herald_core::TenantId;

/// The longest `Retry-After` honoured; a larger request is clamped to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3_600);

#[derive(Debug, Clone)]
pub struct WebhookChannel {
    client: reqwest::Client,
    secrets: HashMap<TenantId, String>,
    allowed: Vec<Cidr>,
}

impl WebhookChannel {
    pub fn new(config: &WebhookConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            // A redirect could point anywhere, including at a private address.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .user_agent(concat!("herald-worker/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            secrets: config.secrets.clone(),
            allowed: config.allowed_cidrs.clone(),
        })
    }

    /// Refuses loopback, private, link-local and unspecified targets unless
    /// `WEBHOOK_ALLOWED_CIDRS` lists them. A first guard on the resolved addresses; the
    /// channels issue pins the connection to the checked address.
    async fn check_target(&self, url: &reqwest::Url) -> Result<(), DeliveryError> {
        let host = url
            .host_str()
            .ok_or_else(|| DeliveryError::permanent("webhook URL has no host"))?;
        let port = url.port_or_known_default().unwrap_or(443);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| DeliveryError::retryable(format!("resolving {host}: {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        for ip in addrs {
            if is_internal(ip) && !self.allowed.iter().any(|c| c.contains(ip)) {
                return Err(DeliveryError::permanent(format!(
                    "webhook target {ip} is a private or loopback address \
                     (allow it with WEBHOOK_ALLOWED_CIDRS)"
                )));
            }
        }
        Ok(())
    }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // CGNAT 100.64/10
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                    || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
            }
        },
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = match raw.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[async_trait]
impl Channel for WebhookChannel {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let url = reqwest::Url::parse(message.address)
            .map_err(|e| DeliveryError::permanent(format!("bad webhook URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(DeliveryError::permanent(
                "webhook URL must be http or https",
            ));
        }
        self.check_target(&url).await?;
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
            if let Ok(v) = HeaderValue::from_str(&signature(secret, &body)) {
                headers.insert("x-herald-signature", v);
            }
        }
        let response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let what = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                DeliveryError::retryable(format!("webhook {what}: {e}"))
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let message = format!("webhook answered {status}");
        if status == StatusCode::TOO_MANY_REQUESTS {
            Err(DeliveryError::Retryable {
                message,
                retry_after: retry_after(response.headers()),
            })
        } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
            Err(DeliveryError::retryable(message))
        } else {
            Err(DeliveryError::permanent(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "100.64.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "100.128.0.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
