//! The `proxylint` binary: parse arguments, run, map the outcome to an exit code.
//! All work happens in the library; this file only wires them together.

use std::process::ExitCode;

use clap::Parser;

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
