//! Apache httpd's configuration language, read as httpd reads it.
//!
//! ```text
//! vfs ─► text (logical lines, ${VAR}, words) ─► reader (first pass: sections, includes,
//!        conditionals, Define, LoadModule, macros) ─► ast::Tree
//!     ─► check (second pass: grammar's context/argument/handler checks, <If> expressions)
//!     ─► report (problems with httpd's message and where apache2 -t reports them)
//! ```
//!
//! [`loader`] is the entry point: discovery of a directory, main file or snippet,
//! ServerRoot, defines, Debian's envvars. [`grammar`] holds the directive tables.

pub mod ahead;
pub mod ast;
pub mod check;
pub mod envvars;
pub mod expr;
pub mod grammar;
pub mod include;
pub mod loader;
pub mod macros;
pub mod model;
pub mod reader;
pub mod report;
pub mod text;

#[cfg(test)]
mod tests;
