//! The `proxylint` binary: parse arguments, run, map the outcome to an exit code.
//! All work happens in the library; this file only wires them together.

use std::process::ExitCode;

use clap::Parser;

// Linting allocates many small strings and nodes; mimalloc serves them faster than the
// system allocator.
// How it is tuned: `proxylint::memory`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    proxylint::memory::at_start();
    let cli = proxylint::cli::Cli::parse();
    match proxylint::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Paths in errors come from the command line or a configuration: any bytes.
            let err = err.to_string();
            eprintln!("proxylint: error: {}", proxylint::source::printable(&err));
            ExitCode::from(2)
        }
    }
}
