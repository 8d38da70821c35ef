//! A stream read on a thread of its own, a few chunks ahead of what consumes it: a 1PUX
//! `export.data` is inflated while the items already inflated are scanned and checked, on two
//! cores instead of one. At most [`DEPTH`] chunks of [`CHUNK`] bytes are ahead at any time, so
//! memory stays bounded whatever the stream's size.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes per chunk handed over.
const CHUNK: usize = 256 * 1024;
/// Chunks read but not yet consumed, at most.
const DEPTH: usize = 4;

/// The consuming side: a [`Read`] over the chunks the reading thread sends.
pub(crate) struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    /// Consumed chunks going back to the reading thread, to be filled again.
    empty: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.full.recv() {
                Ok(next) => next?,
                // The reading thread is gone without saying why: it panicked (and the panic is
                // raised again when it is joined).
                Err(_) => return Err(io::Error::other("the reading thread stopped")),
            };
            let used = std::mem::replace(&mut self.current, next);
            let _ = self.empty.send(used);
            self.pos = 0;
            self.done = self.current.is_empty();
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Runs `consume` over what `reader` yields, `reader` being read on a scoped thread meanwhile;
/// gives back `consume`'s result and the reader. When `consume` returns early, the reading
/// thread stops at its next chunk.
pub(crate) fn read_ahead<R, T>(reader: R, consume: impl FnOnce(&mut ReadAhead) -> T) -> (T, R)
where
    R: Read + Send,
{
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel(DEPTH);
        let (empty_tx, empty_rx) = mpsc::channel();
        let reading = scope.spawn(move || fill(reader, &full_tx, &empty_rx));
        let mut ahead = ReadAhead {
            full: full_rx,
            empty: empty_tx,
            current: Vec::new(),
            pos: 0,
            done: false,
        };
        let out = consume(&mut ahead);
        // Dropping the receiver makes the reading thread's next send fail, which stops it.
        drop(ahead);
        match reading.join() {
            Ok(reader) => (out, reader),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The reading thread: full chunks (an empty one at the end, or the error) until the consumer
/// is gone.
fn fill<R: Read>(
    mut reader: R,
    full: &SyncSender<io::Result<Vec<u8>>>,
    empty: &Receiver<Vec<u8>>,
) -> R {
    loop {
        let mut chunk = empty.try_recv().unwrap_or_default();
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        let result = loop {
            if filled == CHUNK {
                break Ok(());
            }
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        let last = filled < CHUNK || result.is_err();
        // Data read before an error is delivered before it.
        if filled > 0 && full.send(Ok(chunk)).is_err() {
            return reader;
        }
        if last {
            let _ = full.send(result.map(|()| Vec::new()));
            return reader;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `data` a few bytes at a time, then fails if `fail` says so.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        fail: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail {
                    Err(io::Error::other("broken"))
                } else {
                    Ok(0)
                };
            }
            let n = buf.len().min(7).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn delivers_every_byte_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5, 11 * CHUNK] {
            let source = Trickle {
                data: data(len),
                at: 0,
                fail: false,
            };
            let (read, source) = read_ahead(source, |ahead| {
                let mut out = Vec::new();
                ahead.read_to_end(&mut out).map(|_| out)
            });
            assert_eq!(read.unwrap(), data(len), "{len} bytes");
            assert_eq!(source.at, len);
        }
    }

    #[test]
    fn an_error_comes_after_the_data_read_before_it() {
        let source = Trickle {
            data: data(CHUNK + 10),
            at: 0,
            fail: true,
        };
        let ((got, err), _) = read_ahead(source, |ahead| {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match ahead.read(&mut buf) {
                    Ok(0) => return (got, None),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => return (got, Some(e.to_string())),
                }
            }
        });
        assert_eq!(got, data(CHUNK + 10));
        assert_eq!(err.as_deref(), Some("broken"));
    }

    #[test]
    fn stopping_early_stops_the_reader_within_a_few_chunks() {
        let len = 64 * CHUNK;
        let source = Trickle {
            data: data(len),
            at: 0,
            fail: false,
        };
        let (first, source) = read_ahead(source, |ahead| {
            let mut byte = [0u8; 1];
            ahead.read(&mut byte).map(|_| byte[0])
        });
        assert_eq!(first.unwrap(), data(1)[0]);
        assert!(
            source.at <= (DEPTH + 3) * CHUNK,
            "read {} of {len}",
            source.at
        );
    }
}
