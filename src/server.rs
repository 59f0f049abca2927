//! The listener: raise the descriptor limit, size the connection limits to fit it, bind,
//! report the real address, and run the reception, which hands each complete request head to
//! a thread of its own; the limits on request threads and WebSocket clients live here.

use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use log::{debug, error, info, warn};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use crate::config::Config;
use crate::http::refusal::Refusal;
use crate::reception::{self, Arrival, Limits};
use crate::router;
use crate::source::stdin::Spool;
use crate::state::{Shared, Slot};

/// Bytes standard input's pipe is asked to hold (Linux allows 1 MiB to unprivileged users).
const STDIN_PIPE: usize = 1 << 20;
/// Stack per connection thread: sessions keep their buffers on the heap.
const STACK: usize = 256 * 1024;
/// Request threads allowed beyond `--max-clients` (page, assets, API, refused upgrades).
const EXTRA_THREADS: usize = 32;
/// One address's share of the waiting pool (without `--trust-proxy`).
pub const PENDING_PER_ADDRESS: usize = 16;
/// Descriptors each WebSocket client holds: its socket, the watcher's duplicate, the file.
const FDS_PER_CLIENT: usize = 3;
/// Descriptors kept for everything else: standard streams, the listener, epoll, request
/// threads reading a directory or the auth file.
const FDS_RESERVED: usize = 64 + EXTRA_THREADS;
/// The waiting pool is never cut below this to make room for clients.
const MIN_PENDING: usize = 64;

/// Binds, prints the URL and serves until the process ends.
pub fn run(mut config: Config) -> io::Result<()> {
    fit_limits(&mut config, raise_nofile());
    let listener = TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    let roots: Vec<String> = config
        .roots
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    info!("serving {} on http://{addr}/", roots.join(", "));
    println!("logview listening on http://{addr}/");
    let limits = Limits {
        pending: config.max_pending,
        per_address: (!config.trust_proxy).then_some(PENDING_PER_ADDRESS),
    };
    let stdin = match config.stdin {
        true => Some(read_stdin(config.stdin_max)?),
        false => None,
    };
    let shared = Arc::new(Shared::new(config, stdin));
    reception::run(listener, limits, |arrival| start(&shared, arrival))
}

/// Starts spooling standard input, served at `/-`.
fn read_stdin(max: u64) -> io::Result<Arc<Spool>> {
    let spool = Spool::create()?;
    info!(
        "standard input is served at /- (spool {})",
        spool.path.display()
    );
    // A larger pipe absorbs a burst while the spool thread waits for a core (not a pipe: no-op).
    if let Ok(size) = rustix::pipe::fcntl_setpipe_size(io::stdin(), STDIN_PIPE) {
        debug!("standard input's pipe holds {size} bytes");
    }
    spool.start(io::stdin(), max);
    Ok(spool)
}

/// Raises the soft descriptor limit to the hard one (as Go's runtime does) and returns it.
fn raise_nofile() -> usize {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let (soft, hard) = (current.unwrap_or(u64::MAX), maximum.unwrap_or(u64::MAX));
    let mut limit = soft;
    // Only when it would change anything: a unit that sets both (LimitNOFILE=) and filters
    // the setrlimit system call never makes it.
    if soft < hard {
        let raised = Rlimit {
            current: maximum,
            maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => limit = hard,
            Err(e) => warn!("cannot raise the descriptor limit from {soft} to {hard}: {e}"),
        }
    }
    info!("descriptor limit: {limit} (hard limit {hard})");
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// Cuts the waiting pool, then the client limit, to what `nofile` descriptors can hold,
/// and says so.
fn fit_limits(config: &mut Config, nofile: usize) {
    let for_clients = |n: usize| n.saturating_mul(FDS_PER_CLIENT);
    let room = nofile.saturating_sub(FDS_RESERVED);
    let pending_room = room.saturating_sub(for_clients(config.max_clients));
    if pending_room < config.max_pending {
        let cut = pending_room.max(MIN_PENDING).min(config.max_pending);
        warn!(
            "descriptor limit {nofile} cannot hold {} waiting connections beside {} clients: \
             waiting pool cut to {cut} (raise LimitNOFILE / ulimit -n)",
            config.max_pending, config.max_clients
        );
        config.max_pending = cut;
    }
    let client_room = room.saturating_sub(config.max_pending) / FDS_PER_CLIENT;
    if client_room < config.max_clients {
        let cut = client_room.max(1);
        warn!(
            "descriptor limit {nofile} cannot hold {} clients: --max-clients cut to {cut}",
            config.max_clients
        );
        config.max_clients = cut;
    }
    info!(
        "limits: {} WebSocket clients, {} waiting connections ({} per address), {} request threads",
        config.max_clients,
        config.max_pending,
        if config.trust_proxy {
            "no share".to_string()
        } else {
            PENDING_PER_ADDRESS.to_string()
        },
        config.max_clients + EXTRA_THREADS
    );
}

/// Gives a complete request a thread, or a 503 when all request threads are taken.
fn start(shared: &Arc<Shared>, arrival: Arrival) {
    let limit = shared.config.max_clients + EXTRA_THREADS;
    let Some(slot) = Slot::connection(shared, limit) else {
        warn!("refused {}: {limit} request threads busy", arrival.peer);
        return reception::answer(arrival.stream, &Refusal::Busy);
    };
    let peer = arrival.peer;
    let spawned = thread::Builder::new()
        .name("conn".into())
        .stack_size(STACK)
        .spawn(move || router::serve(slot, arrival));
    if let Err(e) = spawned {
        error!("cannot start a thread for {peer}: {e}");
    }
}
