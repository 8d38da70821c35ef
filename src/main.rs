// The allocator stays glibc malloc: mimalloc saved 6% of a cached GET's instructions but held
// twice the idle RSS and grew more across the benchmark's soak (figures in docs/design.md §10).
// Its arenas are bounded, and their free pages handed back, in `arenas` (the only unsafe code,
// kept out of the library).

mod arenas;

fn main() -> std::process::ExitCode {
    arenas::bound();
    arenas::start_trimming();
    latchkey::cli::main()
}
