//! API keys, tenants and per-key rate limits.
//!
//! Keys come from two places. `API_KEYS` (`tenant:key,tenant:key`) is the bootstrap:
//! fixed for the life of the process. Keys in the store (`herald-store keys create`)
//! are read again every [`KEY_REFRESH`], so a key created or revoked there works, or
//! stops working, on every API instance within seconds and without a restart.
//!
//! Only SHA-256 digests are kept; a presented key is hashed and compared with every
//! digest in constant time, so neither memory nor timing reveals a key. Keys are never
//! logged: requests are logged with the tenant and a [`KeyName`] (`env#2`, or a
//! stored key's id).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use herald_core::store::{ApiKeyRecord, Store};
use herald_core::TenantId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::RateLimit;
use crate::error::ApiError;
use crate::AppState;

/// Shortest key accepted in `API_KEYS`.
pub const MIN_KEY_LEN: usize = 8;

/// How often each API instance reads the store's keys again (and records when its
/// callers last used them).
pub const KEY_REFRESH: Duration = Duration::from_secs(2);

/// A key's last use is recorded at most this often.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// How a key is named in logs and rate-limit buckets: `env#N` for the N-th entry of
/// `API_KEYS`, or a stored key's id. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyName(Arc<str>);

impl KeyName {
    fn bootstrap(position: usize) -> Self {
        Self(format!("env#{position}").into())
    }

    fn stored(id: &str) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone)]
struct KeyEntry {
    digest: [u8; 32],
    tenant: TenantId,
    name: KeyName,
    /// Whether the store holds it (its last use is recorded there).
    stored: bool,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The index of the entry whose digest is `digest`. Every digest is compared, whatever
/// matched, so the time taken does not depend on which key (if any) matched.
fn find(entries: &[KeyEntry], digest: &[u8; 32]) -> Option<usize> {
    let mut found = None;
    for (i, entry) in entries.iter().enumerate() {
        if bool::from(entry.digest.ct_eq(digest)) {
            found = Some(i);
        }
    }
    found
}

/// The keys of `API_KEYS`, as digests. `Debug` shows tenants only.
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

impl ApiKeys {
    /// Parses `tenant:key,tenant:key`. Errors name the entry by position, never the key.
    /// An empty value means no bootstrap keys (the store's keys then).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut keys = Self::default();
        if raw.trim().is_empty() {
            return Ok(keys);
        }
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
        check_key(key)?;
        let digest = digest(key);
        if find(&self.entries, &digest).is_some() {
            return Err("the same key is listed twice".into());
        }
        let name = KeyName::bootstrap(self.entries.len() + 1);
        self.entries.push(KeyEntry {
            digest,
            tenant,
            name,
            stored: false,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Whether `key` is acceptable as an API key: long enough, with no spaces.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.len() < MIN_KEY_LEN || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "a key is at least {MIN_KEY_LEN} characters without spaces"
        ));
    }
    Ok(())
}

/// Every key that authenticates now: the bootstrap keys and the store's active keys,
/// refreshed in the background. Cheap to share; lookups take a read lock for the
/// length of one scan and never across an `.await`.
pub struct Keyring {
    bootstrap: ApiKeys,
    /// The bootstrap entries followed by the store's active keys, as last read.
    entries: RwLock<Arc<Vec<KeyEntry>>>,
    /// Stored keys used since their last recorded use, and when each was last recorded.
    used: Mutex<Usage>,
    store: Arc<dyn Store>,
}

#[derive(Default)]
struct Usage {
    pending: HashMap<String, DateTime<Utc>>,
    recorded: HashMap<String, Instant>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.snapshot();
        f.debug_struct("Keyring")
            .field("bootstrap", &self.bootstrap)
            .field("stored", &entries.iter().filter(|e| e.stored).count())
            .finish()
    }
}

impl Keyring {
    /// The bootstrap keys and the store's keys as they are now. Refused when there is
    /// no key at all: nothing could call the API.
    pub async fn load(bootstrap: ApiKeys, store: Arc<dyn Store>) -> anyhow::Result<Arc<Self>> {
        let ring = Arc::new(Self {
            entries: RwLock::new(Arc::new(bootstrap.entries.clone())),
            bootstrap,
            used: Mutex::new(Usage::default()),
            store,
        });
        let stored = ring.refresh().await?;
        anyhow::ensure!(
            !ring.bootstrap.is_empty() || stored > 0,
            "no API keys: set API_KEYS (tenant:key,…) or create one in the store with \
             `herald-store keys create --tenant T --name N`"
        );
        Ok(ring)
    }

