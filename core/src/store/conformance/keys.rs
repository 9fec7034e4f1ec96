//! API keys in the store: created with a digest only, listed per tenant, revoked (and
//! still listed), last use recorded without going back in time.

use chrono::{Duration, Utc};

use crate::store::keys::{key_digest, NewApiKey};
use crate::store::StoreError;

use super::{real, tenant, Harness};

pub async fn api_keys_are_created_listed_revoked_and_touched(h: &impl Harness) {
    let store = real(h).await;
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let new = |t: &crate::job::TenantId, name: &str, key: &str| NewApiKey {
        tenant: t.clone(),
        name: name.into(),
        digest: key_digest(key),
    };
    let a = store
        .create_key(new(&acme, "billing", "key-a-1234567890"))
        .await
        .unwrap();
    assert_eq!(a.digest, key_digest("key-a-1234567890"));
    assert!(a.is_active() && a.last_used_at.is_none());
    let g = store
        .create_key(new(&globex, "ci", "key-g-1234567890"))
        .await
        .unwrap();
    assert_ne!(a.id, g.id);
    // The same key twice is refused (by digest), whoever asks.
    assert!(store
        .create_key(new(&globex, "again", "key-a-1234567890"))
        .await
        .is_err());

    let all = store.list_keys(None).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let mine = store.list_keys(Some(&acme)).await.unwrap();
    assert_eq!(mine, vec![a.clone()], "tenant-scoped");

    let at = Utc::now();
    store.touch_keys(&[(a.id.clone(), at)]).await.unwrap();
    // An older use never moves the time back.
    store
        .touch_keys(&[(a.id.clone(), at - Duration::minutes(5))])
        .await
        .unwrap();
    let touched = store.list_keys(Some(&acme)).await.unwrap().remove(0);
    let seen = touched.last_used_at.unwrap();
    assert!((seen - at).num_milliseconds().abs() <= 1, "{seen} vs {at}");

    let revoked = store.revoke_key(&a.id).await.unwrap();
    let when = revoked.revoked_at.expect("revoked");
    assert!(!revoked.is_active());
    let again = store.revoke_key(&a.id).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(when),
        "revoking twice changes nothing"
    );
    assert_eq!(
        store.list_keys(None).await.unwrap().len(),
        2,
        "revoked keys are listed"
    );
    assert!(matches!(
        store.revoke_key("no-such-key").await,
        Err(StoreError::NotFound)
    ));
}
