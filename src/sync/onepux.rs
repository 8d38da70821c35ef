//! 1PUX exports (the parser lands in a following commit).
use super::source::{Snapshot, SourceError};

pub fn parse_file(path: &std::path::Path) -> Result<Snapshot, SourceError> {
    Err(SourceError::Unavailable(format!(
        "cannot read {}: this build of latchkey does not read 1PUX exports yet",
        path.display()
    )))
}
