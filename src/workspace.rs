//! The workspace: everything one run checks. It owns the one [`SourceMap`] of every file
//! read (whatever its dialect) and the model of each dialect present; rules receive it
//! whole, so a rule can read one dialect's model now and, later, the backend
//! definitions beside it.
//!
//! Dialect-neutral: it holds the dialects' models but looks into them only to hand the
//! shared layers what they need (comments for suppression, root files, size).

use std::sync::Arc;

use crate::apache::loader::Config as ApacheConfig;
use crate::nginx::model::Config as NginxConfig;
use crate::source::{SourceMap, Span};

/// A configuration language proxylint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Nginx,
    Apache,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx",
            Dialect::Apache => "apache",
        }
    }
}

/// What one run checks.
pub struct Workspace {
    /// Every file read, in reading order.
    pub sources: Arc<SourceMap>,
    /// The nginx configuration, when an input was nginx's.
    pub nginx: Option<NginxConfig>,
    /// The httpd configurations: one per main configuration read (`apache2.conf`,
    /// `httpd.conf`), and one for the Apache snippets read on their own. Backend
    /// definitions (PHP-FPM pools, compose, systemd units) join after it.
    pub apache: Vec<ApacheConfig>,
}

impl Workspace {
    /// A workspace holding the files of `sources` and no model yet.
    pub fn new(sources: Arc<SourceMap>) -> Workspace {
        Workspace {
            sources,
            nginx: None,
            apache: Vec::new(),
        }
    }

    /// The nginx model, for nginx rules.
    pub fn nginx(&self) -> Option<&NginxConfig> {
        self.nginx.as_ref()
    }

    /// The httpd configurations, for Apache rules: each is a tree as httpd's second pass
    /// walks it ([`crate::apache::ast::Tree::effective`]), the modules it loads, the
    /// proxy workers and balancers its handlers define, and the reader's problems.
    pub fn apache(&self) -> &[ApacheConfig] {
        &self.apache
    }

    /// Whether a model of this dialect is present (its rules run).
    pub fn has(&self, dialect: Dialect) -> bool {
        match dialect {
            Dialect::Nginx => self.nginx.is_some(),
            Dialect::Apache => !self.apache.is_empty(),
        }
    }

    /// Every comment of every dialect, each a span starting at its `#`: where
    /// suppression comments are looked for.
    pub fn comments(&self) -> Vec<Span> {
        let mut out = Vec::new();
        if let Some(config) = &self.nginx {
            out.extend(config.tree.comments().map(|c| c.span));
        }
        for config in &self.apache {
            out.extend(config.tree.comments.iter().copied());
        }
        out
    }

    /// Builds what many rules read and each would otherwise build on first use (the
    /// nginx index of upstreams, servers and passes, and the upstream registry), for a
    /// worker to do while the others start on the rules.
    pub fn prepare_shared(&self) {
        if let Some(config) = &self.nginx {
            config.upstream_conflicts();
        }
    }

    /// Number of syntax nodes of every model: how much work the rules have.
    pub fn size(&self) -> usize {
        self.nginx.as_ref().map_or(0, |c| c.tree.nodes.len())
            + self
                .apache
                .iter()
                .map(|c| c.tree.nodes.len())
                .sum::<usize>()
    }
}
