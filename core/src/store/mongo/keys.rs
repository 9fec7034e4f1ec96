//! API keys in MongoDB: the `api_keys` collection (digests only; see `store::keys`),
//! one document per key, `_id` = the key's id, unique by digest.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;

use super::pipeline::date;
use super::{context, mongo, MongoStore};
use crate::job::TenantId;
use crate::store::keys::{ApiKeyRecord, KeyStore, NewApiKey};
use crate::store::{StoreError, StoreResult};

/// The collection's name.
pub const API_KEYS: &str = "api_keys";
/// The unique index on a key's digest.
pub const KEY_DIGEST_INDEX: &str = "api_keys_digest";

fn corrupt(field: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("api key field {field}: {e}"))
}

fn string(doc: &Document, field: &str) -> StoreResult<String> {
    doc.get_str(field)
        .map(str::to_owned)
        .map_err(|e| corrupt(field, e))
}

fn opt_time(doc: &Document, field: &str) -> StoreResult<Option<DateTime<Utc>>> {
    match doc.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::DateTime(t)) => DateTime::from_timestamp_millis(t.timestamp_millis())
            .map(Some)
            .ok_or_else(|| corrupt(field, "date out of range")),
        Some(other) => Err(corrupt(field, format!("not a date: {other}"))),
    }
}

fn key_from_doc(doc: &Document) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: string(doc, "_id")?,
        tenant: TenantId::parse(&string(doc, "tenant")?).map_err(|e| corrupt("tenant", e))?,
        name: string(doc, "name")?,
        digest: string(doc, "digest")?,
        created_at: opt_time(doc, "createdAt")?.ok_or_else(|| corrupt("createdAt", "missing"))?,
        last_used_at: opt_time(doc, "lastUsedAt")?,
        revoked_at: opt_time(doc, "revokedAt")?,
    })
}

impl MongoStore {
    fn keys(&self) -> mongodb::Collection<Document> {
        self.database().collection(API_KEYS)
    }

    /// The unique digest index (declared idempotently with the others at open).
    pub(super) async fn create_key_indexes(&self) -> StoreResult<()> {
        let digest = IndexModel::builder()
            .keys(doc! { "digest": 1 })
            .options(
                IndexOptions::builder()
                    .name(KEY_DIGEST_INDEX.to_owned())
                    .unique(true)
                    .build(),
            )
            .build();
        self.keys()
            .create_index(digest)
            .await
            .map_err(|e| context(e, "creating the api_keys index"))?;
        Ok(())
    }
}

#[async_trait]
impl KeyStore for MongoStore {
    async fn create_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        let record = ApiKeyRecord {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: key.tenant,
            name: key.name,
            digest: key.digest,
            // Whole milliseconds, as the store keeps them.
            created_at: DateTime::from_timestamp_millis(self.clock.now().timestamp_millis())
                .unwrap_or_else(Utc::now),
            last_used_at: None,
            revoked_at: None,
        };
        let inserted = self
            .keys()
            .insert_one(doc! {
                "_id": &record.id,
                "tenant": record.tenant.as_str(),
                "name": &record.name,
                "digest": &record.digest,
                "createdAt": date(record.created_at),
            })
            .await;
        match inserted {
            Ok(_) => Ok(record),
            Err(e) if is_duplicate(&e) => {
                Err(StoreError::Other(anyhow!("this key is stored already")))
            }
            Err(e) => Err(mongo(e)),
        }
    }

    async fn list_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>> {
        let filter = match tenant {
            Some(t) => doc! { "tenant": t.as_str() },
            None => doc! {},
        };
        let docs: Vec<Document> = self
            .keys()
            .find(filter)
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        docs.iter().map(key_from_doc).collect()
    }

    async fn revoke_key(&self, id: &str) -> StoreResult<ApiKeyRecord> {
        self.keys()
            .update_one(
                doc! { "_id": id, "revokedAt": Bson::Null },
                doc! { "$set": { "revokedAt": date(self.clock.now()) } },
            )
            .await
            .map_err(mongo)?;
        let doc = self
            .keys()
            .find_one(doc! { "_id": id })
            .await
            .map_err(mongo)?
            .ok_or(StoreError::NotFound)?;
        key_from_doc(&doc)
    }

    async fn touch_keys(&self, used: &[(String, DateTime<Utc>)]) -> StoreResult<()> {
        for (id, at) in used {
            self.keys()
                .update_one(
                    doc! { "_id": id, "$or": [
                        { "lastUsedAt": Bson::Null },
                        { "lastUsedAt": { "$lt": date(*at) } },
                    ] },
                    doc! { "$set": { "lastUsedAt": date(*at) } },
                )
                .await
                .map_err(mongo)?;
        }
        Ok(())
    }
}

fn is_duplicate(e: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    matches!(&*e.kind, ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000)
}
