//! The `depot` binary: a thin shim over [`depot::cli`].

fn main() -> std::process::ExitCode {
    depot::cli::main()
}
