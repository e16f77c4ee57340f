//! ## What it does
//! Reports a unix socket that is probably not the one the backend creates:
//! - the configuration uses two versions of the same socket (`php7.4-fpm.sock` in one
//!   place, `php8.2-fpm.sock` in another): after an upgrade only the new one exists;
//! - when the backends' addresses are declared (`backends = [...]` in
//!   `proxylint.toml`), a socket none of them creates, with the closest declared path.
//!
//! ## Why does this cause 502/504?
//! nginx connects to a path nobody listens on: **502 Bad Gateway** with `connect() to
//! unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory)`. It is the most
//! common 502 after a PHP upgrade (the pool's socket name carries the version) or a
//! rename of a systemd socket.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ \.php$ {
//!         fastcgi_pass unix:/run/php/php7.4-fpm.sock;
//!     }
//!     location /admin/ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ \.php$ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//!     location /admin/ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Two PHP versions installed side by side on purpose (one pool per version) are fine:
//! suppress the finding on the older one.
//!
//! ## References
//! - <https://www.php.net/manual/en/install.fpm.configuration.php> (`listen`)

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Config;
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX107",
    name: "socket-path-mismatch",
    severity: Severity::Warning,
    check: Check::Model(check),
};

/// A path with its dotted version numbers (`7.4`, `3.11`) replaced, and those versions:
/// sockets that differ only by such a version share the shape. Plain numbers (`app1`,
/// `unix.sock.3`) are instances, not versions.
fn shape(path: &str) -> (String, Vec<Vec<u64>>) {
    static VERSION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // ASCII digits: versions are written so, and Unicode `\d` compiles to an automaton
    // that cost a small run a sixth of its page faults.
    let version =
        VERSION.get_or_init(|| regex::Regex::new(r"[0-9]+(?:\.[0-9]+)+").expect("a valid pattern"));
    let mut versions = Vec::new();
    let shape = version
        .replace_all(path, |c: &regex::Captures| {
            versions.push(
                c[0].split('.')
                    .map(|n| n.parse().unwrap_or(u64::MAX))
                    .collect(),
            );
            "#"
        })
        .into_owned();
    (shape, versions)
}

fn check(config: &Config, settings: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let sockets = config.index().sockets();
    let declared: Vec<&str> = settings
        .backends
        .iter()
        .filter_map(|b| b.strip_prefix("unix:"))
        .collect();
    for &(id, addr) in &sockets {
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let path = addr.host.as_str();
        let span = d.args[0].span;
        if !declared.is_empty() && !declared.contains(&path) {
            let closest = declared
                .iter()
                .min_by_key(|c| strsim::levenshtein(c, path))
                .copied()
                .unwrap_or_default();
            out.push(
                RULE.diagnostic(format!("no declared backend listens on unix:{path}"), span)
                    .with_help(format!("did you mean unix:{closest}?")),
            );
            continue;
        }
        // The newest version of the same socket used elsewhere.
        let (mine, my_version) = shape(path);
        let newer = sockets
            .iter()
            .filter(|(_, other)| other.host != path)
            .map(|(other_id, other)| (*other_id, other, shape(&other.host)))
            .filter(|(_, _, (s, v))| !my_version.is_empty() && *s == mine && *v > my_version)
            .max_by(|a, b| a.2.1.cmp(&b.2.1));
        let Some((other_id, other, _)) = newer else {
            continue;
        };
        let Some(od) = config.tree.directive(other_id) else {
            continue;
        };
        out.push(
            RULE.diagnostic(format!("socket {path} looks like an older version of {}, also used here", other.host),
                span,
            )
            .with_related(od.args[0].span, "the newer socket")
            .with_help(format!(
                "after an upgrade only one of them exists (check `ls -l {path} {}`); point both at the running backend",
                other.host
            )),
        );
    }
    out
}