    /// Reads the store's keys every [`KEY_REFRESH`] and records last uses, until the
    /// keyring is dropped. A store that cannot be read keeps the keys last read.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let ring: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut failing = false;
            loop {
                tokio::time::sleep(KEY_REFRESH).await;
                let Some(ring) = ring.upgrade() else { return };
                match ring.refresh().await {
                    Ok(_) if failing => {
                        failing = false;
                        tracing::info!("API keys read from the store again");
                    }
                    Ok(_) => {}
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "cannot read API keys from the store; keeping the keys last read");
                    }
                    Err(_) => {}
                }
            }
        });
    }

    /// Reads the store's active keys and records pending last uses; the number of
    /// active stored keys.
    pub async fn refresh(&self) -> anyhow::Result<usize> {
        let pending: Vec<(String, DateTime<Utc>)> = {
            let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
            used.pending.drain().collect()
        };
        let recorded = if pending.is_empty() {
            Ok(())
        } else {
            self.store.touch_keys(&pending).await
        };
        if let Err(e) = recorded {
            tracing::debug!(error = %e, "recording API keys' last use failed; retrying later");
            let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
            for (id, at) in pending {
                used.pending.entry(id).or_insert(at);
            }
        }
        let records = self.store.list_keys(None).await?;
        let mut entries = self.bootstrap.entries.clone();
        entries.extend(records.iter().filter_map(stored_entry));
        let stored = entries.len() - self.bootstrap.len();
        *self.entries.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(entries);
        Ok(stored)
    }

    fn snapshot(&self) -> Arc<Vec<KeyEntry>> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The tenant and name of a presented key, noting a stored key's use.
    fn lookup(&self, key: &str) -> Option<(TenantId, KeyName)> {
        let entries = self.snapshot();
        let entry = &entries[find(&entries, &digest(key))?];
        if entry.stored {
            self.note_use(entry.name.as_str());
        }
        Some((entry.tenant.clone(), entry.name.clone()))
    }

    /// The tenant and name of a presented key, for the console's log-in: the same
    /// lookup as every `/v1` request's, so stored keys and revocation apply alike.
    pub fn authenticate(&self, key: &str) -> Option<(TenantId, KeyName)> {
        self.lookup(key)
    }

    /// Whether the key named `name` still authenticates for `tenant`: a console session
    /// holds the key's name, never the key, and ends within [`KEY_REFRESH`] of the
    /// key's revocation.
    pub fn is_active(&self, name: &str, tenant: &TenantId) -> bool {
        self.snapshot()
            .iter()
            .any(|e| e.name.as_str() == name && &e.tenant == tenant)
    }

    fn note_use(&self, id: &str) {
        let now = Instant::now();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let due = used
            .recorded
            .get(id)
            .is_none_or(|at| now.saturating_duration_since(*at) >= TOUCH_EVERY);
        if due {
            used.recorded.insert(id.to_owned(), now);
            used.pending.insert(id.to_owned(), Utc::now());
        }
    }
}

/// The entry of an active stored key; `None` for a revoked one, or one whose digest is
/// not a SHA-256 digest (nothing could match it).
fn stored_entry(record: &ApiKeyRecord) -> Option<KeyEntry> {
    if !record.is_active() {
        return None;
    }
    let digest: [u8; 32] = hex::decode(&record.digest).ok()?.try_into().ok()?;
    Some(KeyEntry {
        digest,
        tenant: record.tenant.clone(),
        name: KeyName::stored(&record.id),
        stored: true,
    })
}

/// The caller of a `/v1` route, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: TenantId,
    /// Which key it presented, for logs.
    pub key: KeyName,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Why a request was not let through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limited {
    /// Tokens come back at the rate: try again after this long.
    Wait(Duration),
    /// The request costs more than the bucket ever holds (a batch above the burst).
    TooCostly { cost: u32, burst: u32 },
}

