//! Reads a file that a source names (a seed file, a value file, an attachment) only when it is a
//! regular file, and never more than a cap: `/dev/zero` would be read until memory runs out and
//! opening a FIFO blocks the sync worker until some writer appears.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// A directory, a device, a FIFO or a socket (what it is, for the message).
    NotRegular(&'static str),
    /// Larger than the cap given.
    TooLarge,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::NotRegular(kind) => write!(f, "not a regular file ({kind})"),
            ReadError::TooLarge => f.write_str("too large"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// The whole content of the regular file at `path`, if it holds at most `cap` bytes. The
/// metadata is checked before opening (a FIFO is never opened) and again on the opened file (a
/// path swapped in between is caught; the open does not block, see [`open_nonblocking`]); at most
/// `cap + 1` bytes are read, whatever the file claims.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let (file, metadata) = open_regular(path, cap)?;
    let capacity = usize::try_from(metadata.len().min(cap).min(64 << 20)).unwrap_or(0);
    let mut content = Vec::with_capacity(capacity);
    file.take(cap.saturating_add(1)).read_to_end(&mut content)?;
    if content.len() as u64 > cap {
        return Err(ReadError::TooLarge);
    }
    Ok(content)
}

/// Opens the regular file at `path`, if it holds at most `cap` bytes, with its metadata; a
/// FIFO, a device or a directory is refused without blocking.
pub fn open_regular(path: &Path, cap: u64) -> Result<(File, Metadata), ReadError> {
    check(&std::fs::metadata(path)?, cap)?;
    let file = open_nonblocking(path)?;
    let metadata = file.metadata()?;
    check(&metadata, cap)?;
    Ok((file, metadata))
}

fn check(metadata: &Metadata, cap: u64) -> Result<(), ReadError> {
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(kind(metadata)));
    }
    if metadata.len() > cap {
        return Err(ReadError::TooLarge);
    }
    Ok(())
}

fn kind(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Opens for reading with `O_NONBLOCK`, so that a FIFO swapped in after the metadata check is
/// opened at once (and then refused) instead of blocking until a writer appears. On a regular
/// file the flag changes nothing.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::{read_regular, ReadError};

    #[test]
    fn reads_regular_files_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_regular(&path, 5).unwrap(), b"12345");
        assert!(matches!(read_regular(&path, 4), Err(ReadError::TooLarge)));
        let missing = read_regular(&dir.path().join("missing"), 5).unwrap_err();
        assert!(matches!(missing, ReadError::Io(_)), "{missing:?}");
    }

    #[test]
    fn refuses_devices_fifos_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        for (path, kind) in [
            (std::path::PathBuf::from("/dev/zero"), "a device"),
            (fifo, "a FIFO"),
            (dir.path().to_path_buf(), "a directory"),
        ] {
            let err = read_regular(&path, 1 << 20).unwrap_err();
            assert_eq!(err.to_string(), format!("not a regular file ({kind})"));
        }
    }
}
