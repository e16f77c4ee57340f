//! ## What it does
//! Reports text nginx cannot read as a configuration: a missing `;` or `}`, an
//! unexpected brace, a stray character after a closing quote, a parameter longer than
//! nginx's 4 KiB read buffer, a block directive written without its `{`, a simple
//! directive followed by a block. A binary file (or UTF-16 text) that does not parse
//! is reported once, as such. Also proxylint's own limits (nesting depth, directives,
//! included files), which it never lets pass silently.
//!
//! ## Why is this bad?
//! `nginx -t` refuses the file and a reload keeps the old configuration running, or a
//! fresh start fails: every site on the server is down until the file is fixed. The
//! message and line are the ones nginx prints, so the report matches what the deploy
//! log will show.
//!
//! ## Example
//! ```nginx
//! events {}
//! http {
//!     server {
//!         listen 8080;
//!         location / {
//!             return 200 "ok"
//!         }
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! events {}
//! http {
//!     server {
//!         listen 8080;
//!         location / {
//!             return 200 "ok";
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! None: nginx refuses every one of these. proxylint keeps reading after the first
//! error to report later ones, which nginx does not; those later reports may be
//! consequences of the first.
//!
//! ## References
//! - nginx source: `ngx_conf_read_token` and `ngx_conf_parse` (src/core/ngx_conf_file.c)
//! - <https://nginx.org/en/docs/beginners_guide.html#conf_structure>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, RefusedByNginx};
use crate::nginx::ast::SyntaxErrorKind;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX001",
    name: "syntax-error",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: Some("syntax errors"),
    check: Check::Workspace(check),
};

fn help(kind: &SyntaxErrorKind) -> Option<&'static str> {
    Some(match kind {
        SyntaxErrorKind::UnexpectedChar { .. } => {
            "a closing quote must be followed by a space, `;`, `{` or `)`; quote the whole value or add a space"
        }
        SyntaxErrorKind::UnexpectedSemicolon => "remove the extra `;`",
        SyntaxErrorKind::UnexpectedOpenBrace => {
            "a block needs a directive name before `{` (and data blocks such as map or types take no nested blocks)"
        }
        SyntaxErrorKind::UnexpectedCloseBrace => {
            "the directive before this `}` is missing its `;`, or this `}` closes nothing"
        }
        SyntaxErrorKind::UnexpectedEof => {
            "the last directive is missing its `;` (or a block its `}`)"
        }
        SyntaxErrorKind::UnexpectedEofExpectingBrace => {
            "a block is not closed: add the missing `}`"
        }
        SyntaxErrorKind::TooLongParameter { .. } => {
            "nginx reads parameters through a 4096-byte buffer: split the value or move it to a file"
        }
        SyntaxErrorKind::TooLongQuoted { .. } => "a quote is probably not closed",
        SyntaxErrorKind::NotTerminated { .. } => "this directive takes no block: end it with `;`",
        SyntaxErrorKind::NoOpeningBrace { .. } => {
            "this directive opens a block: write `{ ... }` after its parameters"
        }
        SyntaxErrorKind::TooDeep { .. }
        | SyntaxErrorKind::TooManyNodes { .. }
        | SyntaxErrorKind::TooManyErrors { .. } => return None,
        SyntaxErrorKind::Binary { .. } => {
            "lint the text configuration: a compiled, compressed (nginx.conf.gz) or corrupted file is not one"
        }
        SyntaxErrorKind::Utf16 { .. } => {
            "save the file as UTF-8 (or ASCII) without a byte order mark"
        }
        SyntaxErrorKind::TooManyFiles { .. } => {
            "no real server comes near this many files: check for a glob that matches far more than meant (`include /var/www/*/*`)"
        }
    })
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    // proxylint's own limits first: past 1,000 findings in a file the rest are hidden,
    // and the notice that reading stopped must not be among them.
    let limit = |kind: &SyntaxErrorKind| {
        matches!(
            kind,
            SyntaxErrorKind::TooDeep { .. }
                | SyntaxErrorKind::TooManyNodes { .. }
                | SyntaxErrorKind::TooManyErrors { .. }
                | SyntaxErrorKind::TooManyFiles { .. }
        )
    };
    let errors = config.tree.syntax_errors.iter();
    let mut out: Vec<Diagnostic> = errors
        .clone()
        .filter(|e| limit(&e.kind))
        .chain(errors.filter(|e| !limit(&e.kind)))
        .map(|e| {
            let diag = RULE.diagnostic(e.kind.message(), e.span);
            let diag = match help(&e.kind) {
                Some(h) => diag.with_help(h),
                None => diag,
            };
            let diag = match e.unclosed {
                Some(open) => diag.with_label(open, "this block is not closed"),
                None => diag,
            };
            // Nesting and size beyond proxylint's limits are proxylint's, not nginx's.
            if limit(&e.kind) {
                diag
            } else {
                diag.refused_by_nginx(NginxReport::Here)
            }
        })
        .collect();
    for (_, def, d) in config.malformed() {
        let kind = match (def.block, d.block().is_some()) {
            (false, true) => SyntaxErrorKind::NotTerminated {
                name: d.name.value.to_string(),
            },
            (true, false) => SyntaxErrorKind::NoOpeningBrace {
                name: d.name.value.to_string(),
            },
            _ => continue,
        };
        let mut diag = config.refusal(RULE.code, kind.message(), d, d.nginx_span());
        if let Some(h) = help(&kind) {
            diag = diag.with_help(h);
        }
        out.push(diag);
    }
    out
}