/// Buckets kept before idle (full again) ones are dropped: a bucket is made on a key's
/// or address's first request, and an attacker with many addresses must not grow the
/// map without end.
const MAX_IDLE_BUCKETS: usize = 10_000;

/// One token bucket per `K` (an API key, or a client address for failed
/// authentication), created on its first request. Each lock is held for a few
/// instructions and never across an `.await`.
#[derive(Debug)]
pub struct RateLimiter<K = KeyName> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: std::hash::Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` tokens for `key` (a request costs 1, a batch of n costs n), or
    /// says why not; a refusal takes nothing.
    pub fn try_acquire(&self, key: &K, cost: u32, now: Instant) -> Result<(), Limited> {
        if self.limit.per_sec == 0 || cost == 0 {
            return Ok(());
        }
        self.fits(cost)?;
        let rate = f64::from(self.limit.per_sec);
        let burst = f64::from(self.limit.burst);
        let cost = f64::from(cost);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_IDLE_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.updated = now;
        if b.tokens >= cost {
            b.tokens -= cost;
            Ok(())
        } else {
            Err(Limited::Wait(Duration::from_secs_f64(
                (cost - b.tokens) / rate,
            )))
        }
    }

    /// Whether a request of `cost` can ever pass (its cost is within the burst).
    pub fn fits(&self, cost: u32) -> Result<(), Limited> {
        if self.limit.per_sec != 0 && cost > self.limit.burst {
            return Err(Limited::TooCostly {
                cost,
                burst: self.limit.burst,
            });
        }
        Ok(())
    }

    /// Whether `key` has a token left, taking none.
    pub fn has_token(&self, key: &K, now: Instant) -> bool {
        if self.limit.per_sec == 0 {
            return true;
        }
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets.get(key).is_none_or(|b| {
            let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
            b.tokens + elapsed * f64::from(self.limit.per_sec) >= 1.0
        })
    }

    /// How long until `key` has a token.
    fn wait(&self, key: &K, now: Instant) -> Duration {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let rate = f64::from(self.limit.per_sec.max(1));
        buckets.get(key).map_or(Duration::ZERO, |b| {
            let tokens = b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate;
            Duration::from_secs_f64(((1.0 - tokens) / rate).max(0.0))
        })
    }

    /// Buckets held now.
    pub fn len(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Limited> for ApiError {
    fn from(limited: Limited) -> Self {
        match limited {
            Limited::Wait(retry_after) => ApiError::RateLimited { retry_after },
            Limited::TooCostly { cost, burst } => {
                ApiError::Validation(herald_core::notification::ValidationError::new(
                    "notifications",
                    format!(
                        "a batch of {cost} costs {cost} requests of this key's rate limit, \
                         more than its burst of {burst}: send at most {burst} at once"
                    ),
                ))
            }
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

/// The client's address: the peer's, or — when the peer is a trusted reverse proxy —
/// the `X-Real-IP` it set. `None` in process (tests calling the router directly).
fn client_address(request: &Request, trusted: &[herald_core::ssrf::Cidr]) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()?
        .0
        .ip();
    if !trusted.iter().any(|c| c.contains(peer)) {
        return Some(peer);
    }
    let forwarded = request
        .headers()
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}

/// Authenticates and rate-limits every `/v1` request, before its body is read.
pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let now = Instant::now();
    // Failed authentication is throttled per client address: once an address has
    // spent its failures, it gets 429 without its keys being looked at, so guessing
    // keys runs at the failure rate. (In-process tests have no address: no throttle.)
    let client = client_address(&request, &state.trusted_proxies);
    if let Some(ip) = client {
        if !state.auth_failures.has_token(&ip, now) {
            tracing::debug!(client = %ip, "failed authentication throttled");
            return Err(ApiError::RateLimited {
                retry_after: state.auth_failures.wait(&ip, now),
            });
        }
    }
    let Some((tenant, key)) = bearer(&request).and_then(|presented| state.keys.lookup(presented))
    else {
        if let Some(ip) = client {
            // Spends one of the address's failures (an empty bucket is caught above).
            let _ = state.auth_failures.try_acquire(&ip, 1, now);
            tracing::info!(client = %ip, "request with no or an unknown API key");
        }
        return Err(ApiError::Unauthorized);
    };
    if let Err(limited) = state.limiter.try_acquire(&key, 1, now) {
        tracing::debug!(tenant = %tenant, key = %key, "rate limited");
        return Err(limited.into());
    }
    request.extensions_mut().insert(Caller { tenant, key });
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(keys: &'a ApiKeys, key: &str) -> Option<(&'a str, &'a str)> {
        let entry = &keys.entries[find(&keys.entries, &digest(key))?];
        Some((entry.name.as_str(), entry.tenant.as_str()))
    }

    #[test]
    fn keys_map_to_tenants_and_debug_hides_them() {
        let keys = ApiKeys::parse("acme:key-acme-123, globex:key-globex-456,acme:second-acme-key")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.len(), 3);
        assert_eq!(lookup(&keys, "key-acme-123"), Some(("env#1", "acme")));
        assert_eq!(lookup(&keys, "key-globex-456"), Some(("env#2", "globex")));
        assert_eq!(lookup(&keys, "second-acme-key"), Some(("env#3", "acme")));
        assert!(lookup(&keys, "key-acme-12").is_none());
        assert!(lookup(&keys, "").is_none());
        let shown = format!("{keys:?}");
        assert!(!shown.contains("key-acme"), "{shown}");
        assert!(shown.contains("globex"));
    }

    #[test]
    fn bad_key_lists_are_refused_without_echoing_keys() {
        for bad in [
            ",",
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
        // Empty: no bootstrap keys, the store's keys alone.
        assert!(ApiKeys::parse(" ").is_ok_and(|k| k.is_empty()));
    }

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let limiter = RateLimiter::new(RateLimit {
            per_sec: 10,
            burst: 3,
        });
        let (first, second) = (KeyName::bootstrap(1), KeyName::stored("k2"));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire(&first, 1, t0).is_ok());
        }
        let Err(Limited::Wait(wait)) = limiter.try_acquire(&first, 1, t0) else {
            panic!("a fourth request passed a burst of 3");
        };
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert!(limiter.try_acquire(&second, 1, t0).is_ok());
        // A tenth of a second refills one token, not more.
        let t1 = t0 + Duration::from_millis(100);
        assert!(limiter.try_acquire(&first, 1, t1).is_ok());
        assert!(limiter.try_acquire(&first, 1, t1).is_err());
        // Off when the rate is 0.
        let off = RateLimiter::new(RateLimit {
            per_sec: 0,
            burst: 1,
        });
        for _ in 0..100 {
            assert!(off.try_acquire(&first, 1, t0).is_ok());
        }
    }

    #[test]
    fn a_batch_costs_one_token_per_job() {
        let limiter = RateLimiter::new(RateLimit {
            per_sec: 1,
            burst: 10,
        });
        let key = KeyName::bootstrap(1);
        let t0 = Instant::now();
        // 10 jobs pass once; the next batch of 5 waits 5 s for its tokens, and a
        // refusal takes nothing.
        assert!(limiter.try_acquire(&key, 10, t0).is_ok());
        assert_eq!(
            limiter.try_acquire(&key, 5, t0),
            Err(Limited::Wait(Duration::from_secs(5)))
        );
        assert!(limiter
            .try_acquire(&key, 5, t0 + Duration::from_secs(5))
            .is_ok());
        // A batch above the burst could never pass: said so, not "wait".
        assert_eq!(
            limiter.try_acquire(&key, 11, t0),
            Err(Limited::TooCostly {
                cost: 11,
                burst: 10
            })
        );
    }

    #[test]
    fn idle_buckets_are_dropped_past_the_cap() {
        let limiter = RateLimiter::<u32>::new(RateLimit {
            per_sec: 1000,
            burst: 1,
        });
        let t0 = Instant::now();
        for n in 0..MAX_IDLE_BUCKETS as u32 {
            assert!(limiter.try_acquire(&n, 1, t0).is_ok());
        }
        // A second later every bucket is full again: the next new key clears them.
        let later = t0 + Duration::from_secs(1);
        assert!(limiter.try_acquire(&u32::MAX, 1, later).is_ok());
        assert_eq!(limiter.len(), 1);
    }
}
