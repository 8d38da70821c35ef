//! A source backed by a file (seed files, 1PUX exports), streamed into the engine's sink: the
//! file is hashed first, so that content the store already holds (a file rewritten with the same
//! bytes, a restart) is not parsed at all; it is watched so that a change reaches the store
//! within a second.
//!
//! The hash only pays when the content may be the same: a file whose size differs from the one
//! read last is parsed at once while another thread hashes it, and the digest is handed to the
//! engine after the parse (it skips the next identical rewrite, or the restart after it).
//!
//! A file that failed to parse is not parsed again until it changes, or until a whole sync
//! interval has passed without a change (it may name other files, such as a seed file's value
//! files, that were fixed meanwhile): re-parsing an unchanged broken export every poll costs a
//! core and fixes nothing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::config::SourceKind;
use crate::file_version::FileVersion as Fingerprint;
use crate::sync::source::{
    feed_snapshot, BoxFuture, ContentDigest, ItemSink, ReadEnd, Snapshot, Source, SourceError,
    SourceItem, SourceVault, StreamingSource,
};
use crate::sync::sources::regular_file::open_regular;

/// Streams the file at the path into the sink; `Ok(true)`: the content depended on the file
/// alone.
type Loader = dyn Fn(&Path, &mut dyn ItemSink) -> Result<bool, SourceError> + Send + Sync;

/// How often a watched file is checked for changes: a `stat`, not a read, so twenty a second cost
/// nothing measurable, and an edit waits 25 ms on average before its sync starts (the 1 s target
/// of docs/design.md §9 for one edit includes this wait).
const WATCH_POLL: Duration = Duration::from_millis(50);

/// Smaller files are not counted ahead of a first sync: their sync ends within a fraction of a
/// second, before a total could be shown, and the count would only read them twice.
const COUNT_FROM_BYTES: u64 = 1 << 20;

pub struct FileSource {
    kind: SourceKind,
    path: PathBuf,
    loader: Box<Loader>,
    state: Mutex<State>,
    generation: AtomicU64,
}

#[derive(Default)]
struct State {
    /// The file as it was when a run was last started for it.
    seen: Option<Fingerprint>,
    /// The file as it was when reading it last failed (`None`: it did not exist), and why.
    failed: Option<(Option<Fingerprint>, SourceError)>,
    /// A whole interval passed without a change since the failure: read the file again anyway.
    retry_due: bool,
    /// The size of the file when it was last read (parsed or only hashed).
    read_len: Option<u64>,
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    Fingerprint::of(path)
}

impl FileSource {
    /// A source whose loader parses the whole file into a [`Snapshot`]; each item is then built
    /// and compared every time the file changes (use [`FileSource::streaming`] for large files).
    pub fn new(
        kind: SourceKind,
        path: PathBuf,
        loader: impl Fn(&Path) -> Result<Snapshot, SourceError> + Send + Sync + 'static,
    ) -> Self {
        Self::streaming(kind, path, move |p, sink| {
            feed_snapshot(loader(p)?, sink)?;
            Ok(false)
        })
    }

