//! `--config`: maps each cluster to the configuration lines that explain it. The log
//! analyzer asks through [`ConfigRefs`]; [`NginxRefs`] answers from the nginx model and
//! its lint findings, `config_apache::ApacheRefs` from the httpd model, both with the
//! cause-to-directives table of grammars/logs/config-refs.tsv.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::lint::{self, Input, LoadOptions};
use crate::nginx::ast::NodeId;
use crate::nginx::model::index::Pass;
use crate::nginx::model::{Config, Scope};
use crate::nginx::url::{Addr, ParseOptions, parse_addr};
use crate::settings::Settings;
use crate::source::{SourceMap, Span};
use crate::workspace::Dialect;

const CONFIG_REFS: &str = include_str!("../../grammars/logs/config-refs.tsv");

/// One place in the configuration that explains a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRef {
    /// `/etc/nginx/conf.d/app.conf`
    pub file: String,
    /// 1-based line of the directive.
    pub line: u32,
    /// The directive as written: `proxy_pass http://backend;`
    pub directive: String,
    /// The effective values that matter for the cause there.
    pub effective: Vec<Setting>,
    /// Lint findings at that place that explain the cause (`NGX104`).
    pub findings: Vec<String>,
}

/// A directive's value where a pass applies: set in the configuration or nginx's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
    /// nginx's default for the version checked against, not written in the file.
    pub default: bool,
}

/// What the log analyzer asks the configuration model: the config places that send traffic
/// to `upstream` (an address like `127.0.0.1:8080`, `unix:/run/php.sock`, or a group name),
/// optionally within the `server_name` a log line names, with the directives relevant to
/// `cause` (a cause id of causes.md).
pub trait ConfigRefs {
    fn refs_for(&self, upstream: &str, server: &str, cause: &str) -> Vec<ConfigRef>;
}

/// The config directives and lint rules that explain a cause (grammars/logs/config-refs.tsv),
/// in nginx's columns or httpd's.
pub(super) fn explained_by(
    cause: &str,
    dialect: Dialect,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let first = match dialect {
        Dialect::Nginx => 1,
        Dialect::Apache => 3,
    };
    let row = CONFIG_REFS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&cause));
    let list = |i: usize| -> Vec<&'static str> {
        row.as_ref()
            .and_then(|f| f.get(i))
            .map(|v| {
                v.split(',')
                    .filter(|x| !x.is_empty() && *x != "-")
                    .collect()
            })
            .unwrap_or_default()
    };
    (list(first), list(first + 1))
}

/// Reads the configuration `--config` names (nginx's or httpd's, as `proxylint PATH`
/// would) with `settings` (see `cli::ReadArgs::settings`).
pub fn load(path: &Path, settings: &Settings) -> Result<Box<dyn ConfigRefs>, crate::Error> {
    let ws = lint::load(
        &[Input::File(path.to_path_buf())],
        &LoadOptions::default(),
        settings,
    )?;
    let findings = lint::check(&ws, settings);
    if let Some(config) = ws.apache.into_iter().next() {
        return Ok(Box::new(super::config_apache::ApacheRefs::new(
            config,
            Arc::clone(&ws.sources),
            findings,
        )));
    }
    let config = ws.nginx.ok_or_else(|| {
        crate::Error::Input(format!(
            "{}: not an nginx or httpd configuration",
            path.display()
        ))
    })?;
    Ok(Box::new(NginxRefs { config, findings }))
}

/// A configuration line as `--config` shows it, with the findings of `rules` within
/// `spans` (the line and the lines of its effective settings).
pub(super) fn place(
    sources: &SourceMap,
    span: Span,
    effective: Vec<Setting>,
    findings: &[Diagnostic],
    rules: &[&str],
    spans: &[Span],
) -> ConfigRef {
    let file = sources.get(span.file);
    let mut found: Vec<String> = findings
        .iter()
        .filter(|f| rules.contains(&f.code))
        .filter(|f| {
            f.span.is_some_and(|s| {
                spans
                    .iter()
                    .chain([&span])
                    .any(|w| s.file == w.file && s.start >= w.start && s.end <= w.end)
            })
        })
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    found.dedup();
    ConfigRef {
        file: file.name.clone(),
        line: file.line(span.start) as u32,
        directive: file.snippet(span),
        effective,
        findings: found,
    }
}

