//! The listener: bind, report the real address, accept, one thread per connection, and the
//! limits on how many connections and WebSocket clients may exist at once.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use log::{error, info, warn};

use crate::config::Config;
use crate::router;
use crate::sandbox::Sandbox;
use crate::watch::Watches;

/// Stack per connection thread: sessions keep their buffers on the heap.
const STACK: usize = 256 * 1024;
/// Connections not yet upgraded (handshakes, page requests) allowed at once, beyond clients.
const MAX_PENDING: usize = 128;

/// What every connection thread shares.
pub struct Shared {
    pub config: Config,
    pub sandbox: Arc<Sandbox>,
    pub watches: Arc<Watches>,
    clients: AtomicUsize,
    connections: AtomicUsize,
}

impl Shared {
    /// WebSocket clients connected now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Acquire)
    }
}

/// Binds, prints the URL and serves until the process ends.
pub fn run(config: Config) -> io::Result<()> {
    let listener = TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    let roots: Vec<String> = config
        .roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    info!("serving {} on http://{addr}/", roots.join(", "));
    println!("logview listening on http://{addr}/");
    let shared = Arc::new(Shared {
        sandbox: Arc::new(Sandbox::new(config.roots.clone())),
        config,
        watches: Arc::new(Watches::default()),
        clients: AtomicUsize::new(0),
        connections: AtomicUsize::new(0),
    });
    for stream in listener.incoming() {
        match stream {
            Ok(s) => accept(&shared, s),
            Err(e) => {
                // Out of descriptors or memory: the error repeats at once, so pause instead of
                // spinning; open connections finish and free what is needed.
                warn!("accept failed: {e}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
    Ok(())
}

fn accept(shared: &Arc<Shared>, stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let limit = shared.config.max_clients + MAX_PENDING;
    let Some(slot) = Slot::take(shared.clone(), |s| &s.connections, limit) else {
        warn!("refused {peer}: {limit} connections already open");
        return;
    };
    let spawned = thread::Builder::new()
        .name("conn".into())
        .stack_size(STACK)
        .spawn(move || router::serve(slot, stream, peer));
    if let Err(e) = spawned {
        error!("cannot start a thread for {peer}: {e}");
    }
}

/// A counted place (a connection or a WebSocket client), given back when dropped.
pub struct Slot {
    shared: Arc<Shared>,
    counter: fn(&Shared) -> &AtomicUsize,
}

impl Slot {
    /// Takes a place if fewer than `limit` are taken.
    pub fn take(
        shared: Arc<Shared>,
        counter: fn(&Shared) -> &AtomicUsize,
        limit: usize,
    ) -> Option<Slot> {
        counter(&shared)
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()?;
        Some(Slot { shared, counter })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// A WebSocket client place, limited by `--max-clients`.
    pub fn client(&self) -> Option<Slot> {
        Slot::take(
            self.shared.clone(),
            |s| &s.clients,
            self.shared.config.max_clients,
        )
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        (self.counter)(&self.shared).fetch_sub(1, Ordering::AcqRel);
    }
}
