//! The faults: a seeded schedule, and what each one does to the running stack.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::receiver::ReceiverServer;
use super::{lock, FaultRecord, Shared, SETTLE};
use crate::stack::{Stack, StackControl};
// ---------------------------------------------------------------------------
// Faults

#[derive(Debug, Clone, Copy)]
enum Fault {
    KillWorker,
    StopWorker,
    KillApi,
    CloseConnections,
    RestartBroker,
    LockStore,
    ReceiverDies,
    Poison,
}

/// The schedule: a worker kill every 15–25 s, and each other fault once, at a
/// seeded point of its own share of the run.
fn schedule(
    rng: &mut StdRng,
    duration: Duration,
    sqlite: bool,
    broker: bool,
    restart: bool,
) -> Vec<(Duration, Fault)> {
    let mut plan = Vec::new();
    let mut t = Duration::from_secs(rng.gen_range(8..15));
    while t + Duration::from_secs(5) < duration {
        plan.push((t, Fault::KillWorker));
        t += Duration::from_secs(rng.gen_range(15..=25));
    }
    let at = |rng: &mut StdRng, lo: f64, hi: f64| duration.mul_f64(rng.gen_range(lo..hi));
    plan.push((at(rng, 0.10, 0.20), Fault::ReceiverDies));
    plan.push((at(rng, 0.20, 0.30), Fault::StopWorker));
    plan.push((at(rng, 0.35, 0.45), Fault::KillApi));
    if sqlite {
        plan.push((at(rng, 0.45, 0.55), Fault::LockStore));
    }
    if broker {
        plan.push((at(rng, 0.25, 0.35), Fault::CloseConnections));
        plan.push((at(rng, 0.30, 0.40), Fault::Poison));
        if restart {
            plan.push((at(rng, 0.60, 0.70), Fault::RestartBroker));
        }
    }
    plan.sort_by_key(|(t, _)| *t);
    plan
}

fn record(ledger: &Shared, started: Instant, from: Instant, to: Instant, fault: String) {
    tracing::info!(fault, "chaos");
    let mut l = lock(ledger);
    l.faults.push(FaultRecord {
        at_secs: from.saturating_duration_since(started).as_secs_f64(),
        fault,
    });
    l.windows.push((from, to + SETTLE));
}

pub(super) async fn inject(
    ctl: StackControl,
    ledger: Shared,
    mortal: Arc<tokio::sync::Mutex<ReceiverServer>>,
    mut rng: StdRng,
    duration: Duration,
    no_broker_restart: bool,
    started: Instant,
) {
    let sqlite = ctl.is_sqlite();
    let plan = schedule(
        &mut rng,
        duration,
        sqlite,
        ctl.rabbitmq().is_some(),
        !no_broker_restart,
    );
    // Workers taken by a fault in progress are not picked by another.
    let busy: Arc<Mutex<BTreeSet<usize>>> = Arc::default();
    let mut running = tokio::task::JoinSet::new();
    for (offset, fault) in plan {
        tokio::time::sleep_until((started + offset).into()).await;
        let (ctl, ledger, busy, mortal) =
            (ctl.clone(), ledger.clone(), busy.clone(), mortal.clone());
        let seed: u64 = rng.gen();
        running.spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let from = Instant::now();
            let what = apply(fault, &ctl, &busy, &mortal, &mut rng).await;
            record(&ledger, started, from, Instant::now(), what);
        });
    }
    while running.join_next().await.is_some() {}
}

fn pick_worker(busy: &Mutex<BTreeSet<usize>>, workers: usize, rng: &mut StdRng) -> Option<usize> {
    let mut busy = lock(busy);
    let free: Vec<usize> = (0..workers).filter(|i| !busy.contains(i)).collect();
    if free.len() < 2 {
        return None; // always leave a worker alone
    }
    let i = free[rng.gen_range(0..free.len())];
    busy.insert(i);
    Some(i)
}

async fn apply(
    fault: Fault,
    ctl: &StackControl,
    busy: &Mutex<BTreeSet<usize>>,
    mortal: &tokio::sync::Mutex<ReceiverServer>,
    rng: &mut StdRng,
) -> String {
    match fault {
        Fault::KillWorker => {
            let Some(i) = pick_worker(busy, ctl.worker_count(), rng) else {
                return "kill -9 a worker: skipped (the others are busy with faults)".into();
            };
            ctl.signal_worker(i, Signal::SIGKILL);
            tokio::time::sleep(Duration::from_millis(rng.gen_range(2000..5000))).await;
            let restarted = ctl.restart_worker(i).await;
            lock(busy).remove(&i);
            match restarted {
                Ok(()) => format!("kill -9 worker-{i}, restarted"),
                Err(e) => format!("kill -9 worker-{i}; restart FAILED: {e:#}"),
            }
        }
        Fault::StopWorker => {
            let Some(i) = pick_worker(busy, ctl.worker_count(), rng) else {
                return "SIGSTOP a worker: skipped".into();
            };
            let held = ctl.lock_duration() + Duration::from_secs(3);
            ctl.signal_worker(i, Signal::SIGSTOP);
            tokio::time::sleep(held).await;
            ctl.signal_worker(i, Signal::SIGCONT);
            lock(busy).remove(&i);
            format!(
                "SIGSTOP worker-{i} for {:.0} s (past its lease), then SIGCONT",
                held.as_secs_f64()
            )
        }
        Fault::KillApi => {
            let i = rng.gen_range(0..ctl.api_count());
            ctl.signal_api(i, Signal::SIGKILL);
            tokio::time::sleep(Duration::from_secs(3)).await;
            match ctl.restart_api(i).await {
                Ok(()) => format!("kill -9 api-{i}, restarted"),
                Err(e) => format!("kill -9 api-{i}; restart FAILED: {e:#}"),
            }
        }
        Fault::CloseConnections => {
            let closed = close_connections(&ctl.pids()).await;
            format!("broker closed the stack's {closed} connections")
        }
        Fault::RestartBroker => {
            let stopped = rabbitmqctl(&["stop_app"]).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            let started = rabbitmqctl(&["start_app"]).await;
            format!("broker stop_app ({stopped}) for 5 s, start_app ({started})")
        }
        Fault::LockStore => match hold_write_lock(ctl.db_path(), Duration::from_secs(10)).await {
            Ok(()) => "SQLite write lock held for 10 s".into(),
            Err(e) => format!("SQLite write lock FAILED: {e:#}"),
        },
        Fault::ReceiverDies => {
            mortal.lock().await.die().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            match mortal.lock().await.revive().await {
                Ok(()) => "receiver B dead for 30 s".into(),
                Err(e) => format!("receiver B dead; revive FAILED: {e:#}"),
            }
        }
        Fault::Poison => match poison(ctl).await {
            Ok(n) => format!("published {n} poison messages and duplicate job ids"),
            Err(e) => format!("poison publish FAILED: {e:#}"),
        },
    }
}

