//! Which store a process opens, read from the environment (`docs/operations.md`): MongoDB when
//! `MONGODB_URI` is set, otherwise the embedded SQLite file. Every value is checked at
//! start-up; a bad one is a [`ConfigError`] naming the variable.

use std::path::PathBuf;

use super::mongo::{self, MongoConfig, WriteConcernSetting};
use super::sqlite::{self, SqliteConfig};
use super::Lifecycle;
use crate::config::{ConfigError, Env};

/// Which store to use: MongoDB when `MONGODB_URI` is set, otherwise SQLite.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    Sqlite(SqliteConfig),
    Mongo(MongoConfig),
}

impl StoreConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let lifecycle = Lifecycle::from_env(env)?;
        if let Some(uri) = env.var("MONGODB_URI") {
            let mut config = mongo_from_env(env, uri.trim())?;
            config.lifecycle = lifecycle;
            return Ok(StoreConfig::Mongo(config));
        }
        let mut config = SqliteConfig::new(
            env.var("SQLITE_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(sqlite::DEFAULT_PATH)),
        );
        config.synchronous = env.parse_or("SQLITE_SYNCHRONOUS", config.synchronous)?;
        config.busy_timeout = env.millis_or("SQLITE_BUSY_TIMEOUT_MS", config.busy_timeout)?;
        config.pool_size =
            usize::try_from(env.positive_or("SQLITE_POOL_SIZE", config.pool_size as u64)?)
                .unwrap_or(sqlite::DEFAULT_POOL_SIZE);
        config.lifecycle = lifecycle;
        Ok(StoreConfig::Sqlite(config))
    }

    /// What the store keeps, and for how long.
    pub fn lifecycle(&self) -> &Lifecycle {
        match self {
            StoreConfig::Sqlite(c) => &c.lifecycle,
            StoreConfig::Mongo(c) => &c.lifecycle,
        }
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

/// The MongoDB settings (`docs/operations.md`), each checked and named when wrong.
fn mongo_from_env(env: &Env, uri: &str) -> Result<MongoConfig, ConfigError> {
    if !(uri.starts_with("mongodb://") || uri.starts_with("mongodb+srv://")) {
        return Err(ConfigError::new(
            "MONGODB_URI",
            "must start with mongodb:// or mongodb+srv://",
        ));
    }
    let mut config = MongoConfig::new(uri);
    if let Some(database) = env.var("MONGODB_DATABASE") {
        config.database = mongo::check_database_name(database.trim())
            .map_err(|e| ConfigError::new("MONGODB_DATABASE", e))?;
    }
    let pool = |name: &'static str| -> Result<Option<u32>, ConfigError> {
        match env.var(name) {
            None => Ok(None),
            Some(_) => {
                let n = env.positive_or(name, 1)?;
                u32::try_from(n)
                    .map(Some)
                    .map_err(|_| ConfigError::new(name, format!("{n} is too large")))
            }
        }
    };
    config.max_pool_size = pool("MONGODB_MAX_POOL_SIZE")?;
    config.min_pool_size = match env.var("MONGODB_MIN_POOL_SIZE") {
        None => None,
        Some(_) => Some(env.parse_or::<u32>("MONGODB_MIN_POOL_SIZE", 0)?),
    };
    if let (Some(min), Some(max)) = (config.min_pool_size, config.max_pool_size) {
        if min > max {
            return Err(ConfigError::new(
                "MONGODB_MIN_POOL_SIZE",
                format!("{min} is larger than MONGODB_MAX_POOL_SIZE ({max})"),
            ));
        }
    }
    config.write_concern = env
        .parse_or::<WriteConcernSetting>("MONGODB_WRITE_CONCERN", WriteConcernSetting::Majority)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mongodb_settings_are_read_and_checked() {
        let mut env = Env::default().with(
            "MONGODB_URI",
            "mongodb://herald:pw@db:27017/prod?replicaSet=rs0",
        );
        let StoreConfig::Mongo(c) = StoreConfig::from_env(&env).unwrap() else {
            panic!("MONGODB_URI should select MongoDB");
        };
        assert_eq!(c.database, "prod");
        assert_eq!(c.write_concern, WriteConcernSetting::Majority);
        assert_eq!((c.max_pool_size, c.min_pool_size), (None, None));
        let line = StoreConfig::Mongo(c).describe();
        assert!(line.contains("db:27017") && !line.contains("pw"), "{line}");

        env = env
            .with("MONGODB_DATABASE", "herald_eu")
            .with("MONGODB_MAX_POOL_SIZE", "20")
            .with("MONGODB_MIN_POOL_SIZE", "2")
            .with("MONGODB_WRITE_CONCERN", "1");
        let StoreConfig::Mongo(c) = StoreConfig::from_env(&env).unwrap() else {
            panic!("MONGODB_URI should select MongoDB");
        };
        assert_eq!(c.database, "herald_eu");
        assert_eq!((c.max_pool_size, c.min_pool_size), (Some(20), Some(2)));
        assert_eq!(c.write_concern, WriteConcernSetting::Nodes(1));

        let rejected = |var: &str, value: &str| {
            let err = StoreConfig::from_env(&env.clone().with(var, value)).unwrap_err();
            assert!(err.to_string().contains(var), "{var}={value}: {err}");
        };
        rejected("MONGODB_MIN_POOL_SIZE", "50");
        rejected("MONGODB_MAX_POOL_SIZE", "0");
        rejected("MONGODB_WRITE_CONCERN", "0");
        rejected("MONGODB_WRITE_CONCERN", "all");
        rejected("MONGODB_DATABASE", "my.db");
        rejected("MONGODB_URI", "http://db:27017");
        assert!(matches!(
            StoreConfig::from_env(&Env::default()),
            Ok(StoreConfig::Sqlite(_))
        ));
    }
}
