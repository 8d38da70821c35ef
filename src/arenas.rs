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

/// How often free memory is handed back when `LATCHKEY_MALLOC_TRIM_MS` does not say (0 there
/// turns it off).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_TRIM_MS: u64 = 2_000;

/// Hands the arenas' free pages back to the system every so often, from a thread of its own.
///
/// glibc returns memory on its own only from the top of the main heap; pages freed anywhere else
/// in an arena stay resident, so RSS is the highest the heap ever fragmented to rather than what
/// is in use. `malloc_trim` releases every free page of every arena (madvise), which keeps RSS
/// following the live data across a long soak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn start_trimming() {
    let ms = match std::env::var("LATCHKEY_MALLOC_TRIM_MS") {
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(ms) => ms,
            Err(_) => {
                eprintln!("latchkey: LATCHKEY_MALLOC_TRIM_MS must be a whole number of milliseconds (0: off), not {value:?}");
                std::process::exit(2);
            }
        },
        Err(_) => DEFAULT_TRIM_MS,
    };
    if ms == 0 {
        return;
    }
    let every = std::time::Duration::from_millis(ms);
    let _ = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            // SAFETY: malloc_trim only returns free memory to the system, under each arena's
            // own lock; it neither moves nor frees anything in use.
            #[allow(unsafe_code)]
            unsafe {
                libc::malloc_trim(0);
            }
        });
}

/// Other allocators return memory their own way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn start_trimming() {}
