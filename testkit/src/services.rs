//! The services the integration tests run against, found through the environment that
//! `scripts/test.sh` sets up. Without one, a test fails — it does not skip — and says
//! how to get the service. Also what a test needs to run a service of its own: a free
//! port, and a MongoDB-protocol server that it can stop and start.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// The test RabbitMQ (`HERALD_TEST_RABBITMQ_URL`).
pub fn rabbitmq_url() -> String {
    std::env::var("HERALD_TEST_RABBITMQ_URL").unwrap_or_else(|_| {
        panic!(
            "HERALD_TEST_RABBITMQ_URL is not set: run the tests through scripts/test.sh, \
             which starts RabbitMQ and exports it, or export it \
             (e.g. amqp://guest:guest@127.0.0.1:5672/%2f)"
        )
    })
}

/// The MongoDB-protocol test server (`HERALD_TEST_MONGODB_URI`).
pub fn mongodb_uri() -> String {
    std::env::var("HERALD_TEST_MONGODB_URI").unwrap_or_else(|_| {
        panic!(
            "HERALD_TEST_MONGODB_URI is not set: run the tests through scripts/test.sh, \
             which starts SecantusDB and exports it, or point it at a MongoDB-protocol \
             server"
        )
    })
}

/// A port free on 127.0.0.1 right now: bound and released, so nothing listens there
/// until a test starts something on it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

/// SecantusDB's server (`SECANTUSD`, the path of `secantusd-py`).
pub fn secantusd() -> String {
    std::env::var("SECANTUSD").unwrap_or_else(|_| {
        panic!(
            "SECANTUSD is not set: run scripts/test.sh, which installs SecantusDB and \
             exports the path of its secantusd-py"
        )
    })
}

/// Starts a SecantusDB server of the test's own on `127.0.0.1:port`, keeping its data
/// in `storage` (a directory, or `:memory:`), and returns once the port is open. The
/// server is killed when the `Child` drops.
pub async fn start_secantus(port: u16, storage: impl AsRef<OsStr>) -> Child {
    let child = Command::new(secantusd())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--storage-path")
        .arg(storage)
        .args(["--log-level", "WARNING"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start secantusd: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "SecantusDB did not open port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}
