//! proxylint: tells why a reverse proxy answers 502/503/504.
//!
//! Pipeline (one direction):
//!
//! ```text
//! config files ─► source ─► nginx::lexer/parser (AST with spans) ─► nginx::includes
//!              ─► checks (directive table from grammars/) ─► rules ─► printers
//! error logs   ─► logs (reader ─► record ─► classify ─► correlate ─► report)
//! ```

pub mod cli;
pub mod logs;

use std::path::PathBuf;

/// Errors that stop a run: usage mistakes, unreadable inputs, internal failures.
/// Findings about the linted configuration are not errors; they are diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Input(String),
}
