//! Dispatch without a broker (embedded mode: no `RABBITMQ_URL`). Jobs are only stored;
//! every worker's poller claims them from the store. After storing due jobs the API
//! rings the store's [`Doorbell`], so the pollers listening on that store claim them at
//! once instead of at their next (short) poll (`docs/dispatch.md`); match hosts read
//! their event logs on a short poll.

use async_trait::async_trait;

use super::wake::{Doorbell, WakeAddress};
use super::{Dispatch, DispatchError, DispatchMode, JobMessage};
use crate::job::JobId;

/// Hands nothing on (the store is the dispatch path), but wakes the pollers.
#[derive(Debug)]
pub struct EmbeddedDispatch {
    doorbell: Doorbell,
}

impl EmbeddedDispatch {
    /// Rings the pollers listening on `address` after each publish.
    pub fn new(address: WakeAddress) -> Self {
        Self {
            doorbell: Doorbell::new(address),
        }
    }
}

#[async_trait]
impl Dispatch for EmbeddedDispatch {
    fn mode(&self) -> DispatchMode {
        DispatchMode::Embedded
    }

    /// Never fails: a wake-up that does not arrive leaves the job to the next poll.
    async fn publish(&self, jobs: &[JobMessage]) -> Result<(), DispatchError> {
        if !jobs.is_empty() {
            self.doorbell.ring();
        }
        Ok(())
    }

    async fn wake_match(&self, _id: &JobId) -> Result<(), DispatchError> {
        Ok(())
    }

    async fn is_healthy(&self) -> bool {
        true
    }
}
