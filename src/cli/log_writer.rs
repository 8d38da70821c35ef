//! Log lines reach stderr from a thread of their own. Writing each line from the request path
//! cost a system call per request on the runtime's threads, and a slow reader of the pipe (a log
//! collector) stalled them outright: the access log halved the `GET item` throughput. Lines are
//! appended to a buffer that the writer thread empties in one write; the order is kept, a burst
//! becomes one write, and only a reader more than [`MAX_PENDING`] behind slows the server down
//! (nothing is dropped). [`flush`] writes what is pending before the process exits.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// Bytes of log lines held for the writer thread before loggers wait for it.
const MAX_PENDING: usize = 1 << 20;

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writer thread holds a batch that is not written yet.
    writing: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Lines arrived (for the writer thread).
    filled: Condvar,
    /// A batch was written (for loggers waiting for room, and [`flush`]).
    drained: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();

/// Set when the writer thread could not be started.
static NO_THREAD: OnceLock<()> = OnceLock::new();

fn shared() -> &'static Arc<Shared> {
    SHARED.get_or_init(|| {
        let shared = Arc::new(Shared::default());
        let worker = shared.clone();
        let started = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_batches(&worker));
        if started.is_err() {
            // No thread: lines are written by the loggers themselves (see `write`).
            NO_THREAD.get_or_init(|| ());
        }
        shared
    })
}

fn write_batches(shared: &Shared) {
    let mut batch = Vec::new();
    loop {
        {
            let mut state = shared.lock();
            state.writing = false;
            shared.drained.notify_all();
            while state.pending.is_empty() {
                state = shared
                    .filled
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            std::mem::swap(&mut batch, &mut state.pending);
            state.writing = true;
        }
        // A closed or failing stderr must not take the server down: the lines are dropped.
        let _ = std::io::stderr().lock().write_all(&batch);
        batch.clear();
        batch.shrink_to(MAX_PENDING);
    }
}

/// The `MakeWriter` of the log: each line goes to the writer thread.
#[derive(Clone, Copy, Default)]
pub struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let shared = shared();
        if NO_THREAD.get().is_some() {
            return std::io::stderr().write(line);
        }
        let mut state = shared.lock();
        while state.pending.len() >= MAX_PENDING {
            state = shared
                .drained
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let wake = state.pending.is_empty() && !state.writing;
        state.pending.extend_from_slice(line);
        drop(state);
        if wake {
            shared.filled.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = Stderr;

    fn make_writer(&'a self) -> Stderr {
        Stderr
    }
}

/// Waits until every line logged so far has been written.
pub fn flush() {
    let Some(shared) = SHARED.get() else {
        return;
    };
    let mut state = shared.lock();
    while !state.pending.is_empty() || state.writing {
        state = shared
            .drained
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}
