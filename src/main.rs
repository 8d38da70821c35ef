// The allocator stays glibc malloc: mimalloc saved 6% of a cached GET's instructions but held
// twice the idle RSS and grew more across the benchmark's soak (figures in docs/design.md §10).
fn main() -> std::process::ExitCode {
    latchkey::cli::main()
}
