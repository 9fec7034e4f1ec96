//! The console's session: a signed cookie that names the tenant and the API key it
//! logged in with (the key's name, never the key), with an expiry; and the CSRF token
//! every form carries, derived from the session's nonce.
//!
//! Cookie value: `v1|tenant|key name|expires (unix s)|nonce|hmac` where the HMAC-SHA256
//! (`CONSOLE_SESSION_SECRET`) covers everything before it. Nothing in it is secret; it
//! is only unforgeable. Each request also checks that the named key is still active in
//! the keyring, so a revoked key's session ends within the keyring's refresh.

use chrono::{DateTime, Utc};
use herald_core::TenantId;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The session cookie's name.
pub const COOKIE: &str = "herald_console";
/// The log-in form's own cookie: a nonce the form's CSRF token is bound to.
pub const LOGIN_COOKIE: &str = "herald_console_login";
/// How long a session lasts after log-in.
pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);
/// How long a log-in form stays usable.
pub const LOGIN_TTL: chrono::Duration = chrono::Duration::minutes(30);
/// Shortest `CONSOLE_SESSION_SECRET` accepted.
pub const MIN_SECRET_LEN: usize = 32;

/// `CONSOLE_SESSION_SECRET`: the key that signs sessions and CSRF tokens. `Debug`
/// hides it.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(..)")
    }
}

impl SessionSecret {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() < MIN_SECRET_LEN {
            return Err(format!("at least {MIN_SECRET_LEN} characters"));
        }
        Ok(Self(raw.as_bytes().to_vec()))
    }

    fn mac(&self, parts: &[&str]) -> String {
        // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"|");
        }
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, parts: &[&str], presented: &str) -> bool {
        let expected = self.mac(parts);
        bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// A new session for a tenant's key.
    pub fn issue(&self, tenant: &TenantId, key_name: &str, now: DateTime<Utc>) -> Session {
        Session {
            tenant: tenant.clone(),
            key_name: key_name.to_owned(),
            // Whole seconds: what the cookie holds.
            expires: DateTime::from_timestamp((now + SESSION_TTL).timestamp(), 0)
                .unwrap_or(now + SESSION_TTL),
            nonce: nonce(),
        }
    }

    /// The cookie value of a session.
    pub fn seal(&self, session: &Session) -> String {
        let expires = session.expires.timestamp().to_string();
        let parts = [
            "v1",
            session.tenant.as_str(),
            &session.key_name,
            &expires,
            &session.nonce,
        ];
        format!("{}|{}", parts.join("|"), self.mac(&parts))
    }

    /// The session a cookie value holds, if it is ours, intact and not expired.
    pub fn open(&self, value: &str, now: DateTime<Utc>) -> Option<Session> {
        let parts: Vec<&str> = value.split('|').collect();
        let [version, tenant, key_name, expires, nonce, mac] = parts.as_slice() else {
            return None;
        };
        if *version != "v1" || !self.verify(&parts[..5], mac) {
            return None;
        }
        let expires = DateTime::from_timestamp(expires.parse().ok()?, 0)?;
        if expires <= now {
            return None;
        }
        Some(Session {
            tenant: TenantId::parse(tenant).ok()?,
            key_name: (*key_name).to_owned(),
            expires,
            nonce: (*nonce).to_owned(),
        })
    }

    /// The CSRF token of a session's forms.
    pub fn csrf(&self, session: &Session) -> String {
        self.mac(&["csrf", &session.nonce])
    }

    pub fn check_csrf(&self, session: &Session, presented: &str) -> bool {
        self.verify(&["csrf", &session.nonce], presented)
    }

    /// A log-in form's nonce (its cookie) and token (its hidden field).
    pub fn login_form(&self, now: DateTime<Utc>) -> (String, String) {
        let expires = (now + LOGIN_TTL).timestamp().to_string();
        let nonce = format!("{expires}.{}", nonce());
        let token = self.mac(&["login", &nonce]);
        (nonce, token)
    }

    pub fn check_login_form(&self, nonce: &str, token: &str, now: DateTime<Utc>) -> bool {
        let fresh = nonce
            .split_once('.')
            .and_then(|(expires, _)| expires.parse::<i64>().ok())
            .is_some_and(|expires| expires > now.timestamp());
        fresh && self.verify(&["login", nonce], token)
    }
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A logged-in console user: a tenant, through one of its API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub tenant: TenantId,
    /// The keyring's name of the key (`env#N` or a stored key's id).
    pub key_name: String,
    pub expires: DateTime<Utc>,
    nonce: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SessionSecret {
        SessionSecret::parse("an-example-secret-of-32-characters!!")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sealed_session_opens_until_it_expires_and_not_when_altered() {
        let s = secret();
        let now = Utc::now();
        let tenant = TenantId::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let session = s.issue(&tenant, "env#1", now);
        let value = s.seal(&session);
        assert_eq!(s.open(&value, now), Some(session.clone()));
        assert_eq!(s.open(&value, now + SESSION_TTL), None, "expired");
        let forged = value.replacen("acme", "globex", 1);
        assert_eq!(s.open(&forged, now), None, "another tenant");
        let other = SessionSecret::parse("another-secret-of-at-least-32-chars")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(other.open(&value, now), None, "another secret");
        assert_eq!(s.open("v1|acme|env#1|9999999999|n|", now), None);
        assert!(
            !value.contains("key-"),
            "the key itself is never in the cookie"
        );
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session_and_login_forms_expire() {
        let s = secret();
        let now = Utc::now();
        let tenant = TenantId::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (
            s.issue(&tenant, "env#1", now),
            s.issue(&tenant, "env#1", now),
        );
        let token = s.csrf(&a);
        assert!(s.check_csrf(&a, &token));
        assert!(!s.check_csrf(&b, &token));
        assert!(!s.check_csrf(&a, "forged"));
        let (nonce, token) = s.login_form(now);
        assert!(s.check_login_form(&nonce, &token, now));
        assert!(!s.check_login_form(&nonce, &token, now + LOGIN_TTL));
        assert!(!s.check_login_form(&nonce, "forged", now));
        assert!(SessionSecret::parse("short").is_err());
    }
}
