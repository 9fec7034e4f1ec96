//! Fairness between tenants (`store::fairness`, `docs/dispatch.md`): within a priority a
//! claim takes turns across the tenants with due work, the rotation starts after the
//! tenant served last, priority still comes first, and a capped tenant never has more
//! than its cap running, however many claimers race.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::job::{JobId, JobKind, Priority, TenantId};
use crate::lease::WorkerId;
use crate::store::{ClaimRequest, Fairness, Store, TenantLimits};

use super::{insert, note, real, tenant, Harness};

fn request(limit: usize, fairness: Fairness) -> ClaimRequest {
    ClaimRequest {
        worker: WorkerId::generate(),
        lease: Duration::from_secs(60),
        limit,
        kind: Some(JobKind::Notification),
        priority: None,
        fairness,
    }
}

/// Inserts `n` jobs for `tenant_name`, oldest first (run times one second apart, in
/// the past, so the order within a tenant is fixed whatever the store's clock).
async fn backlog(store: &Arc<dyn Store>, tenant_name: &str, n: usize, base: i64) -> Vec<JobId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let at = Utc::now() - chrono::Duration::seconds(base - i as i64);
        ids.push(insert(store, note(tenant_name, i).run_at(at)).await.id);
    }
    ids
}

async fn claimed_ids(store: &Arc<dyn Store>, req: &ClaimRequest) -> Vec<JobId> {
    store
        .claim_due(req)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.job.id)
        .collect()
}

pub async fn claims_take_turns_across_tenants(h: &impl Harness) {
    let store = real(h).await;
    // Tenant a's backlog is older than everything b and c have: plain run-time order
    // would take all of a's first.
    let a = backlog(&store, "a", 5, 1_000).await;
    let b = backlog(&store, "b", 2, 500).await;
    let c = backlog(&store, "c", 1, 100).await;

    let first = claimed_ids(&store, &request(5, Fairness::default())).await;
    assert_eq!(
        first,
        [
            a[0].clone(),
            b[0].clone(),
            c[0].clone(),
            a[1].clone(),
            b[1].clone()
        ],
        "one job per tenant per turn, each tenant's oldest first"
    );

    // The rotation starts after the tenant served last: after b, a's turn comes last.
    let d = backlog(&store, "d", 1, 50).await;
    let after_b = Fairness {
        after: Some(tenant("b")),
        ..Fairness::default()
    };
    let second = claimed_ids(&store, &request(2, after_b)).await;
    assert_eq!(
        second,
        [d[0].clone(), a[2].clone()],
        "c and b have nothing left"
    );
}

pub async fn priority_comes_before_turns(h: &impl Harness) {
    let store = real(h).await;
    backlog(&store, "a", 3, 1_000).await;
    let urgent = insert(
        &store,
        note("b", 0)
            .priority(Priority::High)
            .run_at(Utc::now() - chrono::Duration::seconds(1)),
    )
    .await;
    let first = claimed_ids(&store, &request(1, Fairness::default())).await;
    assert_eq!(
        first,
        [urgent.id],
        "a high job is taken before any normal turn"
    );

    // One queue's claim (a RabbitMQ queue's deliveries) takes only its priority.
    let low = insert(&store, note("c", 0).priority(Priority::Low)).await;
    let mut only_low = request(10, Fairness::default());
    only_low.priority = Some(Priority::Low);
    assert_eq!(claimed_ids(&store, &only_low).await, [low.id]);
}

pub async fn a_capped_tenant_never_runs_past_its_cap(h: &impl Harness) {
    let store = real(h).await;
    let capped = backlog(&store, "capped", 12, 1_000).await;
    let free = backlog(&store, "free", 3, 500).await;
    let limits = Arc::new(TenantLimits::parse(Some("capped:3")).unwrap());
    let fairness = Fairness {
        after: None,
        limits: limits.clone(),
    };

    // Claimers race, each on its own handle (its own connection), for more than the cap.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let handle = real(h).await;
        let req = request(4, fairness.clone());
        tasks.push(tokio::spawn(async move {
            handle.claim_fair(&req).await.unwrap()
        }));
    }
    let mut taken = Vec::new();
    let mut held_back = false;
    for task in tasks {
        let claim = task.await.unwrap();
        held_back |= claim.held_back;
        taken.extend(claim.jobs);
    }
    let of = |who: &str| {
        let who = TenantId::parse(who).unwrap();
        taken.iter().filter(|c| c.job.tenant == who).count()
    };
    assert_eq!(of("capped"), 3, "the cap holds across claimers");
    assert_eq!(
        of("free"),
        free.len(),
        "an uncapped tenant is not held back"
    );
    assert!(held_back, "the claim says a cap kept due jobs back");

    // The cap counts running jobs in the store: a finished one frees one place.
    let done = taken
        .iter()
        .find(|c| capped.contains(&c.job.id))
        .unwrap()
        .lease
        .clone();
    store.complete(&done).await.unwrap();
    let next = store
        .claim_fair(&request(10, fairness.clone()))
        .await
        .unwrap();
    assert_eq!(next.jobs.len(), 1, "one place freed, one job claimed");
    assert_eq!(next.jobs[0].job.tenant, tenant("capped"));
    assert!(next.held_back);
    let none = store.claim_fair(&request(10, fairness)).await.unwrap();
    assert!(none.jobs.is_empty(), "at the cap again");
}

pub async fn waiting_tenants_names_each_queues_tenants(h: &impl Harness) {
    let store = real(h).await;
    backlog(&store, "b", 2, 100).await;
    backlog(&store, "a", 1, 100).await;
    insert(&store, note("c", 0).priority(Priority::High)).await;
    insert(
        &store,
        note("later", 0).run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let normal = store
        .waiting_tenants(JobKind::Notification, Priority::Normal, 10)
        .await
        .unwrap();
    assert_eq!(
        normal,
        [tenant("a"), tenant("b")],
        "due tenants of the queue, in name order; not c (another queue) nor later (not due)"
    );
    let one = store
        .waiting_tenants(JobKind::Notification, Priority::Normal, 1)
        .await
        .unwrap();
    assert_eq!(one, [tenant("a")]);
    let high = store
        .waiting_tenants(JobKind::Notification, Priority::High, 10)
        .await
        .unwrap();
    assert_eq!(high, [tenant("c")]);
}
