//! Folding concurrent store calls into one: the hot writes (the worker's claims by id
//! and completions, the API's single enqueues: group commit)
//! each go through a [`Batcher`], whose loop takes whatever requests are waiting and
//! makes one batched store call for them (`claim_many`, `complete_many`,
//! `insert_many`: one SQLite transaction, a few MongoDB commands for the whole batch). Idle, a request is served at once on its own;
//! busy, batches form by themselves, up to the batch size.

use std::future::Future;

use crate::store::{StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

type Request<Req, Resp> = (Req, oneshot::Sender<StoreResult<Resp>>);

/// The handle callers send requests through. Cheap to clone.
#[derive(Debug)]
pub struct Batcher<Req, Resp> {
    tx: mpsc::Sender<Request<Req, Resp>>,
    /// What the batched call is, for errors ("claims", "completions").
    what: &'static str,
}

impl<Req, Resp> Clone for Batcher<Req, Resp> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            what: self.what,
        }
    }
}

/// The loop that serves a [`Batcher`]'s requests; spawned by whoever runs the worker.
#[derive(Debug)]
pub struct BatchLoop<Req, Resp> {
    rx: mpsc::Receiver<Request<Req, Resp>>,
    batch: usize,
    what: &'static str,
}

impl<Req, Resp> Batcher<Req, Resp> {
    /// A batcher of up to `batch` requests a call, and the loop that serves it.
    pub fn new(what: &'static str, batch: usize) -> (Self, BatchLoop<Req, Resp>) {
        let batch = batch.max(1);
        let (tx, rx) = mpsc::channel(batch * 8);
        (Self { tx, what }, BatchLoop { rx, batch, what })
    }

    /// Sends one request and waits for its own answer.
    pub async fn call(&self, request: Req) -> StoreResult<Resp> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Other(anyhow::anyhow!("the batcher of {} stopped", self.what));
        self.tx
            .send((request, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl<Req, Resp> BatchLoop<Req, Resp> {
    /// Serves requests until every [`Batcher`] handle is gone: each round, `call` gets
    /// the waiting requests in order and answers one result per request.
    pub async fn run<F, Fut>(mut self, mut call: F)
    where
        F: FnMut(Vec<Req>) -> Fut,
        Fut: Future<Output = StoreResult<Vec<StoreResult<Resp>>>>,
    {
        let mut pending = Vec::with_capacity(self.batch);
        while self.rx.recv_many(&mut pending, self.batch).await > 0 {
            let (requests, replies): (Vec<Req>, Vec<_>) = pending.drain(..).unzip();
            match call(requests).await {
                Ok(results) if results.len() == replies.len() => {
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
                Ok(_) => {
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::Other(anyhow::anyhow!(
                            "the batched {} answered a different number of results",
                            self.what
                        ))));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(batch_error(&e)));
                    }
                }
            }
        }
    }
}

/// Rebuilds a batch-level store error for each waiter (`StoreError` is not `Clone`),
/// keeping whether it was transient.
fn batch_error(e: &StoreError) -> StoreError {
    let err = anyhow::anyhow!("{e}");
    match e {
        StoreError::Unavailable(_) => StoreError::Unavailable(err),
        _ => StoreError::Other(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_requests_share_one_call_and_get_their_own_answers() {
        let (batcher, batch_loop) = Batcher::<u32, u32>::new("doubles", 10);
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = calls.clone();
        let served = tokio::spawn(batch_loop.run(move |requests: Vec<u32>| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok(requests.into_iter().map(|n| Ok(n * 2)).collect()) }
        }));
        let answers = futures::future::join_all((0..5).map(|n| batcher.call(n))).await;
        let answers: Vec<u32> = answers.into_iter().map(|a| a.unwrap()).collect();
        assert_eq!(answers, vec![0, 2, 4, 6, 8]);
        assert!(calls.load(std::sync::atomic::Ordering::SeqCst) <= 5);
        drop(batcher);
        served.await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_request_with_its_kind() {
        let (batcher, batch_loop) = Batcher::<u32, u32>::new("fails", 10);
        tokio::spawn(
            batch_loop.run(|_| async { Err(StoreError::Unavailable(anyhow::anyhow!("down"))) }),
        );
        let got = batcher.call(1).await;
        assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    }
}
