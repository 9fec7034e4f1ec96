//! Reading configuration from the environment. Every value is checked at start-up;
//! a bad one stops the process with a message naming the variable (DESIGN §9).

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

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
}
