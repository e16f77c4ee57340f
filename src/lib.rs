//! proxylint: tells why a reverse proxy answers 502/503/504.
//!
//! Pipeline (one direction):
//!
//! ```text
//! config files ─► source ─► nginx::lexer / nginx::parser (arena tree with spans, includes
//!              read in place) ─► model (context + directive-table entry per directive,
//!              scopes, inherited values) ─► rules (pure: &Config → Vec<Diagnostic>)
//!              ─► suppress (comments, `exclude`; PXL001) ─► lint (order, dedupe)
//!              ─► printer (full · concise · json · sarif · github · checkstyle)
//! error logs   ─► logs (reader ─► record ─► classify ─► correlate ─► report)
//! ```

pub mod apache;
pub mod cli;
pub mod diagnostic;
pub mod lint;
pub mod logs;

pub mod nginx;
pub mod printer;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod version;
pub mod workspace;

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
    /// A bad `proxylint.toml`: the message names the key.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
}
