//! ## What it does
//! Reports a suppression comment that suppresses nothing: a `# proxylint: disable=CODE`
//! with no CODE finding on its line (or on the line below, for a comment alone on its
//! line), a `# proxylint: disable-file=CODE` with no CODE finding in its file, an
//! unknown rule code, a code that cannot be suppressed (NGX001), or a `# proxylint:`
//! comment that is not a suppression at all.
//!
//! ## Why is this bad?
//! A suppression outlives the problem it hid: once the directive is fixed or moved, the
//! comment stays and would silently hide the next real problem on that line, a 502
//! cause included. A misspelled code or action hides nothing while looking as if it
//! did.
//!
//! ## Example
//! ```nginx
//! events {}
//! http {
//!     server {
//!         listen 8080;  # proxylint: disable=NGX013
//!         http2 on;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! events {}
//! http {
//!     server {
//!         # proxylint: disable=NGX013 Debian 11 ships nginx 1.18, without `http2 on`
//!         listen 8080 http2;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! A suppression of a rule that is not enabled (`--select`, `--ignore`, `[rules]` in
//! proxylint.toml) is not reported: it may be in use where that rule runs. This rule is
//! turned off with `--ignore PXL001` or `PXL001 = "off"` in proxylint.toml, not with a
//! comment.
//!
//! ## References
//! - README.md, section "Suppressing findings"
//! - ruff's `unused-noqa` (RUF100), which this rule follows

use crate::diagnostic::Severity;
use crate::rules::{Check, Reads, Rule};

pub const RULE: Rule = Rule {
    code: "PXL001",
    name: "unused-suppression",
    severity: Severity::Info,
    reads: Reads::Findings,
    unsuppressible: None,
    check: Check::Suppression,
};
