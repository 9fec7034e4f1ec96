//! The `sms` channel, on Twilio's Programmable Messaging API
//! (<https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>):
//!
//! ```text
//! POST {SMS_BASE_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json
//! Authorization: Basic base64(SMS_ACCOUNT_SID:SMS_AUTH_TOKEN)
//! Content-Type: application/x-www-form-urlencoded
//! I-Twilio-Idempotency-Token: <job id>
//!
//! To=<recipient.address>&From=<SMS_FROM>&Body=<text>
//! ```
//!
//! Twilio answers 201 with the queued message. Its answers are classified like every
//! HTTP provider's ([`super::http`]): 429 and 5xx retry, other 4xx (an invalid `To`,
//! bad credentials) are permanent. The idempotency token is the job id; Twilio uses this
//! header on its own webhooks and does not document deduplicating API requests on it,
//! so it is best effort — a retry after a lost answer may send the text twice.
//!
//! The base URL is the operator's, and still goes through the SSRF guard
//! (`herald_core::ssrf`): a literal internal address stops the worker at start-up, a
//! name resolving inside fails the delivery permanently — unless its range is in
//! `WEBHOOK_ALLOWED_CIDRS` (an internal gateway, a test server).

use std::time::Duration;

use async_trait::async_trait;

use herald_core::config::{ConfigError, Env, Secret};
use herald_core::notification::Channel;
use herald_core::ssrf::TargetGuard;
use reqwest::header::{HeaderValue, CONTENT_TYPE};

use super::http;
use super::{DeliveryError, Message, Transport};

#[derive(Debug, Clone)]
pub struct SmsTransport {
    client: reqwest::Client,
    /// `…/2010-04-01/Accounts/{sid}/Messages.json`.
    endpoint: String,
    account_sid: String,
    auth_token: String,
    from: String,
    /// Host of the base URL: the circuit breaker's key.
    provider: String,
}

impl SmsTransport {
    /// `guard`: the SSRF guard with the operator's allow-list, for the provider's
    /// resolved addresses.
    pub fn new(config: &SmsConfig, guard: TargetGuard) -> anyhow::Result<Self> {
        let client = super::http::provider_client(config.timeout, guard)?;
        let provider = super::http::provider_host(&config.base_url, "sms")?;
        Ok(Self {
            client,
            endpoint: format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                config.base_url, config.account_sid
            ),
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.expose().clone(),
            from: config.from.clone(),
            provider,
        })
    }
}

/// The form body Twilio expects.
fn form(to: &str, from: &str, body: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("To", to)
        .append_pair("From", from)
        .append_pair("Body", body)
        .finish()
}

#[async_trait]
impl Transport for SmsTransport {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn provider(&self, _message: &Message<'_>) -> String {
        self.provider.clone()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let mut request = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(form(
                message.address().as_str(),
                &self.from,
                &message.text(),
            ));
        if let Ok(token) = HeaderValue::from_str(message.job.id.as_str()) {
            request = request.header("i-twilio-idempotency-token", token);
        }
        http::send("SMS provider", request).await
    }
}

/// Twilio's REST API.
pub const DEFAULT_SMS_BASE_URL: &str = "https://api.twilio.com";

/// What the sms channel (Twilio's Messages API) needs.
#[derive(Clone)]
pub struct SmsConfig {
    /// Without a trailing slash.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: Secret<String>,
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &self.auth_token)
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmsConfig {
    /// The sms channel's variables; `None` when `SMS_ACCOUNT_SID` is unset.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(account_sid) = env.var("SMS_ACCOUNT_SID") else {
            return match ["SMS_AUTH_TOKEN", "SMS_FROM"]
                .into_iter()
                .find(|n| env.var(n).is_some())
            {
                Some(name) => Err(ConfigError::new(
                    "SMS_ACCOUNT_SID",
                    format!("must be set when {name} is"),
                )),
                None => Ok(None),
            };
        };
        let account_sid = http::path_segment("SMS_ACCOUNT_SID", &account_sid)?;
        let auth_token = env.var("SMS_AUTH_TOKEN").ok_or_else(|| {
            ConfigError::new("SMS_AUTH_TOKEN", "must be set when SMS_ACCOUNT_SID is")
        })?;
        let from = env
            .var("SMS_FROM")
            .ok_or_else(|| ConfigError::new("SMS_FROM", "must be set when SMS_ACCOUNT_SID is"))?;
        Ok(Some(SmsConfig {
            base_url: http::base_url(env, "SMS_BASE_URL", DEFAULT_SMS_BASE_URL)?,
            account_sid,
            auth_token: Secret::new(auth_token.trim().to_owned()),
            from: from.trim().to_owned(),
            timeout: env.millis_or("SMS_TIMEOUT_MS", http::DEFAULT_PROVIDER_TIMEOUT)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_url_encoded() {
        assert_eq!(
            form("+15558675310", "+15017122661", "Hi & bye = 100%"),
            "To=%2B15558675310&From=%2B15017122661&Body=Hi+%26+bye+%3D+100%25"
        );
    }
}
