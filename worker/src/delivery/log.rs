//! The `log` channel: delivery is a log line. For demos and load tests, where the
//! point is to measure Herald rather than a provider.

use async_trait::async_trait;

use super::{Channel, DeliveryError, Message};

#[derive(Debug, Clone, Copy, Default)]
pub struct LogChannel;

#[async_trait]
impl Channel for LogChannel {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        // The job span already carries job_id, attempt and priority.
        tracing::info!(
            tenant = %message.job.tenant,
            recipient = message.address,
            "delivered (log channel)"
        );
        Ok(())
    }
}
