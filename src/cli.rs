//! Command-line interface: argument definitions and dispatch to the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::Error;

/// Lint nginx configurations for the settings that cause 502/503/504, and read
/// error logs to tell why a proxy answered 502.
#[derive(Debug, Parser)]
#[command(name = "proxylint", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Group the upstream failures of nginx/Apache error logs by cause.
    Logs(crate::logs::LogsArgs),
}

/// Arguments of the default command: lint configuration files.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint; `-` reads stdin.
    pub paths: Vec<String>,
}

/// Runs the parsed command line and returns the exit code.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Some(Command::Logs(args)) => crate::logs::run(&args),
        None => {
            let _ = cli.lint;
            Ok(ExitCode::SUCCESS)
        }
    }
}