    /// A source whose loader streams the file into the engine's sink and says whether the
    /// content depended on the file alone.
    pub fn streaming(
        kind: SourceKind,
        path: PathBuf,
        loader: impl Fn(&Path, &mut dyn ItemSink) -> Result<bool, SourceError> + Send + Sync + 'static,
    ) -> Self {
        FileSource {
            kind,
            path,
            loader: Box::new(loader),
            state: Mutex::new(State::default()),
            generation: AtomicU64::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The SHA-256 of the file, if it can be read (if not, the loader says why).
    fn digest(&self) -> Option<ContentDigest> {
        let (mut file, _) = open_regular(&self.path, u64::MAX).ok()?;
        let mut hash = Sha256::new();
        let mut buffer = vec![0u8; 256 << 10];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => return Some(hash.finalize().into()),
                Ok(n) => hash.update(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
    }

    /// Parses a file known to differ from the last one read while another thread hashes it; the
    /// digest goes to the sink once the parse succeeded, unless the file changed meanwhile (the
    /// digest could then be of other bytes than those parsed).
    fn load_hashing(
        &self,
        before: Option<Fingerprint>,
        sink: &mut dyn ItemSink,
    ) -> Result<bool, SourceError> {
        std::thread::scope(|scope| {
            let hashing = scope.spawn(|| self.digest());
            let result = (self.loader)(&self.path, sink);
            let digest = hashing.join().ok().flatten();
            if let (Ok(_), Some(digest)) = (&result, digest) {
                if fingerprint(&self.path) == before {
                    // Only to have the digest recorded: the parse is done, whatever it answers.
                    sink.content(&digest);
                }
            }
            result
        })
    }
}

impl StreamingSource for FileSource {
    fn read(&self, sink: &mut dyn ItemSink) -> Result<ReadEnd, SourceError> {
        let current = fingerprint(&self.path);
        let len = current.map(|c| c.size());
        let last = std::mem::replace(&mut self.state().read_len, len);
        let result = if len.is_some() && last.is_some() && len != last {
            self.load_hashing(current, sink)
        } else {
            if let Some(digest) = self.digest() {
                if sink.content(&digest) {
                    return Ok(ReadEnd::Unchanged);
                }
            }
            (self.loader)(&self.path, sink)
        };
        let mut state = self.state();
        match result {
            Ok(self_contained) => {
                state.failed = None;
                Ok(ReadEnd::Complete { self_contained })
            }
            Err(error) => {
                state.failed = Some((current, error.clone()));
                Err(error)
            }
        }
    }

    fn count(&self, stop: &AtomicBool) -> Option<u64> {
        if std::fs::metadata(&self.path).ok()?.len() < COUNT_FROM_BYTES {
            return None;
        }
        let mut counter = Counter { items: 0, stop };
        (self.loader)(&self.path, &mut counter).ok()?;
        Some(counter.items)
    }
}

/// A sink that wants nothing and counts what it is offered: every item is offered once, before
/// it would be built.
struct Counter<'a> {
    items: u64,
    stop: &'a AtomicBool,
}

impl ItemSink for Counter<'_> {
    fn content(&mut self, _: &ContentDigest) -> bool {
        false
    }

    fn total(&mut self, _: u64) {}

    fn vault(&mut self, _: SourceVault) -> Result<(), SourceError> {
        Ok(())
    }

    fn wants(&mut self, _: &str, _: &str, _: Option<&ContentDigest>) -> Result<bool, SourceError> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(SourceError::Unavailable("counting stopped".into()));
        }
        self.items += 1;
        Ok(false)
    }

    fn item(
        &mut self,
        _: &str,
        _: SourceItem,
        _: Option<ContentDigest>,
    ) -> Result<(), SourceError> {
        Ok(())
    }
}

impl Source for FileSource {
    fn kind(&self) -> &'static str {
        self.kind.as_str()
    }

    fn describe(&self) -> String {
        format!("{} file {}", self.kind.as_str(), self.path.display())
    }

    fn streaming(&self) -> Option<&dyn StreamingSource> {
        Some(self)
    }

    /// Repeats the last failure of an unchanged file (until a retry is due); a changed file (or
    /// a due retry) moves the generation on, so that the engine reads it.
    fn refresh(&self) -> BoxFuture<'_, Result<(), SourceError>> {
        Box::pin(async move {
            let current = fingerprint(&self.path);
            let mut state = self.state();
            if let Some((failed, error)) = &state.failed {
                if *failed == current && !state.retry_due {
                    return Err(error.clone());
                }
            }
            if current.is_none() {
                let error = SourceError::Unavailable(format!(
                    "cannot read {}: no such file",
                    self.path.display()
                ));
                state.failed = Some((None, error.clone()));
                return Err(error);
            }
            if state.retry_due || state.failed.is_some() || state.seen != current {
                state.seen = current;
                state.retry_due = false;
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::SeqCst))
    }

    /// Polls the file's metadata until it differs from the last read (good or failed), or the
    /// interval ends; after a failure, the end of an interval makes the next refresh read again.
    fn changed(&self, interval: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let deadline = Instant::now() + interval;
            let seen = {
                let state = self.state();
                match &state.failed {
                    Some((fingerprint, _)) => *fingerprint,
                    None => state.seen,
                }
            };
            while Instant::now() < deadline {
                tokio::time::sleep(
                    WATCH_POLL.min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                if fingerprint(&self.path) != seen {
                    return;
                }
            }
            let mut state = self.state();
            if state.failed.is_some() {
                state.retry_due = true;
            }
        })
    }

    fn watches_changes(&self) -> bool {
        true
    }
}