/// An nginx configuration and its findings, as `--config` reads it.
pub struct NginxRefs {
    config: Config,
    findings: Vec<Diagnostic>,
}

impl NginxRefs {
    /// Whether `pass` sends traffic to the logged upstream (an address, a socket, or
    /// the group name nginx logs for "no live upstreams").
    fn targets(&self, pass: &Pass, logged: &str, logged_addr: Option<&Addr>) -> bool {
        let index = self.config.index();
        let same = |a: &Addr| match logged_addr {
            Some(l) if a.unix || l.unix => a.unix && l.unix && a.host == l.host,
            Some(l) => {
                a.host.eq_ignore_ascii_case(&l.host) && (l.port.is_none() || a.port == l.port)
            }
            None => false,
        };
        match pass.upstream {
            Some(u) => {
                let group = &index.upstreams[u];
                group.name.eq_ignore_ascii_case(logged)
                    || group.servers.iter().any(|s| same(&s.addr))
            }
            None => pass.target.as_ref().is_some_and(|t| same(&t.addr)),
        }
    }

    fn directive_ref(
        &self,
        id: NodeId,
        effective: Vec<Setting>,
        rules: &[&str],
    ) -> Option<ConfigRef> {
        let d = self.config.tree.directive(id)?;
        Some(place(
            &self.config.sources,
            d.span(),
            effective,
            &self.findings,
            rules,
            &[],
        ))
    }

    /// (name, value) of the directives that explain the cause where `scope` applies;
    /// defaults are marked. The ids are where they are set (for their findings).
    fn effective(&self, scope: Scope, names: &[String]) -> (Vec<Setting>, Vec<NodeId>) {
        let mut values = Vec::new();
        let mut ids = Vec::new();
        for name in names {
            let Some((args, id)) = self.config.value(scope, name) else {
                continue;
            };
            ids.extend(id);
            values.push(Setting {
                name: name.clone(),
                value: args.join(" "),
                default: id.is_none(),
            });
        }
        (values, ids)
    }
}

impl ConfigRefs for NginxRefs {
    fn refs_for(&self, upstream: &str, server: &str, cause: &str) -> Vec<ConfigRef> {
        let (directives, rules) = explained_by(cause, Dialect::Nginx);
        let index = self.config.index();
        let logged_addr = parse_addr(upstream, ParseOptions::default()).ok();
        let mut passes: Vec<&Pass> = index
            .passes
            .iter()
            .filter(|p| !upstream.is_empty() && self.targets(p, upstream, logged_addr.as_ref()))
            .collect();
        // The server the line names narrows it down, when it matches any of them.
        let server = server.to_ascii_lowercase();
        let in_server = |p: &&Pass| {
            p.server
                .and_then(|id| index.servers.iter().find(|s| s.id == id))
                .is_some_and(|s| s.names.contains(&server))
        };
        if passes.iter().any(in_server) {
            passes.retain(in_server);
        }
        let mut out = Vec::new();
        for pass in passes {
            let module = pass.directive.trim_end_matches("_pass");
            let names: Vec<String> = directives
                .iter()
                .map(|d| d.replace("{m}", module))
                .collect();
            let (effective, ids) = self.effective(pass.scope, &names);
            let mut r = match self.directive_ref(pass.id, effective, &rules) {
                Some(r) => r,
                None => continue,
            };
            // Findings on the directives shown, and on the group's server lines.
            let group_lines = pass
                .upstream
                .map(|u| {
                    index.upstreams[u]
                        .servers
                        .iter()
                        .map(|s| s.id)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            for id in ids.into_iter().chain(group_lines) {
                if let Some(extra) = self.directive_ref(id, Vec::new(), &rules) {
                    r.findings.extend(extra.findings);
                }
            }
            r.findings.dedup();
            out.push(r);
        }
        // Causes about nginx itself (file descriptors, worker connections) point at the
        // global directives.
        if out.is_empty() && directives.iter().all(|d| !d.contains("{m}")) {
            for name in &directives {
                for (id, _) in self.config.occurrences(name) {
                    out.extend(self.directive_ref(id, Vec::new(), &rules));
                }
            }
        }
        out
    }
}
