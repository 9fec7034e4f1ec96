//! Wake-ups without a broker (embedded mode, `docs/dispatch.md`): after storing due jobs
//! the API rings a [`Doorbell`], and every worker's poller listening on the same store
//! ([`WakeListener`]) polls at once instead of at its next interval. A wake-up is only a
//! hint, like a RabbitMQ message: the store holds the job and the poll stays the
//! fallback, so a lost wake-up costs one poll interval, never a job, and a ring never
//! fails or waits.
//!
//! Every ring takes two paths:
//! - **in one process** (API and workers started together; tests): each listener's
//!   `Notify`, found in a process-wide table under the store's location;
//! - **across processes on one host** (SQLite only): each listening worker binds a Unix
//!   datagram socket in `<SQLITE_PATH>.wake/`, and a ring sends one byte, non-blocking,
//!   to every socket there that is not one of this process's own. A socket whose worker
//!   died refuses the datagram and is removed; a full one already has a wake-up queued.
//!
//! A MongoDB store in embedded mode shares no directory between its processes: there
//! only the in-process path exists, and other processes poll.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram as StdDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use tokio::net::UnixDatagram;
use tokio::sync::Notify;

use crate::store::StoreConfig;

/// The suffix of the socket directory next to a SQLite file.
pub const SOCKET_DIR_SUFFIX: &str = ".wake";

/// A doorbell re-reads the socket directory when its modification time changes, and in
/// any case after this long (a directory's timestamp has coarse ticks, so two changes
/// in one tick look like one).
const PEERS_FRESH: Duration = Duration::from_secs(1);

/// Where the wake-ups of one store go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeAddress {
    /// The key of the in-process table: the store's location. Never logged (a MongoDB
    /// URI may hold a password).
    key: String,
    /// SQLite on a file: the directory of the workers' sockets, next to it.
    dir: Option<PathBuf>,
}

impl WakeAddress {
    /// The wake-ups of the store `config` opens.
    pub fn for_store(config: &StoreConfig) -> Self {
        match config {
            StoreConfig::Sqlite(c) => {
                let absolute = std::path::absolute(&c.path).unwrap_or_else(|_| c.path.clone());
                let on_file = !c.path.as_os_str().is_empty()
                    && c.path != Path::new(":memory:")
                    && !c.path.to_string_lossy().starts_with("file:");
                Self {
                    key: format!("sqlite:{}", absolute.display()),
                    dir: on_file.then(|| socket_dir(&c.path)),
                }
            }
            StoreConfig::Mongo(c) => Self {
                key: format!("mongodb:{}/{}", c.uri, c.database),
                dir: None,
            },
        }
    }

    /// The directory the workers' sockets are in, when there is one.
    pub fn socket_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// `<path>.wake`.
fn socket_dir(sqlite: &Path) -> PathBuf {
    let mut dir = OsString::from(sqlite.as_os_str());
    dir.push(SOCKET_DIR_SUFFIX);
    PathBuf::from(dir)
}

/// One listener in the process-wide table.
#[derive(Debug)]
struct Local {
    notify: Weak<Notify>,
    /// Its socket, which this process's doorbells skip (they notify it directly).
    socket: Option<PathBuf>,
}

/// Listeners of this process, by [`WakeAddress::key`].
static LOCAL: LazyLock<Mutex<HashMap<String, Vec<Local>>>> = LazyLock::new(Default::default);

/// The ringing side: the API, and a worker enqueueing a match's result notifications.
#[derive(Debug)]
pub struct Doorbell {
    address: WakeAddress,
    /// Unbound and non-blocking: a send never waits for a slow or dead worker.
    socket: Option<StdDatagram>,
    peers: Mutex<Peers>,
}

/// The sockets found in the directory at its last reading.
#[derive(Debug, Default)]
struct Peers {
    modified: Option<SystemTime>,
    read_at: Option<Instant>,
    paths: Vec<PathBuf>,
}

impl Doorbell {
    pub fn new(address: WakeAddress) -> Self {
        let socket = address.dir.as_ref().and_then(|_| {
            let socket = StdDatagram::unbound().and_then(|s| {
                s.set_nonblocking(true)?;
                Ok(s)
            });
            socket
                .map_err(|e| tracing::debug!(error = %e, "no wake-up socket; other processes poll"))
                .ok()
        });
        Self {
            address,
            socket,
            peers: Mutex::new(Peers::default()),
        }
    }

