//! A TCP forwarder that gives a local process a container's address: it listens on
//! one loopback address (127.0.0.2, 127.0.0.3, …) and passes every connection to a
//! port of 127.0.0.1. nginx then sees instances that share a port and differ by
//! address, as compose's containers do. Dropping it closes the listener, so the
//! address refuses connections like a removed container.

use std::io;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct Forward {
    listen: SocketAddr,
    stopped: Arc<AtomicBool>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl Forward {
    /// Forwards `address:port` to `127.0.0.1:backend`.
    pub fn start(address: Ipv4Addr, port: u16, backend: u16) -> io::Result<Self> {
        let listen = SocketAddr::from((address, port));
        let listener = TcpListener::bind(listen)?;
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = stopped.clone();
        let accepting = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                // The backend is connected before anything is read: a dead backend
                // closes the client's connection unread, as a refused connect would.
                let Ok(server) = TcpStream::connect(("127.0.0.1", backend)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = pipe(client, server);
            }
        });
        Ok(Self {
            listen,
            stopped,
            accepting: Some(accepting),
        })
    }
}

/// Copies both ways on two threads until either side closes.
fn pipe(client: TcpStream, server: TcpStream) -> io::Result<()> {
    let (mut client_read, mut server_write) = (client.try_clone()?, server.try_clone()?);
    let (mut server_read, mut client_write) = (server, client);
    std::thread::spawn(move || {
        let _ = io::copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Write);
    });
    std::thread::spawn(move || {
        let _ = io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Write);
    });
    Ok(())
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag, and wait until it has dropped the
        // listener: from then on the address refuses connections (a connection that
        // reached the backlog of a closing listener would be reset after nginx sent its
        // request, which nginx cannot safely retry).
        if TcpStream::connect(self.listen).is_ok() {
            if let Some(accepting) = self.accepting.take() {
                let _ = accepting.join();
            }
        }
    }
}
