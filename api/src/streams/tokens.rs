//! Player tokens (`docs/streams.md`): short-lived, signed, scoped to one match and
//! optionally one player, so a browser follows a match without a tenant API key.
//!
//! A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, first part))`.
//! It is signed with the first `STREAM_TOKEN_SECRET` and checked against every one, so
//! an operator rotates by putting the new secret first, waiting out the longest token
//! lifetime, then dropping the old one. Nothing is stored: any instance that shares a
//! secret checks any token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use herald_core::{JobId, TenantId};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The shortest secret accepted: 32 bytes, the HMAC-SHA256 block's half.
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest lifetime a token may be issued for.
pub const MAX_TTL_SEC: u64 = 24 * 3600;

/// `STREAM_TOKEN_SECRET`: one or more comma-separated secrets, the first signs.
#[derive(Clone)]
pub struct TokenSecrets(Vec<Vec<u8>>);

impl std::fmt::Debug for TokenSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSecrets({} secret(s), redacted)", self.0.len())
    }
}

impl TokenSecrets {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let secrets: Vec<Vec<u8>> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec())
            .collect();
        if secrets.is_empty() {
            return Err("expected at least one secret (comma-separated for rotation)".into());
        }
        if let Some(i) = secrets.iter().position(|s| s.len() < MIN_SECRET_BYTES) {
            return Err(format!(
                "secret #{} is shorter than {MIN_SECRET_BYTES} bytes",
                i + 1
            ));
        }
        Ok(Self(secrets))
    }

    fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(payload.as_bytes());
        mac
    }

    /// A token for `claims`, signed with the first secret.
    pub fn issue(&self, claims: &Claims) -> String {
        // Claims are plain strings and numbers: they always encode.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = Self::mac(&self.0[0], &payload).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The claims of a token signed by any of the secrets and not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signed = self
            .0
            .iter()
            .any(|secret| Self::mac(secret, payload).verify_slice(&signature).is_ok());
        if !signed {
            return Err(TokenError::BadSignature);
        }
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
        if claims.expires <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// What a token grants: following match `m` of tenant `t` (and sending as player `p`)
/// until `e` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "t")]
    pub tenant: String,
    #[serde(rename = "m")]
    pub match_id: String,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    #[serde(rename = "e")]
    pub expires: i64,
}

impl Claims {
    pub fn new(
        tenant: &TenantId,
        match_id: &JobId,
        player_id: Option<String>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant: tenant.as_str().to_owned(),
            match_id: match_id.as_str().to_owned(),
            player_id,
            expires: expires_at.timestamp(),
        }
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.expires, 0)
    }
}

/// Why a token was refused (all of them are a 401 to the client; the log tells them
/// apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a-stream-token-secret-of-32-bytes!!";
    const B: &str = "another-stream-token-secret-32-bytes";

    fn claims(expires_in: i64) -> Claims {
        Claims::new(
            &TenantId::parse("acme").unwrap(),
            &JobId::new(),
            Some("ann".into()),
            Utc::now() + chrono::Duration::seconds(expires_in),
        )
    }

    #[test]
    fn secrets_are_checked_for_length() {
        assert!(TokenSecrets::parse("short").is_err());
        assert!(TokenSecrets::parse("").is_err());
        assert!(TokenSecrets::parse(&format!("{A},short")).is_err());
        assert!(TokenSecrets::parse(&format!("{A}, {B}")).is_ok());
        let shown = format!("{:?}", TokenSecrets::parse(A).unwrap());
        assert!(!shown.contains(A), "{shown}");
    }

    #[test]
    fn a_token_verifies_until_it_expires_and_not_once_tampered() {
        let secrets = TokenSecrets::parse(A).unwrap();
        let c = claims(60);
        let token = secrets.issue(&c);
        assert_eq!(secrets.verify(&token, Utc::now()), Ok(c.clone()));
        let later = Utc::now() + chrono::Duration::seconds(61);
        assert_eq!(secrets.verify(&token, later), Err(TokenError::Expired));

        // Another player, same signature.
        let (_, signature) = token.split_once('.').unwrap();
        let forged_claims = Claims {
            player_id: Some("bob".into()),
            ..c
        };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
        assert_eq!(
            secrets.verify(&format!("{forged_payload}.{signature}"), Utc::now()),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            secrets.verify("no-dot", Utc::now()),
            Err(TokenError::Malformed)
        );
        let other = TokenSecrets::parse(B).unwrap();
        assert_eq!(
            other.verify(&token, Utc::now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn rotation_signs_with_the_first_and_accepts_every_secret() {
        let old = TokenSecrets::parse(A).unwrap();
        let rotated = TokenSecrets::parse(&format!("{B},{A}")).unwrap();
        let c = claims(60);
        let old_token = old.issue(&c);
        assert!(rotated.verify(&old_token, Utc::now()).is_ok());
        let new_token = rotated.issue(&c);
        assert!(TokenSecrets::parse(B)
            .unwrap()
            .verify(&new_token, Utc::now())
            .is_ok());
        assert!(old.verify(&new_token, Utc::now()).is_err());
    }
}
