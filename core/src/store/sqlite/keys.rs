//! API keys in SQLite: the `api_keys` table (digests only; see `store::keys`).

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension, Row};

use super::codec::{corrupt, opt_time, to_time};
use super::{immediate, sql, SqliteStore};
use crate::job::TenantId;
use crate::store::keys::{ApiKeyRecord, KeyStore, NewApiKey};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str = "id, tenant, name, digest, createdAt, lastUsedAt, revokedAt";

fn read_key(row: &Row<'_>) -> StoreResult<ApiKeyRecord> {
    let get = |i: usize| row.get::<_, String>(i).map_err(sql);
    let tenant = get(1)?;
    Ok(ApiKeyRecord {
        id: get(0)?,
        tenant: TenantId::parse(&tenant).map_err(corrupt)?,
        name: get(2)?,
        digest: get(3)?,
        created_at: to_time(row.get(4).map_err(sql)?)?,
        last_used_at: opt_time(row.get(5).map_err(sql)?)?,
        revoked_at: opt_time(row.get(6).map_err(sql)?)?,
    })
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        let now = self.now();
        let id = uuid::Uuid::now_v7().to_string();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let taken: Option<String> = tx
                    .query_row(
                        "SELECT id FROM api_keys WHERE digest = ?1",
                        [&key.digest],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql)?;
                if taken.is_some() {
                    return Err(StoreError::Other(anyhow!("this key is stored already")));
                }
                tx.execute(
                    "INSERT INTO api_keys (id, tenant, name, digest, createdAt) \
                     VALUES (:id, :tenant, :name, :digest, :now)",
                    named_params! {
                        ":id": id, ":tenant": key.tenant.as_str(), ":name": key.name,
                        ":digest": key.digest, ":now": now.ms,
                    },
                )
                .map_err(sql)?;
                let record = tx
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
                        [&id],
                        |r| Ok(read_key(r)),
                    )
                    .map_err(sql)??;
                tx.commit().map_err(sql)?;
                Ok(record)
            })
            .await
    }

    async fn list_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>> {
        let tenant = tenant.map(|t| t.as_str().to_owned());
        self.pool
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM api_keys \
                         WHERE (:tenant IS NULL OR tenant = :tenant) ORDER BY createdAt, id"
                    ))
                    .map_err(sql)?;
                let rows = stmt
                    .query_map(named_params! {":tenant": tenant}, |r| Ok(read_key(r)))
                    .map_err(sql)?;
                rows.map(|r| r.map_err(sql)?).collect()
            })
            .await
    }

    async fn revoke_key(&self, id: &str) -> StoreResult<ApiKeyRecord> {
        let now = self.now();
        let id = id.to_owned();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                tx.execute(
                    "UPDATE api_keys SET revokedAt = :now WHERE id = :id AND revokedAt IS NULL",
                    named_params! {":now": now.ms, ":id": id},
                )
                .map_err(sql)?;
                let record = tx
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
                        [&id],
                        |r| Ok(read_key(r)),
                    )
                    .optional()
                    .map_err(sql)?
                    .ok_or(StoreError::NotFound)??;
                tx.commit().map_err(sql)?;
                Ok(record)
            })
            .await
    }

    async fn touch_keys(&self, used: &[(String, DateTime<Utc>)]) -> StoreResult<()> {
        if used.is_empty() {
            return Ok(());
        }
        let used: Vec<(String, i64)> = used
            .iter()
            .map(|(id, at)| (id.clone(), at.timestamp_millis()))
            .collect();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                {
                    let mut stmt = tx
                        .prepare_cached(
                            "UPDATE api_keys SET lastUsedAt = :at WHERE id = :id \
                             AND (lastUsedAt IS NULL OR lastUsedAt < :at)",
                        )
                        .map_err(sql)?;
                    for (id, at) in &used {
                        stmt.execute(named_params! {":id": id, ":at": at})
                            .map_err(sql)?;
                    }
                }
                tx.commit().map_err(sql)
            })
            .await
    }
}
