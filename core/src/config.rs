//! Reading configuration from the environment. Every value is checked at start-up;
//! a bad one stops the process with a message naming the variable (DESIGN §9).

use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::store::mongo::{self, MongoConfig, WriteConcernSetting};
use crate::store::sqlite::{self, SqliteConfig};

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

/// The variable's value; unset and empty are the same.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Parses `name`, or returns `default` when it is unset.
pub fn parse_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| ConfigError::new(name, format!("{raw:?}: {e}"))),
    }
}

/// A positive integer (counts, sizes), or `default`.
pub fn positive_or(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    let n: u64 = parse_or(name, default)?;
    if n == 0 {
        return Err(ConfigError::new(name, "must be at least 1"));
    }
    Ok(n)
}

/// A duration given in milliseconds (`*_MS` variables), or `default`.
pub fn millis_or(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let ms = positive_or(name, u64::try_from(default.as_millis()).unwrap_or(u64::MAX))?;
    Ok(Duration::from_millis(ms))
}

/// Which store to use: MongoDB when `MONGODB_URI` is set, otherwise SQLite.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    Sqlite(SqliteConfig),
    Mongo(MongoConfig),
}

impl StoreConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Some(uri) = var("MONGODB_URI") {
            return mongo_from_env(uri.trim()).map(StoreConfig::Mongo);
        }
        let mut config = SqliteConfig::new(
            var("SQLITE_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(sqlite::DEFAULT_PATH)),
        );
        config.synchronous = parse_or("SQLITE_SYNCHRONOUS", config.synchronous)?;
        config.busy_timeout = millis_or("SQLITE_BUSY_TIMEOUT_MS", config.busy_timeout)?;
        config.pool_size =
            usize::try_from(positive_or("SQLITE_POOL_SIZE", config.pool_size as u64)?)
                .unwrap_or(sqlite::DEFAULT_POOL_SIZE);
        Ok(StoreConfig::Sqlite(config))
    }

    /// One line for the start-up log (no secrets).
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Sqlite(c) => format!(
                "embedded SQLite store at {} (no MONGODB_URI set)",
                c.path.display()
            ),
            StoreConfig::Mongo(c) => c.describe(),
        }
    }
}

