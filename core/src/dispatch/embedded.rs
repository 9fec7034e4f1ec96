//! Dispatch without a broker (embedded mode: no `RABBITMQ_URL`). Jobs are only stored;
//! every worker's poller claims them from the store, polling fast (`docs/dispatch.md`), and
//! match hosts read their event logs on a short poll.

use async_trait::async_trait;

use super::{Dispatch, DispatchError, DispatchMode, JobMessage};
use crate::job::JobId;

/// Hands nothing on: the store is the dispatch path.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedDispatch;

#[async_trait]
impl Dispatch for EmbeddedDispatch {
    fn mode(&self) -> DispatchMode {
        DispatchMode::Embedded
    }

    async fn publish(&self, _jobs: &[JobMessage]) -> Result<(), DispatchError> {
        Ok(())
    }

    async fn wake_match(&self, _id: &JobId) -> Result<(), DispatchError> {
        Ok(())
    }

    async fn is_healthy(&self) -> bool {
        true
    }
}
