//! The seam to the configuration model: `--config` maps each cluster to the config lines
//! that explain it. The nginx model is built elsewhere (issue: nginx config parser); this
//! module only defines what the log analyzer needs from it.

use serde::Serialize;

/// One place in the configuration that explains a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRef {
    /// `/etc/nginx/conf.d/app.conf`
    pub file: String,
    /// 1-based line of the directive.
    pub line: u32,
    /// The directive as written: `proxy_pass http://backend;`
    pub directive: String,
    /// The effective values that matter for the cause there: (`proxy_read_timeout`, `60s`).
    pub effective: Vec<(String, String)>,
    /// Lint findings at that place that explain the cause (`NGX104`).
    pub findings: Vec<String>,
}

/// What the log analyzer asks the configuration model: the config places that send traffic
/// to `upstream` (an address like `127.0.0.1:8080`, `unix:/run/php.sock`, or a group name),
/// optionally within the `server_name` a log line names, with the directives relevant to
/// `cause` (a cause id of causes.md).
pub trait ConfigRefs {
    fn refs_for(&self, upstream: &str, server: &str, cause: &str) -> Vec<ConfigRef>;
}
