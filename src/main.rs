// mimalloc rather than glibc malloc: fewer instructions per request and a flat RSS across the
// benchmark's soak, where glibc's per-thread arenas kept growing (figures in docs/design.md §9).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    latchkey::cli::main()
}
