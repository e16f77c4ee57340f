//! The `proxylint` binary: parse arguments, run, map the outcome to an exit code.
//! All work happens in the library; this file only wires them together.

use std::process::ExitCode;

use clap::Parser;

// Linting allocates many small strings and nodes; mimalloc serves them faster than the
// system allocator.
// How it is tuned: `proxylint::memory`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The allocator's settings are applied before Rust's runtime makes its first allocation
// (before `main`): applied in `main`, mimalloc's first 4 MB were already faulted in as
// two transparent huge pages, 0.3 ms of a small run and 2.7 MB of peak RSS.
#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_FIRST_ALLOCATION: extern "C" fn() = before_first_allocation;

extern "C" fn before_first_allocation() {
    proxylint::memory::at_start();
}

fn main() -> ExitCode {
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
