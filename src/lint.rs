//! The lint pipeline, dialect-neutral: the inputs go to their dialect's loader, which
//! reads them into the workspace's one source map; the models are built; the rules run;
//! suppression comments and `exclude` filter the findings; they are ordered and
//! repeats dropped. Reads files only through the dialects' loaders.

use std::path::PathBuf;
use std::sync::Arc;

use crate::Error;
use crate::diagnostic::Diagnostic;
use crate::settings::Settings;
use crate::source::SourceMap;
use crate::workspace::Workspace;

/// One configuration to lint.
#[derive(Debug, Clone)]
pub enum Input {
    File(PathBuf),
    /// A file found in a directory argument: when it cannot be read (a dangling
    /// symlink in sites-enabled/), that is a finding about the directory, as nginx's
    /// `include` of it would fail, not an error that stops the run.
    Found(PathBuf),
    /// Text read from stdin, with the name diagnostics show.
    Text {
        name: String,
        text: Vec<u8>,
    },
}

/// How to read the inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Context every root file is checked in (`http`, `server`...); inferred when `None`.
    pub context: Option<&'static str>,
}

/// Reads the inputs into a workspace and builds the models. An unreadable input file is
/// an error (exit 2); problems inside the configuration are diagnostics.
pub fn load(inputs: &[Input], opts: &LoadOptions, settings: &Settings) -> Result<Workspace, Error> {
    let mut sources = SourceMap::new();
    // Every input is nginx's today; the choice of a dialect per input (content, names,
    // `--dialect`) goes here, each dialect reading its inputs into the same map.
    let nginx = crate::nginx::loader::read(&mut sources, inputs, opts, settings)?;
    let sources = Arc::new(sources);
    let mut ws = Workspace::new(Arc::clone(&sources));
    ws.nginx = Some(nginx.model(sources));
    Ok(ws)
}

/// Runs the rules, filters their findings (suppression comments, `exclude`) and orders
/// them by file and position, dropping repeats (a file included twice reports the same
/// problem once per inclusion only when the inclusions differ).
pub fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let found = crate::rules::run(ws, settings);
    let mut diags = crate::suppress::filter(ws, settings, found);
    let key = |d: &Diagnostic| {
        d.span.map(|s| {
            let f = ws.sources.get(s.file);
            (f.name.clone(), s.start, s.end)
        })
    };
    diags.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.code.cmp(b.code)));
    diags.dedup_by(|a, b| key(a) == key(b) && a.code == b.code && a.message == b.message);
    diags
}
