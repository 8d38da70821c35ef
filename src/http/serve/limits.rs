//! The limits of the server loop, and the connection cap fitted under the process's file limit.

use std::time::Duration;

/// How long clients may take, and how many connections are served at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// From a new connection (or the first byte of a next request) to its complete head; also
    /// bounds a TLS handshake. `None`: no limit.
    pub header_timeout: Option<Duration>,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Option<Duration>,
    /// From a request's head to the end of its body.
    pub body_timeout: Option<Duration>,
    /// Connections served at once; more wait in the kernel's listen queue, unread.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Some(Duration::from_secs(10)),
            idle_timeout: Some(Duration::from_secs(120)),
            body_timeout: Some(Duration::from_secs(60)),
            max_connections: 4096,
        }
    }
}

/// File descriptors kept free of connections: the store's SQLite files and pool, listeners, the
/// runtime, log pipes and the sync source's own connections.
const RESERVED_FDS: u64 = 128;

/// The cap that fits under an open-file limit of `fd_limit`: a cap above it would let
/// connections take every descriptor, and the store and listener with them.
pub fn fit_to_fd_limit(max_connections: usize, fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return max_connections;
    };
    let room = limit.saturating_sub(RESERVED_FDS).max(limit / 2).max(1);
    max_connections.min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// The soft open-file limit of this process (Linux's `/proc/self/limits`); `None` when unknown
/// or unlimited.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_for_the_rest_of_the_process() {
        assert_eq!(fit_to_fd_limit(4096, None), 4096);
        assert_eq!(fit_to_fd_limit(4096, Some(1_048_576)), 4096);
        assert_eq!(fit_to_fd_limit(4096, Some(1024)), 896);
        assert_eq!(fit_to_fd_limit(100, Some(1024)), 100);
        assert_eq!(fit_to_fd_limit(4096, Some(200)), 100);
        assert_eq!(fit_to_fd_limit(4096, Some(0)), 1);
    }

    #[test]
    fn the_soft_open_file_limit_is_read() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             unlimited            unlimited            processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_open_file_limit(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_file_limit(unlimited), None);
        assert_eq!(parse_open_file_limit(""), None);
    }
}
