//! The `log` channel: delivery is a log line. For demos and load tests, where the
//! point is to measure Herald rather than a provider.

use async_trait::async_trait;

use herald_core::notification::Channel;

use super::{DeliveryError, Message, Transport};

#[derive(Debug, Clone, Copy, Default)]
pub struct LogTransport;

#[async_trait]
impl Transport for LogTransport {
    fn channel(&self) -> Channel {
        Channel::Log
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        // The job span already carries job_id, attempt and priority.
        tracing::info!(
            tenant = %message.job.tenant,
            recipient = message.address().as_str(),
            "delivered (log channel)"
        );
        Ok(())
    }
}
