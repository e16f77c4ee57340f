//! ## What it does
//! Checks the relations nginx enforces between the buffer directives of the proxy,
//! FastCGI, uwsgi and SCGI modules, as they apply in each server and location (values
//! inherited from outer blocks included):
//! - at least 2 `*_buffers`;
//! - `*_busy_buffers_size` at least the larger of `*_buffer_size` and one `*_buffers`
//!   buffer, and less than all `*_buffers` minus one;
//! - `*_temp_file_write_size` at least that same size;
//! - `*_max_temp_file_size` 0 or at least that size.
//!
//! When `*_busy_buffers_size` and `*_temp_file_write_size` are not set nginx uses twice
//! the larger of `*_buffer_size` and one buffer, so raising `proxy_buffer_size` alone
//! (to fix "upstream sent too big header") can break the configuration.
//!
//! ## Why is this bad?
//! nginx refuses the configuration. It reports the problem at the end of the `http`
//! block, far from the directive at fault; proxylint points at the directive.
//!
//! ## Example
//! ```nginx
//! http {
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_buffer_size 64k;
//!             proxy_pass http://127.0.0.1:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_buffer_size 64k;
//!             proxy_buffers 8 64k;
//!             proxy_busy_buffers_size 128k;
//!             proxy_pass http://127.0.0.1:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Values in an `http` block without any `server` are never merged, so nginx does not
//! check them. Sizes assume 4 KiB memory pages (x86-64 and most arm64 Linux).
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_busy_buffers_size>
//! - nginx source: `ngx_http_proxy_merge_loc_conf` (and its fastcgi/uwsgi/scgi twins)

use foldhash::{HashSet, HashSetExt};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::ast::NodeId;
use crate::nginx::model::{Config, Scope};
use crate::nginx::values::{atoi, parse_size};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX009",
    name: "invalid-buffer-sizes",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// nginx's default buffer sizes derive from the memory page size.
pub const PAGE_SIZE: i64 = 4096;

/// The modules with buffer relations, and their directives: buffer size, buffers, busy
/// buffers size, temp file write size, max temp file size.
const MODULES: &[(&str, [&str; 5])] = &[
    (
        "proxy",
        [
            "proxy_buffer_size",
            "proxy_buffers",
            "proxy_busy_buffers_size",
            "proxy_temp_file_write_size",
            "proxy_max_temp_file_size",
        ],
    ),
    (
        "fastcgi",
        [
            "fastcgi_buffer_size",
            "fastcgi_buffers",
            "fastcgi_busy_buffers_size",
            "fastcgi_temp_file_write_size",
            "fastcgi_max_temp_file_size",
        ],
    ),
    (
        "uwsgi",
        [
            "uwsgi_buffer_size",
            "uwsgi_buffers",
            "uwsgi_busy_buffers_size",
            "uwsgi_temp_file_write_size",
            "uwsgi_max_temp_file_size",
        ],
    ),
    (
        "scgi",
        [
            "scgi_buffer_size",
            "scgi_buffers",
            "scgi_busy_buffers_size",
            "scgi_temp_file_write_size",
            "scgi_max_temp_file_size",
        ],
    ),
];

/// Blocks whose location configuration nginx merges (and so checks).
fn merged(context: &str) -> bool {
    matches!(
        context,
        "http>server" | "http>location" | "http>server>if" | "http>location>if"
    )
}

/// An effective size and the directive that set it (`None`: nginx's default).
type Value = (i64, Option<NodeId>);

struct Effective {
    buffer_size: Value,
    bufs: (i64, i64, Option<NodeId>),
    busy: Option<Value>,
    temp_write: Option<Value>,
    max_temp: Option<Value>,
}

fn first_arg(config: &Config, scope: Scope, name: &str) -> Option<(Vec<String>, NodeId)> {
    let id = config.effective(scope, name)?;
    let d = config.tree.directive(id)?;
    Some((d.args.iter().map(|w| w.value.to_string()).collect(), id))
}

fn size(config: &Config, scope: Scope, name: &str) -> Option<Option<Value>> {
    match first_arg(config, scope, name) {
        None => Some(None),
        // An unparsable value is NGX005's to report.
        Some((args, id)) => parse_size(&args[0]).map(|v| Some((v, Some(id)))),
    }
}

fn effective(config: &Config, scope: Scope, names: &[&str; 5]) -> Option<Effective> {
    let buffer_size = size(config, scope, names[0])?.unwrap_or((PAGE_SIZE, None));
    let bufs = match first_arg(config, scope, names[1]) {
        None => (8, PAGE_SIZE, None),
        Some((args, id)) => (atoi(args.first()?)?, parse_size(args.get(1)?)?, Some(id)),
    };
    Some(Effective {
        buffer_size,
        bufs,
        busy: size(config, scope, names[2])?,
        temp_write: size(config, scope, names[3])?,
        max_temp: size(config, scope, names[4])?,
    })
}

