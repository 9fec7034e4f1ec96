//! `RABBITMQ_URL` and `RABBITMQ_CONSUMER_GROUP`: read once, the same way, by the API
//! and the workers.

use std::sync::Arc;

use super::wake::WakeAddress;
use super::{Dispatch, EmbeddedDispatch, RabbitDispatch, Topology, DEFAULT_CONSUMER_GROUP};
use crate::config::{ConfigError, Env, Secret};
use crate::store::StoreConfig;

/// Longest consumer group: queue names are the group and a suffix of at most 22
/// characters (`.notification.critical`), and RabbitMQ allows 255.
pub const MAX_CONSUMER_GROUP_LEN: usize = 200;

/// Where dispatch goes: RabbitMQ at `url`, or embedded when there is none.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// `RABBITMQ_URL`; `None` is embedded mode (the workers' poller dispatches).
    pub url: Option<Secret<String>>,
    /// `RABBITMQ_CONSUMER_GROUP`: the prefix of every queue and exchange name.
    pub consumer_group: String,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self::embedded()
    }
}

impl BrokerConfig {
    /// No broker.
    pub fn embedded() -> Self {
        Self {
            url: None,
            consumer_group: DEFAULT_CONSUMER_GROUP.to_owned(),
        }
    }

    /// RabbitMQ at `url`, consumer group `group`.
    pub fn rabbitmq(url: &str, group: &str) -> Self {
        Self {
            url: Some(Secret::new(url.to_owned())),
            consumer_group: group.to_owned(),
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.var("RABBITMQ_URL").map(|url| url.trim().to_owned());
        if let Some(url) = &url {
            check_amqp_url(url).map_err(|m| ConfigError::new("RABBITMQ_URL", m))?;
        }
        let consumer_group = env
            .var("RABBITMQ_CONSUMER_GROUP")
            .map(|g| g.trim().to_owned())
            .unwrap_or_else(|| DEFAULT_CONSUMER_GROUP.to_owned());
        check_consumer_group(&consumer_group)
            .map_err(|m| ConfigError::new("RABBITMQ_CONSUMER_GROUP", m))?;
        Ok(Self {
            url: url.map(Secret::new),
            consumer_group,
        })
    }

    pub fn is_embedded(&self) -> bool {
        self.url.is_none()
    }

    /// The broker URL, when there is one. Never log it: it may hold a password.
    pub fn url(&self) -> Option<&str> {
        self.url.as_ref().map(|url| url.expose().as_str())
    }

    pub fn topology(&self) -> Topology {
        Topology::new(&self.consumer_group)
    }

    /// The publishing side of dispatch: a lazily connecting RabbitMQ publisher, or
    /// without a broker the doorbell of the pollers of `store`.
    pub fn dispatch(&self, store: &StoreConfig) -> Arc<dyn Dispatch> {
        match self.url() {
            Some(url) => Arc::new(RabbitDispatch::lazy(url, self.topology())),
            None => Arc::new(EmbeddedDispatch::new(WakeAddress::for_store(store))),
        }
    }
}

/// An `amqp://` or `amqps://` URL the client can use. The message never repeats the
/// URL: it may hold a password.
pub fn check_amqp_url(url: &str) -> Result<(), String> {
    let scheme_ok = url.starts_with("amqp://") || url.starts_with("amqps://");
    if !scheme_ok {
        return Err("must be an amqp:// or amqps:// URL".into());
    }
    url.parse::<lapin::uri::AMQPUri>()
        .map(|_| ())
        .map_err(|_| "is not a valid AMQP URL (amqp://user:password@host:port/vhost)".into())
}

/// Group names become queue names: keep them short and free of odd characters.
pub fn check_consumer_group(group: &str) -> Result<(), String> {
    let ok = !group.is_empty()
        && group.len() <= MAX_CONSUMER_GROUP_LEN
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{group:?}: use 1 to {MAX_CONSUMER_GROUP_LEN} of A-Z a-z 0-9 - _ ."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amqp_urls_are_checked_without_echoing_them() {
        assert!(check_amqp_url("amqp://guest:guest@127.0.0.1:5672/%2f").is_ok());
        assert!(check_amqp_url("amqps://u:p@rabbit.example.com/").is_ok());
        let err = check_amqp_url("http://user:hunter2@host/").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(check_amqp_url("amqp://u:p@host:notaport/").is_err());
    }

    #[test]
    fn consumer_groups_are_checked() {
        assert!(check_consumer_group("notification-workers").is_ok());
        assert!(check_consumer_group("").is_err());
        assert!(check_consumer_group("a b").is_err());
        assert!(check_consumer_group("a/b").is_err());
        assert!(check_consumer_group(&"g".repeat(MAX_CONSUMER_GROUP_LEN)).is_ok());
        assert!(check_consumer_group(&"g".repeat(MAX_CONSUMER_GROUP_LEN + 1)).is_err());
    }

    #[test]
    fn the_broker_is_read_once_and_its_url_never_printed() {
        let env = Env::from_pairs([
            ("RABBITMQ_URL", "amqp://herald:hunter2@rabbit:5672/%2f"),
            ("RABBITMQ_CONSUMER_GROUP", "eu-1"),
        ]);
        let broker = BrokerConfig::from_env(&env).unwrap();
        assert_eq!(broker.topology().group(), "eu-1");
        assert!(!format!("{broker:?}").contains("hunter2"));
        assert!(BrokerConfig::from_env(&Env::default())
            .unwrap()
            .is_embedded());
        let bad = env.clone().with("RABBITMQ_URL", "http://x");
        assert_eq!(
            BrokerConfig::from_env(&bad).unwrap_err().var,
            "RABBITMQ_URL"
        );
        let bad = env.with("RABBITMQ_CONSUMER_GROUP", "a b");
        let err = BrokerConfig::from_env(&bad).unwrap_err();
        assert_eq!(err.var, "RABBITMQ_CONSUMER_GROUP");
    }
}
