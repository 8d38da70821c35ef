//! Bounds glibc's malloc arenas before the first thread starts (here in the binary: the library
//! forbids `unsafe`).
//!
//! glibc gives threads up to eight arenas per core, and memory freed into one arena is never
//! handed to another. latchkey allocates on many threads (the runtime's workers, and one thread
//! per SQLite connection, each with its own arena), so under steady load every arena keeps its
//! own free holes and RSS creeps up across a long soak. Capping the arenas lets every thread reuse
//! the same free memory. An explicit `MALLOC_ARENA_MAX` (or `glibc.malloc.arena_max` tunable)
//! wins: glibc has already applied it, so nothing is changed.

/// Arenas when the environment names none (docs/design.md §10 has the soak figures behind it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_ARENA_MAX: libc::c_int = 2;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn bound() {
    let tuned = std::env::var_os("GLIBC_TUNABLES")
        .is_some_and(|t| t.to_string_lossy().contains("glibc.malloc.arena_max"));
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() || tuned {
        return;
    }
    // SAFETY: mallopt only sets an allocator parameter (it takes malloc's own lock); `main` calls
    // this first, before any other thread exists, so no arena has been created beyond the main
    // one. A refused value leaves glibc's default in place, which is harmless.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, DEFAULT_ARENA_MAX);
    }
}

/// Other allocators have no arenas to bound.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn bound() {}
