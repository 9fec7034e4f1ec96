//! The run's two webhook receivers: they check every signature, record each
//! delivery in the ledger, and fail on purpose — one refuses a share of deliveries
//! (500, 429, or a reply slower than the workers' timeout), the other can die (its
//! listener closed) and come back on the same address.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use herald_core::signature::HeraldSignature;
use rand::rngs::StdRng;
use rand::Rng;

use super::{lock, Shared, WEBHOOK_TIMEOUT};
// ---------------------------------------------------------------------------
// The receivers

#[derive(Clone)]
pub(super) struct Receiver {
    pub(super) ledger: Shared,
    pub(super) secret: Vec<u8>,
    /// Share of deliveries refused on purpose (500, 429, or too slow).
    pub(super) flaky: f64,
    pub(super) rng: Arc<Mutex<StdRng>>,
}

async fn receive(
    State(r): State<Receiver>,
    UrlPath((what, a, b)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let signed =
        HeraldSignature::verify(&r.secret, &body, &header(HeraldSignature::HEADER)).is_ok();
    if !signed {
        lock(&r.ledger).deliveries.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let roll: f64 = lock(&r.rng).gen();
    if roll < r.flaky {
        lock(&r.ledger).deliveries.refused_on_purpose += 1;
        let third = r.flaky / 3.0;
        return if roll < third {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        } else if roll < 2.0 * third {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
        } else {
            tokio::time::sleep(WEBHOOK_TIMEOUT + Duration::from_millis(500)).await;
            StatusCode::OK.into_response()
        };
    }
    let job = header("idempotency-key");
    let attempt: u32 = header("x-herald-attempt").parse().unwrap_or(0);
    let now = Instant::now();
    let mut l = lock(&r.ledger);
    l.deliveries
        .by_job
        .entry(job.clone())
        .or_default()
        .push((attempt, signed));
    match what.as_str() {
        "n" => {
            if let Ok(n) = a.parse::<u64>() {
                l.deliveries
                    .by_notification
                    .entry(n)
                    .or_default()
                    .insert(job);
                l.deliveries.first.entry(n).or_insert(now);
            }
        }
        "result" => {
            if let Ok(m) = a.parse::<usize>() {
                l.deliveries.results.entry((m, b)).or_default().insert(job);
            }
        }
        _ => {}
    }
    StatusCode::OK.into_response()
}

/// A receiver on a fixed address that can die (its listener closed) and come back.
pub(super) struct ReceiverServer {
    addr: SocketAddr,
    app: Router,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(super) task: Option<tokio::task::JoinHandle<()>>,
}

impl ReceiverServer {
    pub(super) async fn start(receiver: Receiver) -> anyhow::Result<Self> {
        let app = Router::new()
            .route("/{what}/{a}/{b}", post(receive))
            .with_state(receiver);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut server = Self {
            addr,
            app,
            stop: None,
            task: None,
        };
        server.serve(listener);
        Ok(server)
    }

    pub(super) fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = self.app.clone();
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        }));
        self.stop = Some(stop);
    }

    pub(super) async fn die(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub(super) async fn revive(&mut self) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    pub(super) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
