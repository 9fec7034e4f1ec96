//! API keys held in the store, so that keys can be created, listed and revoked while
//! every API instance runs (`herald-store keys …`), each instance picking a change up
//! within seconds. Only a key's SHA-256 digest is ever stored; the key itself is shown
//! once, when it is created. `API_KEYS` stays as the bootstrap: keys from the
//! environment that need no store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StoreResult;
use crate::job::TenantId;

/// A key's SHA-256 digest, as lower-case hex: what the store holds and compares.
pub fn key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The longest key name.
pub const MAX_KEY_NAME_LEN: usize = 100;

/// A key to store: whose it is, what it is called, and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub tenant: TenantId,
    /// What the operator calls it (`billing-service`, `ci`), for `keys list`.
    pub name: String,
    /// [`key_digest`] of the key.
    pub digest: String,
}

/// A stored key. Its `id` names it in `keys list` and `keys revoke`, and in the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    pub id: String,
    pub tenant: TenantId,
    pub name: String,
    pub digest: String,
    pub created_at: DateTime<Utc>,
    /// Recorded by the API instances, at most about once a minute per key.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once revoked: the key no longer authenticates anything.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRecord {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// The API keys in the store.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key. A digest already stored (the same key twice) is refused with
    /// [`super::StoreError::Other`].
    async fn create_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord>;

    /// Every key, revoked ones too, oldest first; only `tenant`'s when given.
    async fn list_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>>;

    /// Revokes a key by id (revoking a revoked key changes nothing); the key as it is
    /// now. An unknown id is [`super::StoreError::NotFound`].
    async fn revoke_key(&self, id: &str) -> StoreResult<ApiKeyRecord>;

    /// Records when keys were last used (a later time than the stored one wins).
    async fn touch_keys(&self, used: &[(String, DateTime<Utc>)]) -> StoreResult<()>;
}
