//! The delivery channels against real servers on loopback: a webhook receiver that
//! checks the HMAC (herald-testkit's sink), a real SMTP server (aiosmtpd,
//! `tests/smtp_sink.py`), local HTTP servers that check Twilio's and FCM's request
//! shapes, the outcome classification, and the SSRF guard at delivery. Each test runs a
//! worker in-process (embedded mode, its own SQLite file) and drives it with the
//! single step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use herald_core::config::Env;
use herald_core::signature::StandardSignature;
use herald_core::ssrf::Cidr;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{Job, JobId, JobKind, JobStatus, NewJob, RetryPolicy, Store, TenantId};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use herald_worker::delivery::email::{EmailConfig, SmtpRoots, SmtpTls};
use herald_worker::delivery::push::{PushAuth, PushConfig};
use herald_worker::delivery::push_token::ServiceAccount;
use herald_worker::delivery::sms::SmsConfig;
use herald_worker::{Config, Outcome, Step, Worker};
use serde_json::{json, Value};
use support::{SECRET, TENANT};

/// A worker in-process on its own SQLite file; the poller is parked so the single step
/// is what processes jobs.
struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    worker: Worker,
}

impl World {
    async fn start(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_wrapped(adjust, |store| store).await
    }

    /// A world whose worker talks to `wrap(store)` (`store` stays the store itself).
    async fn start_wrapped(
        adjust: impl FnOnce(&mut Config),
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("w.db")));
        let store = herald_core::store::open(&store_config, herald_core::clock::system())
            .await
            .unwrap();
        let mut config = Config::embedded(store_config);
        config.poll_interval = Duration::from_secs(3600);
        config.webhook.timeout = Duration::from_secs(5);
        config
            .webhook
            .secrets
            .insert(tenant(TENANT), SECRET.to_owned().into());
        adjust(&mut config);
        let worker = Worker::builder(config)
            .store(wrap(store.clone()))
            .start()
            .await
            .unwrap();
        Self {
            _dir: dir,
            store,
            worker,
        }
    }

    async fn submit(&self, tenant_name: &str, request: Value) -> JobId {
        self.submit_job(NewJob::new(
            JobKind::Notification,
            tenant(tenant_name),
            request,
        ))
        .await
    }

    async fn submit_job(&self, job: NewJob) -> JobId {
        self.store.insert(job).await.unwrap().into_job().id
    }

    /// Processes the next due job.
    async fn step(&self) -> (JobId, Outcome) {
        match self.worker.engine().try_process_one().await.unwrap() {
            Step::Processed { id, outcome } => (id, outcome),
            Step::Empty => panic!("no job was due"),
        }
    }

    /// Processes `id` (which must be the only job due now or soon), waiting for it to be due.
    async fn step_when_due(&self, id: &JobId) -> Outcome {
        wait_for(Duration::from_secs(10), "the job to be due", || async {
            match self.worker.engine().try_process_one().await.unwrap() {
                Step::Processed { id: got, outcome } => {
                    assert_eq!(&got, id);
                    Some(outcome)
                }
                Step::Empty => None,
            }
        })
        .await
    }

    async fn job(&self, tenant_name: &str, id: &JobId) -> Job {
        self.store.get(&tenant(tenant_name), id).await.unwrap()
    }

    async fn stop(self) {
        self.worker.shutdown().await.unwrap();
    }
}

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

fn webhook(url: &str) -> Value {
    json!({"channel": "webhook", "recipient": {"address": url}, "body": "hello"})
}

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

// ---------------------------------------------------------------------------------
// Webhook receiver: herald-testkit's sink, whose `/status/{code}` answers `code` (a 429
// with `Retry-After: 7`)

