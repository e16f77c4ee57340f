//! `proxylint logs`: read nginx and Apache error logs and group upstream failures by cause.

use std::process::ExitCode;

/// Arguments of `proxylint logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Log files, directories or globs; `-` reads stdin.
    #[arg(required = true)]
    pub paths: Vec<String>,
}

/// Runs the log analysis and returns the process exit code.
pub fn run(args: &LogsArgs) -> Result<ExitCode, crate::Error> {
    let _ = args;
    Err(crate::Error::Usage(
        "`proxylint logs` is not implemented yet".into(),
    ))
}
