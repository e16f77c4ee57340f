//! What a run checks against: nginx version, enabled rules and their severities, the
//! thresholds of the 502/504 rules. Filled from defaults, then `proxylint.toml`, then
//! command-line flags.

use foldhash::HashMap;

use crate::diagnostic::Severity;
use crate::nginx::grammar::{DEFAULT_VERSION, Version};

/// Limits the NGX1xx rules compare against. Times in milliseconds, sizes in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// NGX102: `*_read_timeout` and `*_send_timeout` below this are too low.
    pub min_read_timeout_ms: i64,
    /// NGX102: `*_connect_timeout` below this is too low.
    pub min_connect_timeout_ms: i64,
    /// NGX103: `*_connect_timeout` above this has no effect (the kernel's SYN retries
    /// give up first).
    pub max_connect_timeout_ms: i64,
    /// NGX104: `*_buffer_size` (and a `*_buffers` buffer) below this is too small.
    pub min_buffer_size: i64,
    /// NGX116: `worker_connections` below this is too low for a proxy.
    pub min_worker_connections: i64,
    /// NGX114: ports that conventionally speak plain HTTP, TLS, FastCGI, gRPC/HTTP2.
    pub http_ports: Vec<u16>,
    pub tls_ports: Vec<u16>,
    pub fastcgi_ports: Vec<u16>,
}

impl Default for Thresholds {
    fn default() -> Self {
        let ports = crate::nginx::grammar::conventional_ports();
        Thresholds {
            min_read_timeout_ms: 10_000,
            min_connect_timeout_ms: 1_000,
            max_connect_timeout_ms: 75_000,
            min_buffer_size: 4096,
            min_worker_connections: 512,
            http_ports: ports.http,
            tls_ports: ports.tls,
            fastcgi_ports: ports.fastcgi,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub nginx_version: Version,
    /// NGINX Plus directives are known.
    pub plus: bool,
    /// Only these rule codes run (all when empty).
    pub select: Vec<String>,
    /// These rule codes do not run.
    pub ignore: Vec<String>,
    /// Per-rule severity overrides, by upper-case code.
    pub severity: HashMap<String, Severity>,
    pub thresholds: Thresholds,
    /// Addresses the backends are known to listen on (`unix:/run/php/php8.2-fpm.sock`,
    /// `127.0.0.1:9000`), for the rules that compare pass targets with them.
    pub backends: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            nginx_version: DEFAULT_VERSION,
            plus: false,
            select: Vec::new(),
            ignore: Vec::new(),
            severity: HashMap::default(),
            thresholds: Thresholds::default(),
            backends: Vec::new(),
        }
    }
}

/// Whether `code` matches a selector: a full code (`NGX102`) or a prefix (`NGX1`,
/// `NGX`), case-insensitive.
fn matches(selector: &str, code: &str) -> bool {
    code.len() >= selector.len() && code[..selector.len()].eq_ignore_ascii_case(selector)
}

impl Settings {
    pub fn rule_enabled(&self, code: &str) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| matches(s, code)))
            && !self.ignore.iter().any(|s| matches(s, code))
    }
}