/// The first relation nginx finds broken, with the directives involved.
fn violation(m: &str, e: &Effective) -> Option<(String, Vec<Option<NodeId>>)> {
    let (num, one, bufs_id) = e.bufs;
    if num < 2 {
        return Some((
            format!("there must be at least 2 \"{m}_buffers\""),
            vec![bufs_id],
        ));
    }
    let size = e.buffer_size.0.max(one);
    let sizers = [e.buffer_size.1, bufs_id];
    let busy = e.busy.unwrap_or((2 * size, None));
    // Written only into a message (every block with buffers comes here).
    let max_of = || {
        format!("the maximum of the value of \"{m}_buffer_size\" and one of the \"{m}_buffers\"")
    };
    if busy.0 < size {
        return Some((
            format!(
                "\"{m}_busy_buffers_size\" must be equal to or greater than {}",
                max_of()
            ),
            vec![busy.1, sizers[0], sizers[1]],
        ));
    }
    if busy.0 > (num - 1) * one {
        return Some((
            format!(
                "\"{m}_busy_buffers_size\" must be less than the size of all \"{m}_buffers\" minus one buffer"
            ),
            vec![busy.1, bufs_id, e.buffer_size.1],
        ));
    }
    let temp = e.temp_write.unwrap_or((2 * size, None));
    if temp.0 < size {
        return Some((
            format!(
                "\"{m}_temp_file_write_size\" must be equal to or greater than {}",
                max_of()
            ),
            vec![temp.1, sizers[0], sizers[1]],
        ));
    }
    if let Some((max, id)) = e.max_temp
        && max != 0
        && max < size
    {
        return Some((
            format!(
                "\"{m}_max_temp_file_size\" must be equal to zero to disable temporary files usage or must be equal to or greater than {}",
                max_of()
            ),
            vec![id, sizers[0], sizers[1]],
        ));
    }
    None
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (id, module) in checked_blocks(config) {
        let scope = Scope::Block(id);
        let (m, names) = &MODULES[module];
        let Some(e) = effective(config, scope, names) else {
            continue;
        };
        let Some((message, involved)) = violation(m, &e) else {
            continue;
        };
        // Point at the explicitly set directive closest to this block.
        let Some(culprit) = involved.iter().flatten().copied().max() else {
            continue;
        };
        if !seen.insert((culprit, message.clone())) {
            continue;
        }
        let Some(cd) = config.tree.directive(culprit) else {
            continue;
        };
        let at = config
            .top_block_end(scope)
            .map_or(NginxReport::Here, |end| NginxReport::Deferred {
                printed: Some(end),
                after: end,
                phase: Phase::Merge,
            });
        let mut diag = RULE.diagnostic(message, cd.name.span)
            .with_help(format!(
                "set {m}_buffer_size, {m}_buffers and {m}_busy_buffers_size together, e.g. `{m}_buffer_size 16k; {m}_buffers 8 16k; {m}_busy_buffers_size 32k;`"
            ))
            .refused_by_nginx(at);
        for other in involved.iter().flatten().filter(|o| **o != culprit) {
            if let Some(od) = config.tree.directive(*other) {
                diag = diag.with_related(od.name.span, "also involved");
            }
        }
        out.push(diag);
    }
    out
}

/// The blocks whose values of a module nginx checks that can give a verdict of their
/// own, with the module (its index in [`MODULES`]), in reading order: every merged
/// block that sets one of the module's directives, and a server block that sets none
/// (the server level is where http's values are first merged) when no server before it
/// inherits from the same place. A block that sets none has the values, and so the
/// verdict, of the block it inherits them from: found from the directives' occurrences,
/// not by asking every block for every directive.
fn checked_blocks(config: &Config) -> Vec<(NodeId, usize)> {
    let merged_block = |id: NodeId| {
        merged(config.info(id).body_context)
            && config.def(id).is_some()
            && config.tree.directive(id).is_some_and(|d| d.block().is_some())
    };
    let mut blocks = Vec::new();
    for (module, (_, names)) in MODULES.iter().enumerate() {
        for name in names {
            for (id, _) in config.occurrences(name) {
                if let Scope::Block(block) = config.scope(id)
                    && merged_block(block)
                {
                    blocks.push((block, module));
                }
            }
        }
    }
    blocks.sort_unstable();
    blocks.dedup();
    let setting = blocks.len();
    let mut inherited_from = HashSet::new();
    for (id, _) in config.occurrences("server") {
        if config.info(id).body_context != "http>server" || !merged_block(id) {
            continue;
        }
        for module in 0..MODULES.len() {
            if blocks[..setting].binary_search(&(id, module)).is_err()
                && inherited_from.insert((config.scope(id), module))
            {
                blocks.push((id, module));
            }
        }
    }
    blocks.sort_unstable();
    blocks
}
