//! Stopping cleanly: connections that outlive a request (subscriptions over WebSocket)
//! hear that the server is stopping, and the server waits for them to close.

use std::future::Future;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;

#[derive(Clone, Default)]
pub struct Shutdown {
    stopping: CancellationToken,
    connections: TaskTracker,
}

impl Shutdown {
    /// Runs `connection` tracked, so that [`closed`](Self::closed) waits for it.
    pub fn track<F: Future>(&self, connection: F) -> impl Future<Output = F::Output> + use<F> {
        self.connections.track_future(connection)
    }

    /// Resolves once the server begins to stop.
    pub fn stopping(&self) -> WaitForCancellationFutureOwned {
        self.stopping.clone().cancelled_owned()
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// Tells every tracked connection to close.
    pub fn begin(&self) {
        self.stopping.cancel();
        self.connections.close();
    }

    /// Resolves once [`begin`](Self::begin) was called and every tracked connection closed.
    pub async fn closed(&self) {
        self.connections.wait().await
    }
}