async fn rabbitmqctl(args: &[&str]) -> String {
    match tokio::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .await
    {
        Ok(out) if out.status.success() => "ok".into(),
        Ok(out) => format!("failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
        Err(e) => format!("failed: {e}"),
    }
}

/// Closes, from the broker's side, every connection the stack's processes hold
/// (their client properties carry `herald-<pid>`). Other clients of the broker are
/// left alone.
async fn close_connections(pids: &[u32]) -> usize {
    let Ok(out) = tokio::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "-q",
            "--no-table-headers",
            "pid",
            "client_properties",
        ])
        .output()
        .await
    else {
        return 0;
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut closed = 0;
    for line in text.lines() {
        if !pids.iter().any(|p| line.contains(&format!("herald-{p}"))) {
            continue;
        }
        let Some(pid) = line.split_whitespace().next() else {
            continue;
        };
        if rabbitmqctl(&["close_connection", pid, "chaos: connection killed"]).await == "ok" {
            closed += 1;
        }
    }
    closed
}

async fn hold_write_lock(db: std::path::PathBuf, hold: Duration) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let conn = rusqlite::Connection::open(&db)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        std::thread::sleep(hold);
        conn.execute_batch("ROLLBACK")?;
        Ok(())
    })
    .await?
}

/// Garbage straight to each work queue, and messages for real job ids that were
/// already published (a duplicate publish): the first must be dead-lettered without
/// harm, the second acked and dropped or delivered once more with the same key.
async fn poison(ctl: &StackControl) -> anyhow::Result<usize> {
    use lapin::options::BasicPublishOptions;
    use lapin::BasicProperties;
    let Some((url, topology)) = ctl.rabbitmq() else {
        return Ok(0);
    };
    let conn = herald_core::dispatch::connect(url).await?;
    let channel = conn.create_channel().await?;
    let mut n = 0;
    let garbage: [&[u8]; 3] = [b"not json", b"{\"id\":\"nope\"}", b"\xff\xfe"];
    for queue in topology.work_queues() {
        for body in garbage {
            channel
                .basic_publish(
                    topology.exchange().as_str().into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await?
                .await?;
            n += 1;
        }
    }
    let store = ctl.open_store().await?;
    let tenant = herald_core::TenantId::parse(crate::stack::TENANT)?;
    let page = store
        .list(
            &tenant,
            &herald_core::store::ListFilter::default(),
            &herald_core::store::PageRequest::first(50),
        )
        .await?;
    for job in page.items {
        let message = herald_core::dispatch::JobMessage::for_job(&job);
        let body = serde_json::to_vec(&message)?;
        channel
            .basic_publish(
                topology.exchange().as_str().into(),
                topology.queue(job.kind, job.priority).as_str().into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_message_id(job.id.as_str().into()),
            )
            .await?
            .await?;
        n += 1;
    }
    let _ = conn.close(200, "chaos: poison published".into()).await;
    Ok(n)
}

/// Every worker's `herald_lease_lost_total`, polled: the fencing rejections.
pub(super) async fn watch_fencing(ctl: StackControl, ledger: Shared) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
    {
        Ok(h) => h,
        Err(_) => return,
    };
    loop {
        for (i, url) in ctl.worker_metrics_urls().into_iter().enumerate() {
            let Ok(r) = http.get(&url).send().await else {
                continue;
            };
            let Ok(text) = r.text().await else { continue };
            let count: f64 = text
                .lines()
                .filter(|l| l.starts_with("herald_lease_lost_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum();
            // One series per incarnation: a restarted worker starts from zero.
            let key = format!("{i}:{}", ctl.incarnation(i));
            let mut l = lock(&ledger);
            let seen = l.lease_lost.entry(key).or_default();
            *seen = (*seen).max(count as u64);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// After the faults: any worker or API left down is started again, and receiver B
/// lives.
pub(super) async fn recover(stack: &Stack, mortal: &tokio::sync::Mutex<ReceiverServer>) {
    let ctl = stack.control();
    for i in 0..ctl.worker_count() {
        ctl.signal_worker(i, Signal::SIGCONT);
        if !ctl.worker_alive(i) {
            let _ = ctl.restart_worker(i).await;
        }
    }
    let mut r = mortal.lock().await;
    if r.task.is_none() {
        let _ = r.revive().await;
    }
}
