//! What identifies a version of a file without reading it, for the watchers of source files and
//! of the credentials file: size and modification time, and on Unix the inode (an editor's
//! save-by-rename, a Kubernetes Secret's swapped symlink) and the change time (which any write
//! moves, even one that restores the modification time).

use std::path::Path;
use std::time::SystemTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileVersion {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
    changed: (i64, i64),
}

impl FileVersion {
    /// The version of the file at `path` (symlinks followed); `None` if it cannot be examined.
    pub fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, (0, 0));
        Some(FileVersion {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
            changed,
        })
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.len
    }
}