    /// Wakes every poller listening on this store: this process's directly, other
    /// processes' through their sockets. Never blocks and never fails; a wake-up that
    /// cannot be sent leaves that worker to its poll.
    pub fn ring(&self) {
        let own = ring_local(&self.address.key);
        if let (Some(dir), Some(socket)) = (&self.address.dir, &self.socket) {
            self.ring_sockets(dir, socket, &own);
        }
    }

    fn ring_sockets(&self, dir: &Path, socket: &StdDatagram, own: &[PathBuf]) {
        let Ok(mut peers) = self.peers.lock() else {
            return;
        };
        peers.refresh(dir);
        let mut gone = false;
        for path in &peers.paths {
            if own.contains(path) {
                continue;
            }
            match socket.send_to(&[1], path) {
                Ok(_) => {}
                // Its queue is full: wake-ups are already waiting there.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // Nobody is bound to it: its worker died without removing it (or it
                // is no socket at all, which is left alone and skipped from now on).
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    if is_socket(path) {
                        let _ = std::fs::remove_file(path);
                    }
                    gone = true;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => gone = true,
                Err(e) => {
                    tracing::debug!(error = %e, socket = %path.display(), "wake-up not sent")
                }
            }
        }
        if gone {
            // Read the directory again at the next ring.
            peers.read_at = None;
        }
    }
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

impl Peers {
    /// Re-reads `dir` when it changed or the last reading is stale. A missing directory
    /// means no worker listens there yet.
    fn refresh(&mut self, dir: &Path) {
        let modified = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
        let fresh = self.read_at.is_some_and(|at| at.elapsed() < PEERS_FRESH);
        if fresh && modified == self.modified {
            return;
        }
        self.modified = modified;
        self.read_at = Some(Instant::now());
        self.paths = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "sock") && is_socket(path))
                .collect(),
            Err(_) => Vec::new(),
        };
    }
}

/// Notifies this process's listeners of `key` (dropping those that are gone) and
/// returns their sockets.
fn ring_local(key: &str) -> Vec<PathBuf> {
    let Ok(mut table) = LOCAL.lock() else {
        return Vec::new();
    };
    let Some(listeners) = table.get_mut(key) else {
        return Vec::new();
    };
    let mut own = Vec::new();
    listeners.retain(|local| match local.notify.upgrade() {
        Some(notify) => {
            notify.notify_one();
            own.extend(local.socket.clone());
            true
        }
        None => false,
    });
    if listeners.is_empty() {
        table.remove(key);
    }
    own
}

/// A poller's side: rung by this process's doorbells directly and by other processes'
/// through its socket. Dropping it removes the socket.
#[derive(Debug)]
pub struct WakeListener {
    notify: Arc<Notify>,
    socket: Option<(UnixDatagram, PathBuf)>,
}

impl WakeListener {
    /// Starts listening for the rings of `address`. Never fails: when no socket can be
    /// bound (a read-only directory, a path longer than a socket address allows) it
    /// still hears this process's rings, says so in the log, and other processes'
    /// jobs wait for the poll. Needs a Tokio runtime.
    pub fn listen(address: &WakeAddress) -> Self {
        Self::start(address, true)
    }

    /// Hears only this process's rings: for a worker on a store it was handed (a test,
    /// the demo), whose configured path may not be the file it runs on.
    pub fn in_process(address: &WakeAddress) -> Self {
        Self::start(address, false)
    }

    fn start(address: &WakeAddress, bind_socket: bool) -> Self {
        let notify = Arc::new(Notify::new());
        let dir = address.dir.as_deref().filter(|_| bind_socket);
        let socket = dir.and_then(|dir| match bind(dir) {
            Ok(bound) => Some(bound),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    dir = %dir.display(),
                    "cannot bind a wake-up socket; jobs enqueued by other processes wait for the poll"
                );
                None
            }
        });
        if let Ok(mut table) = LOCAL.lock() {
            table.entry(address.key.clone()).or_default().push(Local {
                notify: Arc::downgrade(&notify),
                socket: socket.as_ref().map(|(_, path)| path.clone()),
            });
        }
        Self { notify, socket }
    }

    /// The socket other processes ring, when one is bound.
    pub fn socket_path(&self) -> Option<&Path> {
        self.socket.as_ref().map(|(_, path)| path.as_path())
    }

    /// Waits for the next ring, then swallows the rings queued behind it: the poll that
    /// follows answers them all, and a ring that arrives after this returns wakes the
    /// next call.
    pub async fn rung(&self) {
        let Some((socket, _)) = &self.socket else {
            return self.notify.notified().await;
        };
        let mut buf = [0u8; 8];
        tokio::select! {
            () = self.notify.notified() => {}
            received = socket.recv(&mut buf) => {
                if let Err(e) = received {
                    // Not expected on a bound datagram socket; never spin on it.
                    tracing::debug!(error = %e, "wake-up socket failed; waiting for this process's rings");
                    self.notify.notified().await;
                }
            }
        }
        while socket.try_recv(&mut buf).is_ok() {}
    }
}