/// The MongoDB settings (DESIGN §9), each checked and named when wrong.
fn mongo_from_env(uri: &str) -> Result<MongoConfig, ConfigError> {
    if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
        return Err(ConfigError::new(
            "MONGODB_URI",
            "must start with mongodb:// or mongodb+srv://",
        ));
    }
    let mut config = MongoConfig::new(uri);
    if let Some(database) = var("MONGODB_DATABASE") {
        config.database = mongo::check_database_name(database.trim())
            .map_err(|e| ConfigError::new("MONGODB_DATABASE", e))?;
    }
    let pool = |name: &'static str| -> Result<Option<u32>, ConfigError> {
        match var(name) {
            None => Ok(None),
            Some(_) => {
                let n = positive_or(name, 1)?;
                u32::try_from(n)
                    .map(Some)
                    .map_err(|_| ConfigError::new(name, format!("{n} is too large")))
            }
        }
    };
    config.max_pool_size = pool("MONGODB_MAX_POOL_SIZE")?;
    config.min_pool_size = match var("MONGODB_MIN_POOL_SIZE") {
        None => None,
        Some(_) => Some(parse_or::<u32>("MONGODB_MIN_POOL_SIZE", 0)?),
    };
    if let (Some(min), Some(max)) = (config.min_pool_size, config.max_pool_size) {
        if min > max {
            return Err(ConfigError::new(
                "MONGODB_MIN_POOL_SIZE",
                format!("{min} is larger than MONGODB_MAX_POOL_SIZE ({max})"),
            ));
        }
    }
    config.write_concern =
        parse_or::<WriteConcernSetting>("MONGODB_WRITE_CONCERN", WriteConcernSetting::Majority)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_variable() {
        // Distinct names so parallel tests do not race on the environment.
        std::env::set_var("HERALD_TEST_PORT_A", "eighty");
        let err = parse_or::<u16>("HERALD_TEST_PORT_A", 3000).unwrap_err();
        assert_eq!(err.var, "HERALD_TEST_PORT_A");
        assert!(err.to_string().contains("HERALD_TEST_PORT_A"), "{err}");

        std::env::set_var("HERALD_TEST_ZERO_B", "0");
        assert!(positive_or("HERALD_TEST_ZERO_B", 5).is_err());

        assert_eq!(parse_or::<u16>("HERALD_TEST_UNSET_C", 3000), Ok(3000));
        std::env::set_var("HERALD_TEST_EMPTY_D", "  ");
        assert_eq!(parse_or::<u16>("HERALD_TEST_EMPTY_D", 7), Ok(7));
        std::env::set_var("HERALD_TEST_MS_E", "250");
        assert_eq!(
            millis_or("HERALD_TEST_MS_E", Duration::from_secs(1)),
            Ok(Duration::from_millis(250))
        );
    }

    #[test]
    fn mongodb_settings_are_read_and_checked() {
        // The only test that touches MONGODB_*: one function, so no test races another.
        let vars = [
            "MONGODB_URI",
            "MONGODB_DATABASE",
            "MONGODB_MAX_POOL_SIZE",
            "MONGODB_MIN_POOL_SIZE",
            "MONGODB_WRITE_CONCERN",
        ];
        let clear = || vars.iter().for_each(|v| std::env::remove_var(v));
        clear();
        std::env::set_var(
            "MONGODB_URI",
            "mongodb://herald:pw@db:27017/prod?replicaSet=rs0",
        );
        let StoreConfig::Mongo(c) = StoreConfig::from_env().unwrap() else {
            panic!("MONGODB_URI should select MongoDB");
        };
        assert_eq!(c.database, "prod");
        assert_eq!(c.write_concern, WriteConcernSetting::Majority);
        assert_eq!((c.max_pool_size, c.min_pool_size), (None, None));
        let line = StoreConfig::Mongo(c).describe();
        assert!(line.contains("db:27017") && !line.contains("pw"), "{line}");

        std::env::set_var("MONGODB_DATABASE", "herald_eu");
        std::env::set_var("MONGODB_MAX_POOL_SIZE", "20");
        std::env::set_var("MONGODB_MIN_POOL_SIZE", "2");
        std::env::set_var("MONGODB_WRITE_CONCERN", "1");
        let StoreConfig::Mongo(c) = StoreConfig::from_env().unwrap() else {
            panic!("MONGODB_URI should select MongoDB");
        };
        assert_eq!(c.database, "herald_eu");
        assert_eq!((c.max_pool_size, c.min_pool_size), (Some(20), Some(2)));
        assert_eq!(c.write_concern, WriteConcernSetting::Nodes(1));

        let rejected = |var: &str, value: &str| {
            std::env::set_var(var, value);
            let err = StoreConfig::from_env().unwrap_err();
            assert!(err.to_string().contains(var), "{var}={value}: {err}");
        };
        rejected("MONGODB_MIN_POOL_SIZE", "50");
        std::env::set_var("MONGODB_MIN_POOL_SIZE", "2");
        rejected("MONGODB_MAX_POOL_SIZE", "0");
        std::env::set_var("MONGODB_MAX_POOL_SIZE", "20");
        rejected("MONGODB_WRITE_CONCERN", "0");
        rejected("MONGODB_WRITE_CONCERN", "all");
        std::env::set_var("MONGODB_WRITE_CONCERN", "majority");
        rejected("MONGODB_DATABASE", "my.db");
        std::env::set_var("MONGODB_DATABASE", "herald");
        rejected("MONGODB_URI", "http://db:27017");
        clear();
        assert!(matches!(
            StoreConfig::from_env(),
            Ok(StoreConfig::Sqlite(_))
        ));
    }
}
