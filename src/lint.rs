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
    Ok(model(read(inputs, settings)?, opts, settings))
}

/// The inputs as read: their files and trees, not yet checked against a server version.
pub struct Reading {
    sources: SourceMap,
    nginx: crate::nginx::loader::Read,
}

/// Reads and parses the inputs with their includes (the first half of [`load`]: the
/// version checked against may be settled meanwhile, as `nginx -v` answers).
pub fn read(inputs: &[Input], settings: &Settings) -> Result<Reading, Error> {
    let mut sources = SourceMap::new();
    // Every input is nginx's today; the choice of a dialect per input (content, names,
    // `--dialect`) goes here, each dialect reading its inputs into the same map.
    let nginx = crate::nginx::loader::read(&mut sources, inputs, settings)?;
    Ok(Reading { sources, nginx })
}

/// The workspace of what was read, for the server versions of `settings` (the second
/// half of [`load`]).
pub fn model(reading: Reading, opts: &LoadOptions, settings: &Settings) -> Workspace {
    let sources = Arc::new(reading.sources);
    let mut ws = Workspace::new(Arc::clone(&sources));
    ws.nginx = Some(reading.nginx.model(sources, opts, settings));
    ws
}

/// Runs the rules, filters their findings (suppression comments, `exclude`) and orders
/// them by file and position, dropping repeats (a file included twice reports the same
/// problem once per inclusion only when the inclusions differ).
pub fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let mut found = crate::rules::run(ws, settings);
    if let Some(config) = ws.nginx() {
        crate::rules::nginx::ngx007_include_not_found::note_what_may_be_missing(
            config, settings, &mut found,
        );
    }
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
