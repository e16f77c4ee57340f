//! ## What it does
//! Reports, in a complete main configuration that loads no module (no `load_module`
//! line) and without declared modules (`--modules`), a directive of a third-party module
//! (`more_set_headers`, `upload_progress`, `set_random`, `lua_shared_dict`...), naming
//! the module it needs. Once per module and file.
//!
//! ## Why is this bad?
//! A stock nginx does not know these directives: `nginx -t` refuses the configuration
//! with `unknown directive "more_set_headers"`, unless the module is compiled in (as in
//! OpenResty or a custom build) or loaded by a file proxylint did not read. proxylint
//! cannot tell which, so this is information: say which third-party modules your nginx
//! has (`--modules headers-more-filter`, `modules = [...]` in proxylint.toml) and the
//! check becomes exact (their directives accepted, any other an unknown directive).
//!
//! ## Example
//! ```nginx
//! events {}
//! http {
//!     server {
//!         listen 80;
//!         more_set_headers "Server: edge";
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! load_module modules/ngx_http_headers_more_filter_module.so;
//! events {}
//! http {
//!     server {
//!         listen 80;
//!         more_set_headers "Server: edge";
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Snippets (a site file, a file checked with `--context http`) are not reported: the
//! main configuration that includes them may load the module. A main configuration with
//! `load_module` lines gets NGX002 for a module it does not load.
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#load_module>
//! - <https://nginx.org/en/docs/njs/install.html> (modules packaged separately)

use foldhash::{HashMap, HashMapExt};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::{DirectiveDef, Origin, grammar, short_module_name};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;
use crate::source::FileId;

pub const RULE: Rule = Rule {
    code: "NGX024",
    name: "module-not-loaded",
    severity: Severity::Info,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    if config.avail.loaded.is_some() || config.avail.modules.is_some() {
        return Vec::new();
    }
    let g = grammar();
    // (file, module) -> (first directive, how many)
    let mut uses: HashMap<(FileId, &'static str), (crate::nginx::ast::NodeId, usize)> =
        HashMap::new();
    let mut order = Vec::new();
    let third_party = |def: &'static DirectiveDef| {
        def.so.is_some()
            && g.module(def.module)
                .is_some_and(|m| m.origin == Origin::ThirdParty)
    };
    for (id, def, d) in config.resolved_where(third_party) {
        let Some(so) = def.so else { continue };
        if config.root_context(config.root_of(config.scope(id))) != "main" {
            continue;
        }
        let key = (d.name.span.file, def.module);
        let entry = uses.entry(key).or_insert_with(|| {
            order.push((key, so));
            (id, 0)
        });
        entry.1 += 1;
    }
    let mut out = Vec::new();
    for (key, so) in order {
        let (id, count) = uses[&key];
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let more = match count {
            1 => String::new(),
            n => format!(" (and {} more of its directives in this file)", n - 1),
        };
        let short = short_module_name(so).replace('_', "-");
        out.push(
            RULE.diagnostic(
                format!(
                    "\"{}\" needs the third-party module {}, which this configuration does not load: nginx refuses it as an unknown directive unless the module is built in{more}",
                    d.name.value, key.1
                ),
                d.name.span,
            )
            .with_help(format!(
                "add `load_module modules/{so};` at the top of the main configuration; if your nginx has the module built in (OpenResty, a custom build), say so with `--modules {short}` (proxylint.toml: modules = [\"{short}\"])"
            )),
        );
    }
    out
}
