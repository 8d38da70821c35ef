//! Log lines reach stderr from a thread of their own. Writing each line from the request path
//! cost a system call per request on the runtime's threads, and a slow reader of the pipe (a log
//! collector) stalled them outright: the access log halved the `GET item` throughput. Lines are
//! appended to a buffer that the writer thread empties in one write; the order is kept, a burst
//! becomes one write, and only a reader more than [`MAX_PENDING`] behind slows the server down
//! (nothing is dropped). [`flush`] writes what is pending before the process exits.
//!
//! The writer lingers for up to [`LINGER`] after the first line of a batch before it writes: woken
//! for every line, it made a futex wake-up, two context switches and a `write` per request at
//! full `GET` rate (8 µs of CPU per request on the benchmark's 2-core machine, a fifth of the
//! request). A line is therefore on stderr at most [`LINGER`] after it was logged.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Bytes of log lines held for the writer thread before loggers wait for it.
const MAX_PENDING: usize = 1 << 20;

/// Bytes at which a lingering writer writes at once.
const WRITE_AT: usize = 64 << 10;

/// How long the writer waits for more lines after the first one of a batch.
const LINGER: Duration = Duration::from_millis(10);

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

impl Shared {
    /// Appends a line for the writer thread, waiting while it is [`MAX_PENDING`] behind.
    fn push(&self, line: &[u8]) {
        let mut state = self.lock();
        while state.pending.len() >= MAX_PENDING {
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let before = state.pending.len();
        // The writer waits for the first line of a batch, or lingers until enough have come.
        let wake = (before == 0 && !state.writing)
            || (before < WRITE_AT && before + line.len() >= WRITE_AT);
        state.pending.extend_from_slice(line);
        drop(state);
        if wake {
            self.filled.notify_one();
        }
    }

    /// Waits until every line pushed so far has been written.
    fn wait_drained(&self) {
        let mut state = self.lock();
        while !state.pending.is_empty() || state.writing {
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
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
            .spawn(move || write_batches(&worker, std::io::stderr));
        if started.is_err() {
            // No thread: lines are written by the loggers themselves (see `write`).
            NO_THREAD.get_or_init(|| ());
        }
        shared
    })
}

/// The writer thread's loop: each batch goes to `sink()` in one `write_all`.
fn write_batches<W: std::io::Write>(shared: &Shared, sink: impl Fn() -> W) {
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
            let deadline = Instant::now() + LINGER;
            while state.pending.len() < WRITE_AT {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = shared
                    .filled
                    .wait_timeout(state, left)
                    .map_or_else(|e| e.into_inner().0, |(state, _)| state);
            }
            std::mem::swap(&mut batch, &mut state.pending);
            state.writing = true;
        }
        // A closed or failing stderr must not take the server down: the lines are dropped.
        let _ = sink().write_all(&batch);
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
        shared.push(line);
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
    shared.wait_drained();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each `write` the writer thread makes.
    #[derive(Clone, Default)]
    struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

    impl std::io::Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn writer() -> (Arc<Shared>, Writes) {
        let shared = Arc::new(Shared::default());
        let writes = Writes::default();
        let (worker, sink) = (shared.clone(), writes.clone());
        std::thread::spawn(move || write_batches(&worker, move || sink.clone()));
        (shared, writes)
    }

    #[test]
    fn lines_logged_a_little_apart_are_written_in_order_in_few_writes() {
        let (shared, writes) = writer();
        let lines: Vec<String> = (0..200).map(|n| format!("line {n}\n")).collect();
        for line in &lines {
            shared.push(line.as_bytes());
            // Time for the writer to wake between lines, as between requests under load.
            std::thread::sleep(Duration::from_micros(200));
        }
        shared.wait_drained();
        let writes = writes.0.lock().unwrap();
        assert_eq!(writes.concat(), lines.concat().into_bytes());
        // One write per line was the cost this writer exists to avoid.
        assert!(writes.len() < lines.len() / 5, "{} writes", writes.len());
    }

    #[test]
    fn a_lone_line_is_written_without_more_lines_coming() {
        let (shared, writes) = writer();
        shared.push(b"alone\n");
        shared.wait_drained();
        assert_eq!(writes.0.lock().unwrap().concat(), b"alone\n");
    }

    #[test]
    fn loggers_wait_for_room_rather_than_drop_lines() {
        let (shared, writes) = writer();
        let line = vec![b'x'; 100 << 10];
        for _ in 0..(3 * MAX_PENDING / line.len()) {
            shared.push(&line);
        }
        shared.wait_drained();
        let written: usize = writes.0.lock().unwrap().iter().map(Vec::len).sum();
        assert_eq!(written, (3 * MAX_PENDING / line.len()) * line.len());
    }
}
