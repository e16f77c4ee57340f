//! The `proxylint` binary: parse arguments, run, map the outcome to an exit code.
//! All work happens in the library; this file only wires them together.

use std::process::ExitCode;

use clap::Parser;

// Linting allocates many small strings and nodes; mimalloc serves them faster than the
// system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = proxylint::cli::Cli::parse();
    match proxylint::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("proxylint: error: {err}");
            ExitCode::from(2)
        }
    }
}