fn allow_loopback(config: &mut Config) {
    config.ssrf = herald_core::ssrf::TargetGuard::new(vec!["127.0.0.0/8".parse::<Cidr>().unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_receiver_verifies_the_hmac_and_sees_the_idempotency_key_and_attempt() {
    let receiver = Sink::start().await;
    let world = World::start(|c| {
        allow_loopback(c);
        c.retry = RetryPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
    })
    .await;

    let ok = world
        .submit(TENANT, webhook(&receiver.status_url(200)))
        .await;
    assert_eq!(world.step().await, (ok.clone(), Outcome::Completed));
    // 503 then 503 again: the same key on both attempts, the attempt counting up.
    let flaky = world
        .submit_job(
            NewJob::new(
                JobKind::Notification,
                tenant(TENANT),
                webhook(&receiver.status_url(503)),
            )
            .max_attempts(2),
        )
        .await;
    assert!(matches!(world.step().await.1, Outcome::Retried { .. }));
    assert!(matches!(
        world.step_when_due(&flaky).await,
        Outcome::Dead { .. }
    ));
    // A tenant without a secret gets no signature.
    let unsigned = world
        .submit("beta", webhook(&receiver.status_url(200)))
        .await;
    assert_eq!(world.step().await, (unsigned.clone(), Outcome::Completed));

    let hits = receiver.received();
    assert_eq!(hits.len(), 4, "{hits:?}");
    let (first, retries, beta) = (&hits[0], &hits[1..3], &hits[3]);
    assert!(first.signed_with(SECRET), "{first:?}");
    assert!(!first.signed_with("some-other-secret"));
    // Standard Webhooks: the job id is the webhook-id, the timestamp is now, and a
    // library given the secret's `whsec_` form verifies the same signature.
    assert_eq!(first.header("webhook-id"), ok.as_str());
    assert!(first.standard_signed_with(&StandardSignature::library_secret(SECRET.as_bytes())));
    assert!(first.header("webhook-signature").starts_with("v1,"));
    assert_eq!(first.header("idempotency-key"), ok.as_str());
    assert_eq!(first.header("x-herald-attempt"), "1");
    assert_eq!(first.header("content-type"), "application/json");
    let body: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(body["channel"], "webhook");
    assert_eq!(body["body"], "hello");
    for (n, hit) in retries.iter().enumerate() {
        assert!(hit.signed_with(SECRET));
        assert_eq!(hit.header("idempotency-key"), flaky.as_str());
        assert_eq!(hit.header("x-herald-attempt"), (n + 1).to_string());
    }
    assert_eq!(beta.header("idempotency-key"), unsigned.as_str());
    assert_eq!(beta.header("x-herald-signature"), "");
    world.stop().await;
}

// ---------------------------------------------------------------------------------
// Classification

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_at_the_policys_backoff() {
    let receiver = Sink::start().await;
    let world = World::start(allow_loopback).await;
    let id = world
        .submit(TENANT, webhook(&receiver.status_url(500)))
        .await;
    let before = Utc::now();
    let (_, outcome) = world.step().await;
    let after = Utc::now();
    let Outcome::Retried { run_at } = outcome else {
        panic!("500 must be retried: {outcome:?}");
    };
    let job = world.job(TENANT, &id).await;
    assert_eq!(job.status, JobStatus::Scheduled);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.run_at, run_at);
    assert!(job.last_error.as_deref().unwrap_or("").contains("500"));
    // The default policy's first delay is drawn from [base/2, base] = [1 s, 2 s].
    let base = RetryPolicy::default().base;
    let base = chrono::Duration::from_std(base).unwrap();
    assert!(
        run_at >= before + base / 2 && run_at <= after + base,
        "runAt {run_at} is not within [{}, {}]",
        before + base / 2,
        after + base
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_retried_when_the_receiver_asked() {
    let receiver = Sink::start().await;
    let world = World::start(allow_loopback).await;
    let id = world
        .submit(TENANT, webhook(&receiver.status_url(429)))
        .await;
    let before = Utc::now();
    let (_, outcome) = world.step().await;
    let after = Utc::now();
    let Outcome::Retried { run_at } = outcome else {
        panic!("429 must be retried: {outcome:?}");
    };
    let seven = chrono::Duration::seconds(7);
    assert!(
        run_at >= before + seven && run_at <= after + seven + chrono::Duration::seconds(1),
        "runAt {run_at} is not now + 7 s (between {before} and {after})"
    );
    let job = world.job(TENANT, &id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Scheduled, 1));
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_is_dead_after_one_attempt() {
    let receiver = Sink::start().await;
    let world = World::start(allow_loopback).await;
    let id = world
        .submit(TENANT, webhook(&receiver.status_url(400)))
        .await;
    let (_, outcome) = world.step().await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("400")),
        "{outcome:?}"
    );
    let job = world.job(TENANT, &id).await;
    assert_eq!(job.status, JobStatus::Dead);
    assert_eq!(job.attempts, 1);
    assert!(
        job.max_attempts > 1,
        "dead by classification, not exhaustion"
    );
    assert_eq!(receiver.received().len(), 1);
    world.stop().await;
}

// ---------------------------------------------------------------------------------
// SSRF at delivery

/// The store writes a delivery's outcome, but its answer is lost (an injected
/// `Unavailable` after the real write): the retry is refused as a lost lease, and the
/// worker reads the job back and records the outcome it wrote — not a lost lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_written_but_unanswered_is_recorded_not_counted_as_a_lost_lease() {
    let receiver = Sink::start().await;
    let mut lossy = None;
    let world = World::start_wrapped(allow_loopback, |real| {
        let store = support::faults::LostAnswers::new(real);
        lossy = Some(store.clone());
        store
    })
    .await;
    let store = lossy.unwrap();

    // Delivered; the completion's answer lost.
    store.lose("complete_many", 1);
    let id = world
        .submit(
            TENANT,
            json!({"channel": "log", "recipient": {"address": "a"}}),
        )
        .await;
    assert_eq!(world.step().await, (id.clone(), Outcome::Completed));
    assert_eq!(store.calls("complete_many"), 2);
    let job = world.job(TENANT, &id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));

    // A 500, to retry; the failure's answer lost.
    store.lose("fail", 1);
    let id = world
        .submit(TENANT, webhook(&receiver.status_url(500)))
        .await;
    let (got, outcome) = world.step().await;
    assert_eq!(got, id);
    let job = world.job(TENANT, &id).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Scheduled, 1));
    assert_eq!(outcome, Outcome::Retried { run_at: job.run_at });

    // A 400, dead at once; the failure's answer lost.
    store.lose("fail", 1);
    let id = world
        .submit(TENANT, webhook(&receiver.status_url(400)))
        .await;
    let (_, outcome) = world.step().await;
    let job = world.job(TENANT, &id).await;
    assert_eq!(job.status, JobStatus::Dead);
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("400")),
        "{outcome:?}"
    );
    assert_eq!(store.calls("fail"), 4, "each lost answer was retried once");
    assert_eq!(world.worker.context().metrics.lease_lost.get(), 0);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_webhook_targets_are_dead_without_the_allow_list() {
    let receiver = Sink::start().await;
    let world = World::start(|_| {}).await;
    let port = receiver.port();
    let targets = [
        format!("http://127.0.0.1:{port}/status/200"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
        // A host name resolving to loopback: the worker judges names only on what the
        // system resolver answers for them (the API refuses `localhost` by name).
        format!("http://localhost:{port}/status/200"),
        format!("http://[::ffff:127.0.0.1]:{port}/status/200"),
        // IPv6 forms that embed loopback: IPv4-compatible, NAT64 (well-known and
        // local-use), 6to4, Teredo. Judged by the IPv4 inside.
        format!("http://[::127.0.0.1]:{port}/status/200"),
        format!("http://[64:ff9b::7f00:1]:{port}/status/200"),
        format!("http://[64:ff9b:1:7f00:0:100::]:{port}/status/200"),
        format!("http://[2002:7f00:1::]:{port}/status/200"),
        format!("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/status/200"),
    ];
    for target in &targets {
        let id = world.submit(TENANT, webhook(target)).await;
        let (got, outcome) = world.step().await;
        assert_eq!(got, id);
        let Outcome::Dead { error } = outcome else {
            panic!("{target} was not refused: {outcome:?}");
        };
        let job = world.job(TENANT, &id).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1), "{target}");
        // The tenant reads a generic code: no resolved or internal address to map the
        // deployment's network with (that goes to the operator's log).
        let last = job.last_error.clone().unwrap_or_default();
        for shown in [&error, &last] {
            assert!(shown.contains("target_refused"), "{target}: {shown}");
            for leak in [
                "127.0.0.1",
                "::1",
                "10.0.0.1",
                "169.254",
                "resolves",
                "loopback",
            ] {
                assert!(!shown.contains(leak), "{target}: {leak} in {shown}");
            }
        }
    }
    assert!(
        receiver.received().is_empty(),
        "a refused target was contacted: {:?}",
        receiver.received()
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_webhook_targets_are_delivered_with_the_allow_list() {
    let receiver = Sink::start().await;
    let world = World::start(allow_loopback).await;
    let port = receiver.port();
    for target in [
        format!("http://127.0.0.1:{port}/status/200"),
        format!("http://localhost:{port}/status/204"),
        format!("http://LOCALHOST:{port}/status/200"),
    ] {
        world.submit(TENANT, webhook(&target)).await;
        assert_eq!(world.step().await.1, Outcome::Completed, "{target}");
    }
    assert_eq!(receiver.received().len(), 3);
    // Still refused: outside the allowed range.
    world
        .submit(TENANT, webhook("http://169.254.169.254/latest/meta-data/"))
        .await;
    assert!(matches!(world.step().await.1, Outcome::Dead { .. }));
    world.stop().await;
}

// ---------------------------------------------------------------------------------
// Email over a real SMTP server

/// `tests/smtp_sink.py` under the test venv's Python: a real SMTP server on loopback
/// that appends each accepted message to a JSON-lines file.
struct SmtpSink {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl SmtpSink {
    /// Plain SMTP, no AUTH.
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// With `smtp_sink.py`'s options (`--tls`, `--cert`, `--key`, `--auth`).
    fn start_with(dir: &Path, options: &[&str]) -> Self {
        let python = std::env::var("HERALD_TEST_PYTHON").unwrap_or_else(|_| {
            panic!(
                "HERALD_TEST_PYTHON is not set: run the tests with scripts/test.sh, which \
                 installs aiosmtpd into the test venv and exports its Python"
            )
        });
        let out = dir.join("mail.jsonl");
        let mut child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py"))
            .arg(&out)
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink printed {line:?}, not a port"));
        Self { child, port, out }
    }

    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn email_config(port: u16) -> EmailConfig {
    EmailConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(5),
        extra_roots: None,
        from: "Herald <no-reply@herald.example>".parse().unwrap(),
        from_tenants: HashMap::from([(
            tenant(TENANT),
            "Acme Alerts <alerts@acme.example>".parse().unwrap(),
        )]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_a_real_smtp_server_with_subject_recipient_sender_and_body() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path());
    let world = World::start(|c| c.email = Some(email_config(smtp.port))).await;

    let plain = world
        .submit(
            TENANT,
            json!({"channel": "email", "recipient": {"address": "jo@customer.example"},
                   "subject": "Your order shipped", "body": "It left the warehouse today."}),
        )
        .await;
    assert_eq!(world.step().await, (plain.clone(), Outcome::Completed));
    let templated = world
        .submit(
            "beta",
            json!({"channel": "email", "recipient": {"address": "sam@customer.example"},
                   "template": "order-shipped", "data": {"order": "A-17", "items": 3}}),
        )
        .await;
    assert_eq!(world.step().await, (templated.clone(), Outcome::Completed));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["rcpt_tos"], json!(["jo@customer.example"]));
    assert_eq!(m["to"], "jo@customer.example");
    assert_eq!(m["mail_from"], "alerts@acme.example", "the tenant's sender");
    assert_eq!(m["from"], "Acme Alerts <alerts@acme.example>");
    assert_eq!(m["subject"], "Your order shipped");
    assert_eq!(m["content_type"], "text/plain");
    assert_eq!(
        m["body"].as_str().unwrap().trim_end(),
        "It left the warehouse today."
    );
    assert_eq!(m["job_id"], plain.as_str());
    assert_eq!(m["message_id"], format!("<{plain}@acme.example>"));

    let t = &messages[1];
    assert_eq!(t["rcpt_tos"], json!(["sam@customer.example"]));
    assert_eq!(
        t["mail_from"], "no-reply@herald.example",
        "the default sender"
    );
    assert_eq!(t["subject"], "Notification");
    assert_eq!(
        t["body"].as_str().unwrap().trim_end(),
        "order-shipped\nitems: 3\norder: A-17"
    );
    assert_eq!(t["job_id"], templated.as_str());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_550_is_dead_after_one_attempt_and_451_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path());
    let world = World::start(|c| c.email = Some(email_config(smtp.port))).await;

    let unknown = world
        .submit(
            TENANT,
            json!({"channel": "email", "recipient": {"address": "nosuchuser@customer.example"},
                   "body": "hi"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("550")),
        "{outcome:?}"
    );
    let job = world.job(TENANT, &unknown).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));

    let busy = world
        .submit(
            TENANT,
            json!({"channel": "email", "recipient": {"address": "busy@customer.example"},
                   "body": "hi"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(matches!(outcome, Outcome::Retried { .. }), "{outcome:?}");
    let job = world.job(TENANT, &busy).await;
    assert_eq!((job.status, job.attempts), (JobStatus::Scheduled, 1));
    assert!(job.last_error.as_deref().unwrap_or("").contains("451"));

    // A recipient that is not an address never reaches the relay.
    world
        .submit(
            TENANT,
            json!({"channel": "email", "recipient": {"address": "not an address"}, "body": "hi"}),
        )
        .await;
    assert!(matches!(world.step().await.1, Outcome::Dead { .. }));
    assert!(smtp.messages().is_empty());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_relay_down_is_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::start(|c| c.email = Some(email_config(port))).await;
    world
        .submit(
            TENANT,
            json!({"channel": "email", "recipient": {"address": "jo@customer.example"},
                   "body": "hi"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(matches!(outcome, Outcome::Retried { .. }), "{outcome:?}");
    world.stop().await;
}

// ---------------------------------------------------------------------------------
// Email over TLS (STARTTLS and implicit) and SMTP AUTH, with certificates of a private CA

/// A private CA, generated per test (rcgen), and what it signs.
struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl TestCa {
    fn new(name: &str) -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            issuer: rcgen::Issuer::new(params, key),
            pem,
        }
    }

    /// Writes a server certificate for `127.0.0.1` and `localhost` (the sink's address)
    /// and its key under `dir`; returns (certificate, key) paths.
    fn server_cert(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "herald-test-smtp");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_path, key_path) = (dir.join("server.pem"), dir.join("server.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        (cert_path, key_path)
    }
}

/// Writes the CA certificates, concatenated, as `name` under `dir`.
fn ca_file(dir: &Path, name: &str, cas: &[&TestCa]) -> PathBuf {
    let path = dir.join(name);
    let text: String = cas.iter().map(|ca| ca.pem.as_str()).collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// A sink speaking TLS (`mode`: `starttls` or `implicit`) with a certificate of `ca`,
/// plus `extra` options.
fn tls_sink(dir: &Path, ca: &TestCa, mode: &str, extra: &[&str]) -> SmtpSink {
    let (cert, key) = ca.server_cert(dir);
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let mut options = vec!["--tls", mode, "--cert", cert, "--key", key];
    options.extend_from_slice(extra);
    SmtpSink::start_with(dir, &options)
}

fn tls_email_config(port: u16, tls: SmtpTls, ca_file: Option<&Path>) -> EmailConfig {
    EmailConfig {
        tls,
        extra_roots: ca_file.map(|path| SmtpRoots::load(path).unwrap()),
        ..email_config(port)
    }
}

fn email_job(address: &str) -> Value {
    json!({"channel": "email", "recipient": {"address": address},
           "subject": "Over TLS", "body": "sealed"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_starttls_trusts_every_ca_of_smtp_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Herald Test Relay CA");
    let smtp = tls_sink(dir.path(), &ca, "starttls", &[]);
    // The relay's CA second in a bundle: every certificate of the file is trusted.
    let bundle = ca_file(
        dir.path(),
        "bundle.pem",
        &[&TestCa::new("Some Other CA"), &ca],
    );
    assert_eq!(SmtpRoots::load(&bundle).unwrap().certificates.len(), 2);
    let world = World::start(|c| {
        c.email = Some(tls_email_config(
            smtp.port,
            SmtpTls::StartTls,
            Some(&bundle),
        ))
    })
    .await;

    let id = world.submit(TENANT, email_job("jo@customer.example")).await;
    assert_eq!(world.step().await, (id.clone(), Outcome::Completed));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m["tls"], true, "{m}");
    assert!(
        m["tls_version"].as_str().unwrap().starts_with("TLSv1."),
        "{m}"
    );
    assert_eq!(m["login"], Value::Null);
    assert_eq!(m["rcpt_tos"], json!(["jo@customer.example"]));
    assert_eq!(m["job_id"], id.as_str());
    assert_eq!(m["body"].as_str().unwrap().trim_end(), "sealed");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_over_implicit_tls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Herald Test Relay CA");
    let smtp = tls_sink(dir.path(), &ca, "implicit", &[]);
    let roots = ca_file(dir.path(), "ca.pem", &[&ca]);
    let world =
        World::start(|c| c.email = Some(tls_email_config(smtp.port, SmtpTls::Tls, Some(&roots))))
            .await;

    let id = world.submit(TENANT, email_job("jo@customer.example")).await;
    assert_eq!(world.step().await, (id.clone(), Outcome::Completed));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["tls"], true, "{messages:?}");
    assert_eq!(messages[0]["job_id"], id.as_str());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_certificate_that_is_not_trusted_is_retried_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Herald Test Relay CA");
    let other = ca_file(dir.path(), "other.pem", &[&TestCa::new("Some Other CA")]);
    for (mode, tls) in [("starttls", SmtpTls::StartTls), ("implicit", SmtpTls::Tls)] {
        let sink_dir = tempfile::tempdir().unwrap();
        let smtp = tls_sink(sink_dir.path(), &ca, mode, &[]);
        // Mozilla's roots alone, then with a CA that did not sign the relay's certificate.
        for roots in [None, Some(other.as_path())] {
            let world = World::start(|c| {
                c.email = Some(tls_email_config(smtp.port, tls, roots));
            })
            .await;
            let id = world.submit(TENANT, email_job("jo@customer.example")).await;
            let (_, outcome) = world.step().await;
            assert!(
                matches!(outcome, Outcome::Retried { .. }),
                "{mode} {roots:?}: {outcome:?}"
            );
            let job = world.job(TENANT, &id).await;
            assert_eq!(
                (job.status, job.attempts),
                (JobStatus::Scheduled, 1),
                "{mode} {roots:?}"
            );
            // rustls's verdict, through lettre's TLS error: not some other failure.
            let error = job.last_error.unwrap_or_default();
            assert!(
                error.contains("SMTP relay") && error.contains("UnknownIssuer"),
                "{mode} {roots:?}: {error}"
            );
            world.stop().await;
        }
        assert!(smtp.messages().is_empty(), "{mode}: {:?}", smtp.messages());
    }
}

const SMTP_USER: &str = "herald-mailer";
const SMTP_PASSWORD: &str = "relay-password-value";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_auth_over_starttls_logs_in_and_a_wrong_password_is_dead() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Herald Test Relay CA");
    let auth = format!("{SMTP_USER}:{SMTP_PASSWORD}");
    let smtp = tls_sink(dir.path(), &ca, "starttls", &["--auth", &auth]);
    let roots = ca_file(dir.path(), "ca.pem", &[&ca]);

    for (password, delivered) in [(SMTP_PASSWORD, true), ("not-the-password", false)] {
        let world = World::start(|c| {
            c.email = Some(EmailConfig {
                username: Some(SMTP_USER.to_owned()),
                password: Some(password.to_owned().into()),
                ..tls_email_config(smtp.port, SmtpTls::StartTls, Some(&roots))
            });
        })
        .await;
        let id = world.submit(TENANT, email_job("jo@customer.example")).await;
        let (_, outcome) = world.step().await;
        let job = world.job(TENANT, &id).await;
        if delivered {
            assert_eq!(outcome, Outcome::Completed);
            assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));
        } else {
            // 535 5.7.8: a permanent reply, like any 5xx.
            assert!(
                matches!(&outcome, Outcome::Dead { error } if error.contains("535")),
                "{outcome:?}"
            );
            assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
            assert!(
                !job.last_error.as_deref().unwrap_or("").contains(password),
                "the error shows the password: {:?}",
                job.last_error
            );
        }
        world.stop().await;
    }

    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        1,
        "only the right password sends: {messages:?}"
    );
    assert_eq!(messages[0]["login"], SMTP_USER);
    assert_eq!(messages[0]["tls"], true);
}

// ---------------------------------------------------------------------------------
// SMS (Twilio) and push (FCM)

const SID: &str = "ACtest0123456789";
const TWILIO_TOKEN: &str = "twilio-test-token";
/// `Basic base64("ACtest0123456789:twilio-test-token")`, computed outside Herald.
const TWILIO_BASIC: &str = "Basic QUN0ZXN0MDEyMzQ1Njc4OTp0d2lsaW8tdGVzdC10b2tlbg==";

/// What a fake provider saw, and what it checked.
type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json`: Basic auth, a form with
/// `To`, `From`, `Body`. Answers 201 like Twilio, or 400 (Twilio's error 21211) for an
/// invalid `To`.
async fn twilio(
    State(seen): State<Seen>,
    UrlPath(sid): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    seen.lock().unwrap().push((headers.clone(), body.clone()));
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if sid != SID || header("authorization") != TWILIO_BASIC {
        return (StatusCode::UNAUTHORIZED, r#"{"code":20003}"#.into());
    }
    if header("content-type") != "application/x-www-form-urlencoded" {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, String::new());
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let to = form.get("To").cloned().unwrap_or_default();
    if !to.starts_with('+') || form.get("Body").is_none_or(|b| b.is_empty()) {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"code":21211,"message":"Invalid 'To' Phone Number"}"#.into(),
        );
    }
    (
        StatusCode::CREATED,
        json!({"sid": "SM0001", "status": "queued", "to": to}).to_string(),
    )
}

fn sms_config(base: String) -> SmsConfig {
    SmsConfig {
        base_url: base,
        account_sid: SID.into(),
        auth_token: TWILIO_TOKEN.to_owned().into(),
        from: "+15017122661".into(),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_follows_twilios_messages_api() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(twilio))
        .with_state(seen.clone());
    let addr = serve(app).await;
    let world = World::start(|c| {
        allow_loopback(c);
        c.sms = Some(sms_config(format!("http://{addr}")));
    })
    .await;

    let id = world
        .submit(
            TENANT,
            json!({"channel": "sms", "recipient": {"address": "+15558675310"},
                   "body": "Your code is 123456"}),
        )
        .await;
    assert_eq!(world.step().await, (id.clone(), Outcome::Completed));
    {
        let seen = seen.lock().unwrap();
        let (headers, body) = &seen[0];
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        assert_eq!(form["To"], "+15558675310");
        assert_eq!(form["From"], "+15017122661");
        assert_eq!(form["Body"], "Your code is 123456");
        assert_eq!(form.len(), 3, "{form:?}");
        assert_eq!(headers["i-twilio-idempotency-token"], id.as_str());
    }

    // Twilio's 400 for a bad number is the job's fault: dead at once.
    let bad = world
        .submit(
            TENANT,
            json!({"channel": "sms", "recipient": {"address": "555-not-e164"}, "body": "x"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("400")),
        "{outcome:?}"
    );
    assert_eq!(world.job(TENANT, &bad).await.attempts, 1);
    world.stop().await;

    // Wrong credentials are refused by the provider (a permanent 401).
    let world = World::start(|c| {
        allow_loopback(c);
        let mut config = sms_config(format!("http://{addr}"));
        config.auth_token = "wrong-token".to_owned().into();
        c.sms = Some(config);
    })
    .await;
    world
        .submit(
            TENANT,
            json!({"channel": "sms", "recipient": {"address": "+15558675310"}, "body": "x"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("401")),
        "{outcome:?}"
    );
    world.stop().await;
}

const FCM_TOKEN: &str = "ya29.fcm-test-access-token";

/// FCM HTTP v1's `POST /v1/projects/{project}/messages:send`: Bearer auth and the
/// `{"message": {"token", "notification": {"title", "body"}, "data"}}` body, `data`
/// values all strings. Answers 404 `UNREGISTERED` for the token `stale-device`.
async fn fcm(
    State(seen): State<Seen>,
    UrlPath(project): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    seen.lock().unwrap().push((headers.clone(), body.clone()));
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if project != "herald-test" || header("authorization") != format!("Bearer {FCM_TOKEN}") {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON".into());
    };
    let message = &request["message"];
    let shape_ok = header("content-type") == "application/json"
        && message["token"].is_string()
        && message["notification"]["title"].is_string()
        && message["notification"]["body"].is_string()
        && message["data"]
            .as_object()
            .is_some_and(|d| d.values().all(Value::is_string));
    if !shape_ok {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": {"status": "INVALID_ARGUMENT"}}).to_string(),
        );
    }
    if message["token"] == "stale-device" {
        return (
            StatusCode::NOT_FOUND,
            json!({"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}})
                .to_string(),
        );
    }
    (
        StatusCode::OK,
        json!({"name": "projects/herald-test/messages/0:1"}).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_follows_fcm_http_v1() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/projects/{project}/messages:send", post(fcm))
        .with_state(seen.clone());
    let addr = serve(app).await;
    let world = World::start(|c| {
        allow_loopback(c);
        c.push = Some(PushConfig {
            base_url: format!("http://{addr}"),
            project_id: "herald-test".into(),
            auth: PushAuth::Static(FCM_TOKEN.to_owned().into()),
            timeout: Duration::from_secs(5),
        })
    })
    .await;

    let id = world
        .submit(
            TENANT,
            json!({"channel": "push", "recipient": {"address": "device-token-1"},
                   "subject": "Goal!", "body": "2-1 in the 89th minute"}),
        )
        .await;
    assert_eq!(world.step().await, (id.clone(), Outcome::Completed));
    {
        let seen = seen.lock().unwrap();
        let body: Value = serde_json::from_slice(&seen[0].1).unwrap();
        assert_eq!(
            body,
            json!({"message": {
                "token": "device-token-1",
                "notification": {"title": "Goal!", "body": "2-1 in the 89th minute"},
                "data": {"jobId": id.as_str(), "tenant": TENANT, "attempt": "1"},
            }})
        );
    }

    let stale = world
        .submit(
            TENANT,
            json!({"channel": "push", "recipient": {"address": "stale-device"}, "body": "x"}),
        )
        .await;
    let (_, outcome) = world.step().await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("404")),
        "{outcome:?}"
    );
    assert_eq!(world.job(TENANT, &stale).await.attempts, 1);
    world.stop().await;
}

/// The adapters' base URLs are the operator's, but go through the same SSRF guard:
/// without the allow-list, a provider whose name resolves to loopback is refused at
/// delivery (permanently, never contacted), and a literal internal base URL stops the
/// worker from starting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapter_base_urls_inside_the_network_are_refused_without_the_allow_list() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(twilio))
        .with_state(seen.clone());
    let addr = serve(app).await;
    let world = World::start(|c| {
        c.sms = Some(sms_config(format!("http://localhost:{}", addr.port())));
        c.push = Some(PushConfig {
            base_url: format!("http://localhost:{}", addr.port()),
            project_id: "herald-test".into(),
            auth: PushAuth::Static(FCM_TOKEN.to_owned().into()),
            timeout: Duration::from_secs(5),
        });
    })
    .await;
    for request in [
        json!({"channel": "sms", "recipient": {"address": "+15558675310"}, "body": "x"}),
        json!({"channel": "push", "recipient": {"address": "device-token-1"}, "body": "x"}),
    ] {
        let id = world.submit(TENANT, request.clone()).await;
        let (got, outcome) = world.step().await;
        assert_eq!(got, id);
        let Outcome::Dead { error } = outcome else {
            panic!("{request} was not refused: {outcome:?}");
        };
        assert!(error.contains("target_refused"), "{error}");
        assert!(!error.contains("127.0.0.1"), "{error}");
        assert_eq!(world.job(TENANT, &id).await.attempts, 1);
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "a refused provider was contacted"
    );
    world.stop().await;

    // Allowed: the same name is delivered to.
    let world = World::start(|c| {
        allow_loopback(c);
        c.sms = Some(sms_config(format!("http://localhost:{}", addr.port())));
    })
    .await;
    let request = json!({"channel": "sms", "recipient": {"address": "+15558675310"}, "body": "x"});
    let id = world.submit(TENANT, request).await;
    assert_eq!(world.step().await, (id, Outcome::Completed));
    assert_eq!(seen.lock().unwrap().len(), 1);
    world.stop().await;

    // A literal internal base URL: the worker does not start.
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::embedded(StoreConfig::Sqlite(SqliteConfig::new(
        dir.path().join("herald.db"),
    )));
    config.sms = Some(sms_config("http://10.0.0.5:8080".into()));
    let err = Worker::builder(config).start().await.unwrap_err();
    assert!(format!("{err:#}").contains("SMS_BASE_URL"), "{err:#}");
}

// ---------------------------------------------------------------------------------
// Push with a service account: tokens minted from PUSH_SERVICE_ACCOUNT_FILE

/// A TEST-ONLY RSA key pair (fixtures/README.md): the service account's key, and the
/// public half the fake token endpoint verifies assertions with.
const TEST_KEY: &str = include_str!("fixtures/push-test-key.pem");
const TEST_PUBLIC_KEY: &str = include_str!("fixtures/push-test-key.pub.pem");
const SA_EMAIL: &str = "herald-push@herald-test.iam.gserviceaccount.com";
const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// A fake Google token endpoint (`POST /token`) and a fake FCM that accepts only the
/// token minted last, on one server.
struct Google {
    /// What `/token` answers: 200 mints a token, 400 is `invalid_grant`, others as is.
    status: Mutex<u16>,
    /// The minted tokens' `expires_in`.
    expires_in: u64,
    /// Requests to `/token`, whatever the answer.
    token_hits: AtomicUsize,
    /// Requests to FCM.
    fcm_hits: AtomicUsize,
    /// The token FCM accepts.
    current: Mutex<Option<String>>,
    /// FCM refuses every token.
    fcm_refuses: AtomicBool,
    /// Every way an assertion was wrong (the test asserts there is none).
    problems: Mutex<Vec<String>>,
}

impl Google {
    async fn start(expires_in: u64) -> (Arc<Self>, std::net::SocketAddr) {
        let google = Arc::new(Self {
            status: Mutex::new(200),
            expires_in,
            token_hits: AtomicUsize::new(0),
            fcm_hits: AtomicUsize::new(0),
            current: Mutex::new(None),
            fcm_refuses: AtomicBool::new(false),
            problems: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/token", post(google_token))
            .route("/v1/projects/{project}/messages:send", post(fcm_minted))
            .with_state(google.clone());
        (google, serve(app).await)
    }

    fn token_hits(&self) -> usize {
        self.token_hits.load(Ordering::SeqCst)
    }

    fn fcm_hits(&self) -> usize {
        self.fcm_hits.load(Ordering::SeqCst)
    }

    fn problems(&self) -> Vec<String> {
        self.problems.lock().unwrap().clone()
    }
}

/// Google's side of the service-account flow: the form's `grant_type`, then the JWT —
/// RS256 signature by the account's key, `typ` JWT, `iss`, `scope`, `aud` (this
/// endpoint's own URL), `exp - iat` of an hour, `iat` now.
fn check_assertion(headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("content-type") != "application/x-www-form-urlencoded" {
        return Err(format!("content-type {}", header("content-type")));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return Err(format!("grant_type {:?}", form.get("grant_type")));
    }
    let assertion = form.get("assertion").ok_or("no assertion")?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[format!("http://{}/token", header("host"))]);
    validation.set_issuer(&[SA_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let data = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|e| format!("assertion refused: {e}"))?;
    if data.header.typ.as_deref() != Some("JWT") {
        return Err(format!("typ {:?}", data.header.typ));
    }
    let claims = data.claims;
    if claims["scope"] != FCM_SCOPE {
        return Err(format!("scope {}", claims["scope"]));
    }
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    let (Some(iat), Some(exp)) = (iat, exp) else {
        return Err(format!("iat/exp not numbers: {claims}"));
    };
    if exp - iat != 3600 || (iat - Utc::now().timestamp()).abs() > 60 {
        return Err(format!("iat {iat} exp {exp}"));
    }
    Ok(())
}

async fn google_token(
    State(google): State<Arc<Google>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let n = google.token_hits.fetch_add(1, Ordering::SeqCst) + 1;
    let status = *google.status.lock().unwrap();
    if status == 400 {
        let error =
            json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."});
        return (StatusCode::BAD_REQUEST, error.to_string());
    }
    if status != 200 {
        return (StatusCode::from_u16(status).unwrap(), String::new());
    }
    if let Err(problem) = check_assertion(&headers, &body) {
        google.problems.lock().unwrap().push(problem.clone());
        let error = json!({"error": "invalid_grant", "error_description": problem});
        return (StatusCode::BAD_REQUEST, error.to_string());
    }
    let token = format!("ya29.minted-{n}");
    *google.current.lock().unwrap() = Some(token.clone());
    let grant =
        json!({"access_token": token, "expires_in": google.expires_in, "token_type": "Bearer"});
    (StatusCode::OK, grant.to_string())
}

/// FCM accepting only the last minted token (else 401 `UNAUTHENTICATED`, as FCM does
/// for an expired or revoked token).
async fn fcm_minted(
    State(google): State<Arc<Google>>,
    UrlPath(project): UrlPath<String>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    google.fcm_hits.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let current = google.current.lock().unwrap().clone();
    let accepted = current.is_some_and(|t| authorization == format!("Bearer {t}"))
        && !google.fcm_refuses.load(Ordering::SeqCst);
    if project != "herald-test" || !accepted {
        let error = json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}});
        return (StatusCode::UNAUTHORIZED, error.to_string());
    }
    let name = json!({"name": "projects/herald-test/messages/0:1"});
    (StatusCode::OK, name.to_string())
}

/// A service-account key file like the one the Cloud console hands out, whose
/// `token_uri` is the fake endpoint.
fn service_account_file(dir: &Path, token_uri: &str) -> PathBuf {
    let path = dir.join("service-account.json");
    let key = json!({
        "type": "service_account",
        "project_id": "herald-test",
        "private_key_id": "0123456789abcdef",
        "private_key": TEST_KEY,
        "client_email": SA_EMAIL,
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&key).unwrap()).unwrap();
    path
}

/// A world whose push channel mints from a service account against `google`.
async fn minting_world(dir: &Path, addr: std::net::SocketAddr) -> World {
    let file = service_account_file(dir, &format!("http://{addr}/token"));
    let account = ServiceAccount::load(&file).unwrap();
    World::start(|c| {
        allow_loopback(c);
        c.push = Some(PushConfig {
            base_url: format!("http://{addr}"),
            project_id: "herald-test".into(),
            auth: PushAuth::ServiceAccount(account),
            timeout: Duration::from_secs(5),
        })
    })
    .await
}

fn push_job() -> Value {
    json!({"channel": "push", "recipient": {"address": "device-token-1"}, "body": "x"})
}

/// The base64 lines of the test key: none may show up in a message or a log.
fn key_lines() -> Vec<&'static str> {
    TEST_KEY
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_mints_a_token_from_the_service_account_and_reuses_it_until_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (google, addr) = Google::start(3600).await;
    let world = minting_world(dir.path(), addr).await;

    // First push: one token minted, FCM accepts it.
    let id = world.submit(TENANT, push_job()).await;
    assert_eq!(world.step().await, (id, Outcome::Completed));
    assert_eq!(google.problems(), Vec::<String>::new());
    assert_eq!((google.token_hits(), google.fcm_hits()), (1, 1));

    // Second push: the cached token, no new mint.
    let id = world.submit(TENANT, push_job()).await;
    assert_eq!(world.step().await, (id, Outcome::Completed));
    assert_eq!((google.token_hits(), google.fcm_hits()), (1, 2));

    // The cached token is revoked: FCM's 401 drops it and the attempt is retried; the
    // retry mints a new token and is delivered.
    *google.current.lock().unwrap() = Some("ya29.someone-else".into());
    let id = world.submit(TENANT, push_job()).await;
    let (got, outcome) = world.step().await;
    assert_eq!(got, id);
    assert!(matches!(outcome, Outcome::Retried { .. }), "{outcome:?}");
    assert_eq!(world.job(TENANT, &id).await.attempts, 1);
    assert_eq!(world.step_when_due(&id).await, Outcome::Completed);
    assert_eq!((google.token_hits(), google.fcm_hits()), (2, 4));

    // FCM refuses every token from now on: the cached one is dropped and retried as
    // above, but a token minted for the attempt and refused at once will not get
    // better: dead, like any other 4xx.
    google.fcm_refuses.store(true, Ordering::SeqCst);
    let id = world.submit(TENANT, push_job()).await;
    let (_, outcome) = world.step().await;
    assert!(matches!(outcome, Outcome::Retried { .. }), "{outcome:?}");
    let outcome = world.step_when_due(&id).await;
    assert!(
        matches!(&outcome, Outcome::Dead { error } if error.contains("401")),
        "{outcome:?}"
    );
    assert_eq!(world.job(TENANT, &id).await.attempts, 2);
    assert_eq!((google.token_hits(), google.fcm_hits()), (3, 6));
    assert_eq!(google.problems(), Vec::<String>::new());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_tokens_with_less_than_five_minutes_left_are_minted_anew() {
    let dir = tempfile::tempdir().unwrap();
    let (google, addr) = Google::start(60).await;
    let world = minting_world(dir.path(), addr).await;
    for n in 1..=3 {
        let id = world.submit(TENANT, push_job()).await;
        assert_eq!(world.step().await, (id, Outcome::Completed));
        assert_eq!((google.token_hits(), google.fcm_hits()), (n, n));
    }
    assert_eq!(google.problems(), Vec::<String>::new());
    world.stop().await;
}

/// A token endpoint that fails is the attempt's failure, and FCM is never called: a 500
/// is retried, Google's 400 `invalid_grant` (a bad or revoked key) is dead, with a
/// message that names the problem and not the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_token_endpoint_500_is_retried_and_invalid_grant_is_dead() {
    let dir = tempfile::tempdir().unwrap();
    let (google, addr) = Google::start(3600).await;
    let world = minting_world(dir.path(), addr).await;

    *google.status.lock().unwrap() = 500;
    let id = world.submit(TENANT, push_job()).await;
    let (got, outcome) = world.step().await;
    assert_eq!(got, id);
    assert!(matches!(outcome, Outcome::Retried { .. }), "{outcome:?}");
    let job = world.job(TENANT, &id).await;
    assert_eq!(job.attempts, 1);
    assert!(
        job.last_error.as_deref().unwrap_or("").contains("500"),
        "{job:?}"
    );
    assert_eq!((google.token_hits(), google.fcm_hits()), (1, 0));

    *google.status.lock().unwrap() = 400;
    let outcome = world.step_when_due(&id).await;
    let Outcome::Dead { error } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(error.contains("400"), "{error}");
    assert!(error.contains("invalid_grant"), "{error}");
    assert!(error.contains("PUSH_SERVICE_ACCOUNT_FILE"), "{error}");
    for line in key_lines() {
        assert!(!error.contains(line), "{error}");
    }
    assert_eq!(world.job(TENANT, &id).await.attempts, 2);
    assert_eq!((google.token_hits(), google.fcm_hits()), (2, 0));
    world.stop().await;
}

// ---------------------------------------------------------------------------------
// Configuration through the real binary

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_enables_channels_from_the_environment_and_delivers_sms() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(twilio))
        .with_state(seen.clone());
    let addr = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let store = herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        herald_core::clock::system(),
    )
    .await
    .unwrap();
    let worker = support::WorkerSpec::new(&db)
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_TLS", "none")
        .env("SMTP_USERNAME", "mailer")
        .env("SMTP_PASSWORD", "smtp-password-value")
        .env("EMAIL_FROM", "Herald <no-reply@herald.example>")
        .env("SMS_ACCOUNT_SID", SID)
        .env("SMS_AUTH_TOKEN", TWILIO_TOKEN)
        .env("SMS_FROM", "+15017122661")
        .env("SMS_BASE_URL", &format!("http://{addr}/"))
        .env("PUSH_PROJECT_ID", "herald-test")
        .env("PUSH_ACCESS_TOKEN", FCM_TOKEN)
        .spawn(dir.path(), "w");
    worker.wait_log_count("delivery channels enabled", 1).await;

    let id = store
        .insert(NewJob::new(
            JobKind::Notification,
            tenant(TENANT),
            json!({"channel": "sms", "recipient": {"address": "+15558675310"}, "body": "hi"}),
        ))
        .await
        .unwrap()
        .into_job()
        .id;
    let job = wait_for(Duration::from_secs(20), "the sms job to finish", || async {
        let job = store.get(&tenant(TENANT), &id).await.ok()?;
        (job.status == JobStatus::Succeeded).then_some(job)
    })
    .await;
    assert_eq!(job.attempts, 1);
    assert_eq!(seen.lock().unwrap().len(), 1);

    let log = worker.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("delivery channels enabled"))
        .unwrap();
    for channel in ["log", "webhook", "email", "sms", "push"] {
        assert!(line.contains(&format!("\"{channel}\"")), "{line}");
    }
    for secret in [TWILIO_TOKEN, FCM_TOKEN, "smtp-password-value", SECRET] {
        assert!(!log.contains(secret), "the log shows a secret:\n{log}");
    }
}

/// The operator's path: `SMTP_TLS` unset (starttls), a private CA in `SMTP_CA_FILE`,
/// SMTP AUTH — all from the environment of the real binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_sends_email_over_starttls_with_smtp_ca_file_and_auth_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Herald Test Relay CA");
    let auth = format!("{SMTP_USER}:{SMTP_PASSWORD}");
    let smtp = tls_sink(dir.path(), &ca, "starttls", &["--auth", &auth]);
    let roots = ca_file(dir.path(), "ca.pem", &[&ca]);
    let db = dir.path().join("herald.db");
    let store = herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        herald_core::clock::system(),
    )
    .await
    .unwrap();
    let worker = support::WorkerSpec::new(&db)
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", &smtp.port.to_string())
        .env("SMTP_CA_FILE", roots.to_str().unwrap())
        .env("SMTP_USERNAME", SMTP_USER)
        .env("SMTP_PASSWORD", SMTP_PASSWORD)
        .env("EMAIL_FROM", "Herald <no-reply@herald.example>")
        .spawn(dir.path(), "w");
    worker.wait_log_count("delivery channels enabled", 1).await;

    let id = store
        .insert(NewJob::new(
            JobKind::Notification,
            tenant(TENANT),
            email_job("jo@customer.example"),
        ))
        .await
        .unwrap()
        .into_job()
        .id;
    let job = wait_for(
        Duration::from_secs(20),
        "the email job to finish",
        || async {
            let job = store.get(&tenant(TENANT), &id).await.ok()?;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert_eq!(job.attempts, 1);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["tls"], true);
    assert_eq!(messages[0]["login"], SMTP_USER);
    assert_eq!(messages[0]["job_id"], id.as_str());
    assert!(!worker.log_text().contains(SMTP_PASSWORD));
}

#[test]
fn a_bad_smtp_ca_file_is_refused_at_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let good = ca_file(dir.path(), "good.pem", &[&TestCa::new("Herald Test CA")]);
    let missing = dir.path().join("missing.pem");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "just some text\n").unwrap();
    let key_only = dir.path().join("key.pem");
    std::fs::write(
        &key_only,
        rcgen::KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    // A well-formed PEM block whose content is not a certificate.
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (i, (tls, file)) in [
        ("starttls", &missing),
        ("tls", &not_pem),
        ("starttls", &key_only),
        ("starttls", &garbage),
        // Roots are meaningless without TLS.
        ("none", &good),
    ]
    .into_iter()
    .enumerate()
    {
        let env = Env::from_pairs([
            ("SMTP_HOST", "127.0.0.1"),
            ("EMAIL_FROM", "a@b.example"),
            ("SMTP_TLS", tls),
            ("SMTP_CA_FILE", file.to_str().unwrap()),
        ]);
        let Err(err) = Config::from_env(&env) else {
            panic!("case {i}: {tls} {file:?} accepted");
        };
        let log = err.to_string();
        assert!(log.contains("SMTP_CA_FILE"), "{tls} {file:?}: {log}");
    }
}

#[test]
fn bad_channel_settings_are_refused_at_start_up_naming_the_variable() {
    for (settings, variable) in [
        (vec![("SMS_AUTH_TOKEN", "token")], "SMS_ACCOUNT_SID"),
        (vec![("SMS_ACCOUNT_SID", SID)], "SMS_AUTH_TOKEN"),
        (
            vec![
                ("SMTP_HOST", "127.0.0.1"),
                ("EMAIL_FROM", "a@b.example"),
                ("SMTP_TLS", "ssl"),
            ],
            "SMTP_TLS",
        ),
        (vec![("SMTP_HOST", "127.0.0.1")], "EMAIL_FROM"),
        (
            vec![
                ("PUSH_PROJECT_ID", "p"),
                ("PUSH_ACCESS_TOKEN", "t"),
                ("PUSH_BASE_URL", "ftp://x"),
            ],
            "PUSH_BASE_URL",
        ),
        (
            vec![
                ("PUSH_PROJECT_ID", "p"),
                ("PUSH_ACCESS_TOKEN", "t"),
                ("PUSH_BASE_URL", "http://169.254.169.254"),
            ],
            "PUSH_BASE_URL",
        ),
    ] {
        let env = Env::from_pairs(settings.iter().copied());
        let Err(err) = Config::from_env(&env) else {
            panic!("{settings:?} accepted");
        };
        let log = err.to_string();
        assert!(log.contains(variable), "{settings:?}: {log}");
    }
}

/// The operator's path: only `PUSH_SERVICE_ACCOUNT_FILE` (the project from the file),
/// through the real binary; the key and the minted token stay out of the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_delivers_push_with_a_service_account_file() {
    let (google, addr) = Google::start(3600).await;
    let dir = tempfile::tempdir().unwrap();
    let file = service_account_file(dir.path(), &format!("http://{addr}/token"));
    let db = dir.path().join("herald.db");
    let store = herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        herald_core::clock::system(),
    )
    .await
    .unwrap();
    let worker = support::WorkerSpec::new(&db)
        .env("PUSH_SERVICE_ACCOUNT_FILE", file.to_str().unwrap())
        .env("PUSH_BASE_URL", &format!("http://{addr}"))
        .env("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8")
        .spawn(dir.path(), "w");
    worker.wait_log_count("delivery channels enabled", 1).await;
    let id = store
        .insert(NewJob::new(
            JobKind::Notification,
            tenant(TENANT),
            push_job(),
        ))
        .await
        .unwrap()
        .into_job()
        .id;
    let job = wait_for(
        Duration::from_secs(20),
        "the push job to finish",
        || async {
            let job = store.get(&tenant(TENANT), &id).await.ok()?;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert_eq!(job.attempts, 1);
    assert_eq!((google.token_hits(), google.fcm_hits()), (1, 1));
    assert_eq!(google.problems(), Vec::<String>::new());
    let log = worker.log_text();
    assert!(!log.contains("ya29.minted"), "{log}");
    for line in key_lines() {
        assert!(!log.contains(line), "the log shows the key:\n{log}");
    }
}

#[test]
fn a_bad_push_service_account_file_is_refused_at_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let good = service_account_file(dir.path(), "https://oauth2.googleapis.com/token");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let key_json = |key: &str| {
        json!({"type": "service_account", "project_id": "herald-test",
               "client_email": SA_EMAIL, "private_key": key})
        .to_string()
    };
    let missing = dir.path().join("missing.json");
    let not_json = write("not.json", "this is not json\n");
    let no_key = write(
        "no-key.json",
        &json!({"type": "service_account", "project_id": "herald-test", "client_email": SA_EMAIL})
            .to_string(),
    );
    // A PEM block whose content is not an RSA key (a line of the real key left out).
    let lines: Vec<&str> = TEST_KEY.lines().collect();
    let damaged: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let damaged = write("damaged.json", &key_json(&damaged));
    let no_email = write(
        "no-email.json",
        &json!({"type": "service_account", "project_id": "herald-test", "private_key": TEST_KEY})
            .to_string(),
    );
    let internal_token_uri = write(
        "internal.json",
        &json!({"type": "service_account", "project_id": "herald-test",
                "client_email": SA_EMAIL, "private_key": TEST_KEY,
                "token_uri": "http://169.254.169.254/token"})
        .to_string(),
    );
    let path = |p: &PathBuf| p.to_str().unwrap().to_owned();
    for (settings, variable) in [
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&missing))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&not_json))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&no_key))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&damaged))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&no_email))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_SERVICE_ACCOUNT_FILE", path(&internal_token_uri))],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![
                ("PUSH_PROJECT_ID", "herald-test".to_owned()),
                ("PUSH_ACCESS_TOKEN", FCM_TOKEN.to_owned()),
                ("PUSH_SERVICE_ACCOUNT_FILE", path(&good)),
            ],
            "PUSH_SERVICE_ACCOUNT_FILE",
        ),
        (
            vec![("PUSH_PROJECT_ID", "herald-test".to_owned())],
            "PUSH_ACCESS_TOKEN",
        ),
    ] {
        let env = Env::from_pairs(settings.iter().cloned());
        let Err(err) = Config::from_env(&env) else {
            panic!("{settings:?} accepted");
        };
        let log = format!("{err} {err:?}");
        assert!(log.contains(variable), "{settings:?}: {log}");
        for line in key_lines() {
            assert!(
                !log.contains(line),
                "{settings:?}: the log shows the key:\n{log}"
            );
        }
        assert!(!log.contains(FCM_TOKEN), "{settings:?}: {log}");
    }
}
