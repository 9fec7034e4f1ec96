//! API keys, tenants and per-key rate limits.
//!
//! Keys come from `API_KEYS` (`tenant:key,tenant:key`). Only their SHA-256 digests are
//! kept; a presented key is hashed and compared with every digest in constant time,
//! so neither memory nor timing reveals a key. Keys are never logged: requests are
//! logged with the tenant, and a key is named by its index in `API_KEYS`.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use herald_core::TenantId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::RateLimit;
use crate::error::ApiError;
use crate::AppState;

/// Shortest key accepted in `API_KEYS`.
pub const MIN_KEY_LEN: usize = 8;

#[derive(Clone)]
struct KeyEntry {
    digest: [u8; 32],
    tenant: TenantId,
}

/// The configured keys, as digests. `Debug` shows tenants only.
#[derive(Clone, Default)]
pub struct ApiKeys {
    entries: Vec<KeyEntry>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| e.tenant.as_str()))
            .finish()
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl ApiKeys {
    /// Parses `tenant:key,tenant:key`. Errors name the entry by position, never the key.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut keys = Self::default();
        for (i, entry) in raw.split(',').map(str::trim).enumerate() {
            let n = i + 1;
            if entry.is_empty() {
                return Err(format!("entry {n} is empty"));
            }
            let (tenant, key) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {n} is not tenant:key"))?;
            let tenant = TenantId::parse(tenant.trim())
                .map_err(|_| format!("entry {n}: the tenant is 1 to 64 of A-Z a-z 0-9 - _ ."))?;
            keys.add(tenant, key)
                .map_err(|m| format!("entry {n}: {m}"))?;
        }
        Ok(keys)
    }

    /// Adds one key for a tenant (a tenant may have several).
    pub fn add(&mut self, tenant: TenantId, key: &str) -> Result<(), String> {
        if key.len() < MIN_KEY_LEN || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "a key is at least {MIN_KEY_LEN} characters without spaces"
            ));
        }
        let digest = digest(key);
        if self.lookup_digest(&digest).is_some() {
            return Err("the same key is listed twice".into());
        }
        self.entries.push(KeyEntry { digest, tenant });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index and tenant of a presented key. Every digest is compared, whatever
    /// matched, so the time taken does not depend on which key (if any) matched.
    fn lookup(&self, key: &str) -> Option<(usize, &TenantId)> {
        self.lookup_digest(&digest(key))
    }

    fn lookup_digest(&self, digest: &[u8; 32]) -> Option<(usize, &TenantId)> {
        let mut found = None;
        for (i, entry) in self.entries.iter().enumerate() {
            if bool::from(entry.digest.ct_eq(digest)) {
                found = Some((i, &entry.tenant));
            }
        }
        found
    }
}

/// The caller of a `/v1` route, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    /// Position of the key in `API_KEYS`, for logs.
    pub key_index: usize,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One token bucket per configured key. Keys are fixed at start-up, so the buckets
/// are a vector indexed like [`ApiKeys`]; each lock is held for a few instructions
/// and never across an `.await`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Vec<Mutex<Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit, keys: usize) -> Self {
        let now = Instant::now();
        Self {
            limit,
            buckets: (0..keys)
                .map(|_| {
                    Mutex::new(Bucket {
                        tokens: f64::from(limit.burst),
                        updated: now,
                    })
                })
                .collect(),
        }
    }

    /// Takes a token for key `index`, or says how long until one is available.
    pub fn try_acquire(&self, index: usize, now: Instant) -> Result<(), Duration> {
        if self.limit.per_sec == 0 {
            return Ok(());
        }
        let Some(bucket) = self.buckets.get(index) else {
            return Ok(());
        };
        let rate = f64::from(self.limit.per_sec);
        let mut b = bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(f64::from(self.limit.burst));
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }
}

/// The bearer token of a request, if it has one.
fn bearer(request: &Request) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authenticates and rate-limits every `/v1` request, before its body is read.
pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (key_index, tenant) = bearer(&request)
        .and_then(|key| state.keys.lookup(key))
        .map(|(i, t)| (i, t.clone()))
        .ok_or(ApiError::Unauthorized)?;
    if let Err(wait) = state.limiter.try_acquire(key_index, Instant::now()) {
        tracing::debug!(tenant = %tenant, key_index, "rate limited");
        return Err(ApiError::RateLimited { retry_after: wait });
    }
    request
        .extensions_mut()
        .insert(Caller { tenant, key_index });
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_tenants_and_debug_hides_them() {
        let keys = ApiKeys::parse("acme:key-acme-123, globex:key-globex-456,acme:second-acme-key")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.len(), 3);
        assert_eq!(
            keys.lookup("key-acme-123").map(|(i, t)| (i, t.as_str())),
            Some((0, "acme"))
        );
        assert_eq!(
            keys.lookup("key-globex-456").map(|(_, t)| t.as_str()),
            Some("globex")
        );
        assert_eq!(
            keys.lookup("second-acme-key").map(|(_, t)| t.as_str()),
            Some("acme")
        );
        assert!(keys.lookup("key-acme-12").is_none());
        assert!(keys.lookup("").is_none());
        let shown = format!("{keys:?}");
        assert!(!shown.contains("key-acme"), "{shown}");
        assert!(shown.contains("globex"));
    }

    #[test]
    fn bad_key_lists_are_refused_without_echoing_keys() {
        for bad in [
            "",
            "acme",
            "acme:short",
            "a cme:long-enough-key",
            "acme:dup-key-123,b:dup-key-123",
            "acme:has space key",
        ] {
            let err = ApiKeys::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(!err.contains("dup-key") && !err.contains("short"), "{err}");
        }
    }

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let limiter = RateLimiter::new(
            RateLimit {
                per_sec: 10,
                burst: 3,
            },
            2,
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire(0, t0).is_ok());
        }
        let wait = limiter.try_acquire(0, t0).err().unwrap_or_default();
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert!(limiter.try_acquire(1, t0).is_ok());
        // A tenth of a second refills one token, not more.
        let t1 = t0 + Duration::from_millis(100);
        assert!(limiter.try_acquire(0, t1).is_ok());
        assert!(limiter.try_acquire(0, t1).is_err());
        // Off when the rate is 0.
        let off = RateLimiter::new(
            RateLimit {
                per_sec: 0,
                burst: 1,
            },
            1,
        );
        for _ in 0..100 {
            assert!(off.try_acquire(0, t0).is_ok());
        }
    }
}
