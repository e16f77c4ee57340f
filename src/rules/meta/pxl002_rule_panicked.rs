//! ## What it does
//! Reports a rule that crashed (a bug in proxylint) while checking the configuration:
//! the finding names the rule and the panic, the other rules' findings are kept, and
//! the run exits with 2 (internal error) after printing everything.
//!
//! ## Why is this bad?
//! The crashed rule checked nothing, so the configuration was not fully checked: a run
//! that went on as if it had been would call a configuration clean that may hold the
//! very problem the rule looks for. The exit code 2 keeps CI from passing it.
//!
//! ## Example
//! A rule that meets input its author did not foresee and panics:
//! ```text
//! error[PXL002]: rule NGX115 (proxy-loop) crashed and could not check this
//! configuration: index out of bounds at src/rules/nginx/ngx115_proxy_loop.rs:120
//! ```
//!
//! ## Use instead
//! Nothing to change in the configuration: report the bug with the configuration (or
//! the smallest part of it that still crashes). Until it is fixed, `--ignore` the
//! crashing rule to check the rest with exit code 0 or 1.
//!
//! ## Exceptions
//! None: this finding cannot be ignored, suppressed or downgraded, since the rule it
//! names did not check the configuration.
//!
//! ## References
//! - README.md, section "Exit codes"

use crate::diagnostic::Severity;
use crate::rules::{Check, Reads, Rule};

pub const RULE: Rule = Rule {
    code: "PXL002",
    name: "rule-panicked",
    severity: Severity::Error,
    reads: Reads::Findings,
    unsuppressible: Some("crashed rules"),
    check: Check::Runner,
};
