//! The built-in webhook sink: receives Herald's deliveries, checks each Standard
//! Webhooks signature (`webhook-signature`, within the default replay tolerance), and
//! records the arrival of each job id in the ledger.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use herald_core::signature::StandardSignature;
use tokio::net::TcpListener;

use crate::tracker::Tracker;

#[derive(Debug, Clone)]
struct Sink {
    tracker: Tracker,
    secret: Option<Vec<u8>>,
}

/// A running sink; dropping the handle does not stop it, `shutdown` does.
#[derive(Debug)]
pub struct SinkHandle {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl SinkHandle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Starts the sink on `listen`. With a `secret`, every delivery's
/// `X-Herald-Signature` must be the HMAC-SHA256 of its body under that secret.
pub async fn start(
    listen: SocketAddr,
    tracker: Tracker,
    secret: Option<String>,
) -> anyhow::Result<SinkHandle> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for deliveries on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/{*path}", post(receive))
        .route("/", post(receive))
        .with_state(Sink {
            tracker,
            secret: secret.map(String::into_bytes),
        });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "webhook sink stopped");
        }
    });
    Ok(SinkHandle { addr, stop, task })
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let Some(id) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    if let Some(secret) = &sink.secret {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let verified = StandardSignature::verify(
            secret,
            header(StandardSignature::ID_HEADER),
            header(StandardSignature::TIMESTAMP_HEADER),
            &body,
            header(StandardSignature::HEADER),
            now,
            StandardSignature::DEFAULT_TOLERANCE_SECS,
        );
        if verified.is_err() {
            sink.tracker.bad_signature();
            // Counted, and refused: a real receiver would not trust it either.
            return StatusCode::UNAUTHORIZED;
        }
    }
    sink.tracker.delivered(id, at);
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(
        request: reqwest::RequestBuilder,
        secret: &[u8],
        id: &str,
        body: &[u8],
        timestamp: i64,
    ) -> reqwest::RequestBuilder {
        herald_core::signature::signed_headers(secret, id, timestamp, body)
            .into_iter()
            .fold(request, |r, (name, value)| r.header(name, value))
    }

    fn now() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn sink_records_signed_deliveries_and_refuses_forged_ones() {
        let tracker = Tracker::new().unwrap();
        let sink = start(
            "127.0.0.1:0".parse().unwrap(),
            tracker.clone(),
            Some("k".into()),
        )
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let url = format!("http://{}/hook/user-1", sink.addr);
        let body = b"{\"x\":1}".to_vec();
        let post = |id: &str| client.post(&url).header("idempotency-key", id);
        let ok = signed(post("job-1"), b"k", "job-1", &body, now())
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let forged = signed(post("job-2"), b"wrong", "job-2", &body, now())
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
        // A genuine delivery replayed an hour later is refused too.
        let replayed = signed(post("job-3"), b"k", "job-3", &body, now() - 3_600)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(replayed.status(), 401);
        let (_, _, _, unacknowledged) = tracker.tally();
        assert_eq!(unacknowledged, 1, "only the signed delivery is recorded");
        assert_eq!(tracker.lock().bad_signatures, 2);
        sink.shutdown().await;
    }
}