impl Drop for WakeListener {
    fn drop(&mut self) {
        if let Some((_, path)) = &self.socket {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds a fresh socket in `dir`, creating the directory.
fn bind(dir: &Path) -> io::Result<(UnixDatagram, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.sock", uuid::Uuid::new_v4().simple()));
    let socket = UnixDatagram::bind(&path)?;
    Ok((socket, path))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::sqlite::SqliteConfig;

    fn sqlite(path: &Path) -> WakeAddress {
        WakeAddress::for_store(&StoreConfig::Sqlite(SqliteConfig::new(path)))
    }

    #[test]
    fn sockets_live_next_to_the_sqlite_file_and_memory_has_none() {
        let address = sqlite(Path::new("/var/lib/herald/herald.db"));
        assert_eq!(
            address.socket_dir(),
            Some(Path::new("/var/lib/herald/herald.db.wake"))
        );
        assert_eq!(sqlite(Path::new(":memory:")).socket_dir(), None);
    }

    #[tokio::test]
    async fn a_ring_in_the_same_process_wakes_a_listener_and_only_its_own_store() {
        let dir = tempfile::tempdir().unwrap();
        let here = sqlite(&dir.path().join("a.db"));
        let other = sqlite(&dir.path().join("b.db"));
        let listener = WakeListener::listen(&here);
        Doorbell::new(other).ring();
        let woken = tokio::time::timeout(Duration::from_millis(100), listener.rung()).await;
        assert!(woken.is_err(), "another store's ring woke the listener");
        Doorbell::new(here).ring();
        tokio::time::timeout(Duration::from_secs(1), listener.rung())
            .await
            .expect("the ring did not wake the listener");
    }

    #[tokio::test]
    async fn a_ring_reaches_a_socket_of_another_process_and_queued_rings_coalesce() {
        let dir = tempfile::tempdir().unwrap();
        let address = sqlite(&dir.path().join("herald.db"));
        let listener = WakeListener::listen(&address);
        let path = listener
            .socket_path()
            .expect("a socket is bound")
            .to_owned();
        // Another process's doorbell: it only knows the directory, so it uses the socket.
        let peer = StdDatagram::unbound().unwrap();
        for _ in 0..3 {
            peer.send_to(&[1], &path).unwrap();
        }
        tokio::time::timeout(Duration::from_secs(1), listener.rung())
            .await
            .expect("the datagram did not wake the listener");
        let again = tokio::time::timeout(Duration::from_millis(100), listener.rung()).await;
        assert!(again.is_err(), "queued wake-ups were not swallowed");
        drop(listener);
        assert!(!path.exists(), "the socket outlived its listener");
    }

    #[tokio::test]
    async fn a_dead_socket_is_removed_and_never_fails_a_ring() {
        let dir = tempfile::tempdir().unwrap();
        let address = sqlite(&dir.path().join("herald.db"));
        let socket_dir = address.socket_dir().unwrap().to_owned();
        std::fs::create_dir_all(&socket_dir).unwrap();
        // A worker that died without removing its socket: the file stays, nobody reads.
        let stale = socket_dir.join("dead.sock");
        drop(StdDatagram::bind(&stale).unwrap());
        assert!(stale.exists());
        let doorbell = Doorbell::new(address);
        doorbell.ring();
        assert!(!stale.exists(), "the dead socket was not removed");
        doorbell.ring();
    }

    #[test]
    fn a_ring_with_no_listener_and_no_directory_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let address = sqlite(&dir.path().join("nobody.db"));
        Doorbell::new(address.clone()).ring();
        assert!(!address.socket_dir().unwrap().exists());
    }
}
