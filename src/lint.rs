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
use crate::workspace::{Dialect, Workspace};

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
    /// An httpd main configuration found in a directory argument, with the ServerRoot
    /// its layout implies (the directory above `conf/httpd.conf`).
    ApacheMain {
        path: PathBuf,
        server_root: Option<PathBuf>,
    },
}

/// How to read the inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Context every nginx root file is checked in (`http`, `server`...); inferred when
    /// `None`.
    pub context: Option<&'static str>,
    /// The dialect of every input (`--dialect`); else each file's own (src/dialect.rs).
    pub dialect: Option<Dialect>,
    /// How httpd configurations are read: `-d`, `-D`, the snippet context. Its version
    /// is the settings' `[apache] version`.
    pub apache: crate::apache::loader::LoadOptions,
}

/// Reads the inputs into a workspace and builds the models. An unreadable input file is
/// an error (exit 2); problems inside the configuration are diagnostics.
pub fn load(inputs: &[Input], opts: &LoadOptions, settings: &Settings) -> Result<Workspace, Error> {
    Ok(model(
        read(plan(inputs, opts), opts, settings)?,
        opts,
        settings,
    ))
}

/// The inputs as read: their files and trees, not yet checked against a server version.
pub struct Reading {
    sources: SourceMap,
    /// nginx's inputs, when there are any.
    nginx: Option<crate::nginx::loader::Read>,
    apache: Vec<crate::apache::loader::Config>,
}

/// The inputs sorted by dialect ([`crate::dialect`]: from their names and first bytes),
/// before anything is parsed.
pub struct Plan {
    nginx_inputs: Vec<Input>,
    apache_entries: Vec<crate::apache::loader::Entry>,
}

impl Plan {
    /// Whether nginx's loader reads anything: some input is nginx's, or no input is
    /// httpd's (an empty directory gets nginx's "nothing to lint").
    pub fn has_nginx(&self) -> bool {
        !self.nginx_inputs.is_empty() || self.apache_entries.is_empty()
    }

    /// Whether the nginx inputs (their includes not counted) hold at least `bytes`: how
    /// long reading them will take. Stops asking file sizes once there: a directory of
    /// 25,000 virtual hosts is not statted twice.
    pub fn nginx_bytes_reach(&self, bytes: u64) -> bool {
        let mut total = 0;
        self.nginx_inputs.iter().any(|input| {
            total += match input {
                Input::File(path) | Input::Found(path) => {
                    std::fs::metadata(path).map_or(0, |m| m.len())
                }
                Input::Text { text, .. } => text.len() as u64,
                Input::ApacheMain { .. } => 0,
            };
            total >= bytes
        })
    }
}

/// Sorts the inputs by dialect (the first step of [`load`]: the CLI asks the installed
/// nginx for its version only when there is an nginx configuration to check).
pub fn plan(inputs: &[Input], opts: &LoadOptions) -> Plan {
    let (mut nginx_inputs, mut apache_entries) = (Vec::new(), Vec::new());
    let mut snippets = Vec::new();
    for input in inputs {
        match apache_entry(input, opts.dialect) {
            None => nginx_inputs.push(input.clone()),
            Some(ApacheInput::Entry(entry)) => apache_entries.push(entry),
            Some(ApacheInput::Snippet(path)) => snippets.push(path),
        }
    }
    if !snippets.is_empty() {
        apache_entries.push(crate::apache::loader::Entry::Snippets(snippets));
    }
    Plan {
        nginx_inputs,
        apache_entries,
    }
}

/// Reads and parses the inputs with their includes (the second step of [`load`]: the
/// version checked against may be settled meanwhile, as `nginx -v` answers). Each
/// input goes to its dialect's loader, all into one source map.
pub fn read(plan: Plan, opts: &LoadOptions, settings: &Settings) -> Result<Reading, Error> {
    let mut sources = SourceMap::new();
    let Plan {
        nginx_inputs,
        apache_entries,
    } = plan;
    let nginx = if nginx_inputs.is_empty() && !apache_entries.is_empty() {
        // httpd configurations alone: the allocator settings its reader runs fastest with.
        crate::memory::for_apache();
        None
    } else {
        Some(crate::nginx::loader::read(
            &mut sources,
            &nginx_inputs,
            settings,
        )?)
    };
    let apache_opts = crate::apache::loader::LoadOptions {
        version: settings.apache_version,
        ..opts.apache.clone()
    };
    let mut apache = Vec::new();
    for entry in &apache_entries {
        let config =
            crate::apache::loader::load(&crate::vfs::Disk, &mut sources, entry, &apache_opts)
                .map_err(|e| {
                    Error::Input(format!(
                        "{}: {}",
                        crate::source::display_name(&e.path),
                        e.message
                    ))
                })?;
        apache.push(config);
    }
    Ok(Reading {
        sources,
        nginx,
        apache,
    })
}

/// How an input reaches httpd's loader.
enum ApacheInput {
    Entry(crate::apache::loader::Entry),
    /// A file read on its own, with the other snippets: one configuration.
    Snippet(PathBuf),
}

/// The Apache entry of an input, or `None` when the input is nginx's.
fn apache_entry(input: &Input, forced: Option<Dialect>) -> Option<ApacheInput> {
    use crate::apache::loader::{Entry, is_main};
    let sniff = |path: &std::path::Path| {
        // Forced or named nginx's (nginx.conf, a file of /etc/nginx): not read twice.
        if forced.or_else(|| crate::dialect::by_name(path)) == Some(Dialect::Nginx) {
            return None;
        }
        // Else the first bytes decide; an unreadable file goes to nginx's loader, whose
        // error names it as before.
        let mut head = Vec::new();
        let read = std::fs::File::open(path).and_then(|f| {
            std::io::Read::read_to_end(
                &mut std::io::Read::take(f, crate::dialect::SNIFF_BYTES as u64),
                &mut head,
            )
        });
        (read.is_ok() || forced.is_some())
            .then(|| crate::dialect::of(path, &head, forced))
            .filter(|d| *d == Dialect::Apache)
            .map(|_| head)
    };
    // httpd resolves everything against an absolute ServerRoot: relative arguments
    // (`proxylint fixtures/demo/apache`) are made absolute first.
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    match input {
        Input::ApacheMain { path, server_root } => Some(ApacheInput::Entry(Entry::Main {
            path: absolute(path),
            server_root: server_root.as_ref().map(absolute),
        })),
        Input::File(path) | Input::Found(path) => {
            let head = sniff(path)?;
            Some(if is_main(path, &head) {
                ApacheInput::Entry(Entry::Main {
                    path: absolute(path),
                    server_root: None,
                })
            } else {
                ApacheInput::Snippet(absolute(path))
            })
        }
        Input::Text { name, text } => {
            (crate::dialect::of(std::path::Path::new(name), text, forced) == Dialect::Apache).then(
                || {
                    ApacheInput::Entry(Entry::Text {
                        name: name.clone(),
                        text: text.clone(),
                    })
                },
            )
        }
    }
}

/// The workspace of what was read, for the server versions of `settings` (the second
/// half of [`load`]).
pub fn model(reading: Reading, opts: &LoadOptions, settings: &Settings) -> Workspace {
    let sources = Arc::new(reading.sources);
    let mut ws = Workspace::new(Arc::clone(&sources));
    ws.nginx = reading
        .nginx
        .map(|read| read.model(sources, opts, settings));
    ws.apache = reading.apache;
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
