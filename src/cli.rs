//! Command-line interface: argument definitions and dispatch to the library.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::Error;
use crate::diagnostic::Diagnostic;
use crate::lint::{self, Input, LoadOptions};
use crate::nginx::grammar::Version;
use crate::printer::{self, Format, Report};
use crate::settings::{self, Settings};
use crate::workspace::Dialect;

/// Where nginx keeps its main configuration on Linux distributions.
const DEFAULT_CONFIG: &str = "/etc/nginx/nginx.conf";

/// Shown after the options of `proxylint --help`.
const AFTER_HELP: &str = "\
Configuration:
  proxylint.toml, searched upward from the first linted file's directory (or given
  with --config-file; --isolated ignores it). Keys: fail-level (or \"none\"),
  select, ignore, exclude (globs relative to the file), [nginx] version, plus,
  modules (also top-level nginx-version, plus, modules), [apache] version,
  [rules] CODE = \"error\" | \"warning\" | \"info\" | \"off\", [thresholds] min-read-timeout, min-connect-timeout,
  max-connect-timeout, min-buffer-size, min-worker-connections, http-ports, tls-ports,
  fastcgi-ports, backends = [\"unix:/run/php/php8.2-fpm.sock\", \"127.0.0.1:3000\"],
  [include] roots = { \"/etc/nginx\" = \"./nginx\" } (where absolute includes are read
  from, relative to the file).
  Flags override the file; --ignore and --backend add to its lists.

Suppressing findings (comments in the nginx configuration):
  proxy_read_timeout 5s;  # proxylint: disable=NGX102   this line
  # proxylint: disable=NGX102,NGX103                    the line below
  # proxylint: disable-file=NGX109                      the whole file
  `all` stands for every code. NGX001 (syntax errors) cannot be suppressed, ignored
  or downgraded. A suppression that suppresses nothing is reported (PXL001).

Which nginx: --nginx-version, else proxylint.toml's nginx-version, else what `nginx -v`
says (PROXYLINT_NGINX=PATH names the binary, PROXYLINT_NGINX=none skips it), else the
current stable; the summary line says which.

Exit codes: 0 no finding at or above the fail level (--exit-zero: always), 1 findings,
2 usage, I/O or configuration error, or a rule that crashed (PXL002).";

/// Lint nginx configurations for what makes a reverse proxy answer 502/503/504, and read
/// error logs to tell why it did.
#[derive(Debug, Parser)]
#[command(
    name = "proxylint",
    version,
    args_conflicts_with_subcommands = true,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Group the upstream failures of nginx/Apache error logs by cause.
    Logs(Box<crate::logs::LogsArgs>),
    /// List every rule: code, name, default severity, summary.
    Rules,
    /// Print a rule's documentation.
    Rule {
        /// Rule code (NGX102) or name (proxy-timeout-too-low).
        code: String,
    },
    /// Print a shell completion script (e.g. `proxylint completions bash >
    /// /etc/bash_completion.d/proxylint`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `proxylint manpage > proxylint.1`.
    Manpage,
}

/// Arguments of the default command: lint configuration files.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint (a directory: its nginx.conf, else every *.conf no
    /// other includes); `-` reads stdin. Default: /etc/nginx/nginx.conf. Any bytes:
    /// a path that is not UTF-8 is read as nginx would.
    pub paths: Vec<PathBuf>,

    /// Name shown for stdin in diagnostics (also where its relative includes resolve).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// nginx's -p, httpd's -d: relative PATHs resolve against this prefix, as `nginx -p
    /// DIR -c PATH`; for httpd it is the ServerRoot (else the `ServerRoot` directive,
    /// else the main file's directory).
    #[arg(short = 'p', long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,

    /// Check files as if included in this context. nginx: main, http, server, location,
    /// upstream, if, limit_except, events, stream, stream-server, stream-upstream, mail,
    /// mail-server; httpd: server-config, virtualhost, directory (default: inferred from
    /// each file's content).
    #[arg(long, value_name = "CONTEXT", value_parser = parse_context)]
    pub context: Option<String>,

    /// Read every input as this server's configuration: nginx or apache (default: each
    /// file's name and content decide: apache2.conf, httpd.conf and `<Section>` lines
    /// are httpd's).
    #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,

    /// httpd's -D: define NAME for `<IfDefine>`, and with `=VALUE` also `${NAME}` as
    /// `Define NAME VALUE` does. Repeatable.
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    pub defines: Vec<String>,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    pub format: Format,

    /// Exit with 1 when a finding has at least this severity: error, warning, info, or
    /// none (never) [default: warning; proxylint.toml: fail-level].
    #[arg(long, value_name = "LEVEL")]
    pub fail_level: Option<settings::FailLevel>,

    /// Exit with 0 whatever the findings (as `--fail-level none`); usage, I/O and
    /// internal errors still exit with 2.
    #[arg(long, conflicts_with = "fail_level")]
    pub exit_zero: bool,

    /// Print how many findings each rule has, most first, instead of the findings
    /// (full and concise formats).
    #[arg(long)]
    pub statistics: bool,

    /// Run only these rules: comma-separated codes or prefixes (NGX1) [replaces
    /// proxylint.toml's select]. NGX001 always runs.
    #[arg(long, value_name = "CODES", value_delimiter = ',', value_parser = settings::parse_selector)]
    pub select: Option<Vec<String>>,

    /// Do not run these rules: comma-separated codes or prefixes [added to
    /// proxylint.toml's ignore]. NGX001 cannot be ignored.
    #[arg(long, value_name = "CODES", value_delimiter = ',', value_parser = settings::parse_ignored)]
    pub ignore: Option<Vec<String>>,

    /// An address a backend listens on (`unix:/run/php/php8.2-fpm.sock`,
    /// `127.0.0.1:3000`); repeatable, adds to proxylint.toml's backends. Passes to other
    /// ports or sockets are reported (NGX101, NGX107).
    #[arg(long, value_name = "ADDR", value_parser = settings::parse_backend)]
    pub backend: Vec<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How a configuration is read, for linting and for `logs --config`: the server's
/// version and modules, and which proxylint.toml applies.
#[derive(Debug, Default, clap::Args)]
pub struct ReadArgs {
    /// nginx version to check against: which directives exist, which defaults apply
    /// (1.18.0 to 1.31.x) [default: what `nginx -v` says (the binary named by
    /// $PROXYLINT_NGINX, else nginx on PATH), else the current stable release;
    /// proxylint.toml: nginx-version].
    #[arg(long, value_name = "X.Y.Z", value_parser = crate::nginx::grammar::parse_supported)]
    pub nginx_version: Option<Version>,

    /// httpd version Apache configurations are checked against (`<IfVersion>`, which
    /// directives exist) [default: the current 2.4 release; proxylint.toml: [apache]
    /// version].
    #[arg(long, value_name = "X.Y.Z", value_parser = crate::apache::grammar::parse_version)]
    pub apache_version: Option<Version>,

    /// Accept NGINX Plus directives [proxylint.toml: plus].
    #[arg(long)]
    pub plus: bool,

    /// Third-party modules the nginx you deploy to has besides what `load_module` loads
    /// (built in, as in OpenResty): comma-separated names (`headers-more-filter`, `lua`,
    /// `ngx_http_echo_module`, `none`). Their directives are accepted; those of other
    /// third-party modules not loaded are unknown directives [replaces proxylint.toml's
    /// modules].
    #[arg(long, value_name = "NAMES", value_delimiter = ',', value_parser = settings::parse_module)]
    pub modules: Option<Vec<Vec<&'static str>>>,

    /// Read included files of absolute path FROM (as the configuration names them) from
    /// TO: `--include-root /etc/nginx=./nginx` lints a repository's copy. Repeatable;
    /// adds to (and for the same FROM replaces) proxylint.toml's [include] roots.
    #[arg(long, value_name = "FROM=TO", value_parser = settings::parse_include_root)]
    pub include_root: Vec<settings::IncludeRoot>,

    /// Read settings from this file instead of the proxylint.toml found upward from the
    /// first linted file.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config_file: Option<PathBuf>,

    /// Ignore every proxylint.toml: defaults and flags only.
    #[arg(long)]
    pub isolated: bool,
}

impl ReadArgs {
    /// Defaults, then the proxylint.toml that applies (`--config-file`, else the one
    /// found upward from `start`, none with `--isolated`), then these flags: the one way
    /// every command finds its settings.
    pub fn settings(&self, start: &Path) -> Result<Settings, Error> {
        let file = if self.isolated {
            None
        } else if let Some(path) = &self.config_file {
            Some(path.clone())
        } else {
            settings::discover(start)
        };
        let mut settings = match &file {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        if let Some(version) = self.nginx_version {
            settings.nginx_version = version;
            settings.nginx_version_from = settings::VersionSource::Option;
        }
        if let Some(version) = self.apache_version {
            settings.apache_version = version;
            settings.apache_version_from = settings::VersionSource::Option;
        }
        settings.plus |= self.plus;
        if let Some(modules) = &self.modules {
            settings.modules = Some(modules.concat());
        }
        for root in &self.include_root {
            settings.include_roots.retain(|r| r.from != root.from);
            settings.include_roots.push(root.clone());
        }
        Ok(settings)
    }
}

/// Where and how a report is written, for every command that writes one.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Colors: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1 forces
    /// them), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only the findings: no summary line, nothing at all when there is none.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output_file: Option<PathBuf>,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color output going to a terminal (`terminal`) or elsewhere, with the
    /// NO_COLOR (https://no-color.org) and CLICOLOR_FORCE conventions.
    pub fn enabled(self, terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto => terminal || set("CLICOLOR_FORCE"),
        }
    }
}

impl OutputArgs {
    /// The report's destination (the file, or standard output) and whether it gets
    /// colors.
    pub fn open(&self) -> Result<(Box<dyn Write>, bool), Error> {
        match &self.output_file {
            Some(path) => {
                let file = std::fs::File::create(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok((
                    Box::new(std::io::BufWriter::new(file)),
                    self.color.enabled(false),
                ))
            }
            None => {
                let stdout = std::io::stdout();
                let color = self.color.enabled(stdout.is_terminal());
                Ok((Box::new(stdout.lock()), color))
            }
        }
    }

    /// The name of the destination, for error messages.
    pub fn name(&self) -> PathBuf {
        self.output_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("<stdout>"))
    }
}

/// A context nginx or httpd knows (which one applies is each file's dialect).
fn parse_context(s: &str) -> Result<String, String> {
    if crate::nginx::loader::parse_context(s).is_some()
        || crate::apache::loader::SnippetContext::parse(s).is_some()
    {
        Ok(s.to_string())
    } else {
        Err(format!("unknown context \"{s}\""))
    }
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    match s.to_ascii_lowercase().as_str() {
        "nginx" => Ok(Dialect::Nginx),
        "apache" | "httpd" | "apache2" => Ok(Dialect::Apache),
        _ => Err(format!("unknown dialect \"{s}\" (nginx or apache)")),
    }
}

/// Runs the parsed command line and returns the exit code.
///
/// A closed output (`proxylint rules | head -1`, `proxylint logs ... | head`) ends the
/// run quietly with success, as for other Unix filters: the reader has what it wanted.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match dispatch(cli) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(ExitCode::SUCCESS)
        }
        outcome => outcome,
    }
}

/// An error writing to standard output.
pub(crate) fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Some(Command::Logs(args)) => {
            crate::memory::for_logs();
            crate::logs::run(&args)
        }
        Some(Command::Rules) => {
            let mut out = std::io::stdout().lock();
            for rule in crate::rules::all() {
                writeln!(
                    out,
                    "{}  {:<34} {:<8} {}",
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    rule.summary()
                )
                .map_err(stdout_error)?;
            }
            out.flush().map_err(stdout_error)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Rule { code }) => {
            let rules: Vec<_> = crate::rules::find_all(&code).collect();
            if rules.is_empty() {
                return Err(Error::Usage(format!(
                    "no rule \"{code}\" (see `proxylint rules`)"
                )));
            }
            let mut out = std::io::stdout().lock();
            for (i, rule) in rules.iter().enumerate() {
                writeln!(
                    out,
                    "{}# {} {} ({})\n\n{}",
                    if i > 0 { "\n" } else { "" },
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    rule.doc()
                )
                .map_err(stdout_error)?;
            }
            out.flush().map_err(stdout_error)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            // clap_complete panics when its writer fails: render in memory, write after.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "proxylint", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(stdout_error)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Manpage) => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(stdout_error)?;
            Ok(ExitCode::SUCCESS)
        }
        None => run_lint(&cli.lint),
    }
}

fn inputs(args: &LintArgs, settings: &Settings) -> Result<Vec<Input>, Error> {
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        if !Path::new(DEFAULT_CONFIG).is_file() {
            let mut help = Vec::new();
            let _ = Cli::command().write_help(&mut help);
            return Err(Error::Usage(format!(
                "no PATH given and {DEFAULT_CONFIG} does not exist\n\n{}",
                String::from_utf8_lossy(&help)
            )));
        }
        paths.push(PathBuf::from(DEFAULT_CONFIG));
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut text = Vec::new();
            std::io::stdin()
                .read_to_end(&mut text)
                .map_err(|source| Error::Io {
                    path: PathBuf::from("<stdin>"),
                    source,
                })?;
            let name = args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".to_string());
            out.push(Input::Text { name, text });
            continue;
        }
        let path = match &args.prefix {
            Some(prefix) if p.is_relative() => prefix.join(&p),
            _ => p,
        };
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            out.extend(directory_inputs(&path, args.dialect, settings)?);
        } else {
            out.push(Input::File(path));
        }
    }
    // `exclude`, for entry files: one place for files named and files found (the
    // filter after the rules drops the findings of excluded included files).
    out.retain(|input| {
        let (Input::File(path) | Input::Found(path)) = input else {
            return true;
        };
        if !settings.excluded(path) {
            return true;
        }
        if let Input::File(path) = input {
            eprintln!(
                "proxylint: {} is excluded by the `exclude` setting: not linted",
                crate::source::display_name(path)
            );
        }
        false
    });
    Ok(out)
}

/// The entry points of a directory argument: httpd's main configuration when the
/// directory holds one (`apache2.conf`, `httpd.conf`, `conf/httpd.conf`) or `--dialect
/// apache` says so, else nginx's (its `nginx.conf`, else the files nothing includes).
fn directory_inputs(
    dir: &Path,
    dialect: Option<Dialect>,
    settings: &Settings,
) -> Result<Vec<Input>, Error> {
    use crate::apache::loader::{Entry, discover};
    if dialect != Some(Dialect::Nginx) {
        match discover(&crate::vfs::Disk, dir) {
            Ok(Entry::Main { path, server_root }) => {
                return Ok(vec![Input::ApacheMain { path, server_root }]);
            }
            Ok(Entry::Snippets(paths)) if dialect == Some(Dialect::Apache) => {
                return Ok(paths.into_iter().map(Input::Found).collect());
            }
            Ok(_) => {}
            Err(e) if dialect == Some(Dialect::Apache) => {
                return Err(Error::Input(format!(
                    "{}: {}",
                    crate::source::display_name(&e.path),
                    e.message
                )));
            }
            Err(_) => {}
        }
    }
    let found = crate::nginx::loader::entry_points(dir, &settings.include_roots)?;
    Ok(found.into_iter().map(Input::Found).collect())
}

/// Where the search for proxylint.toml starts: the directory of the first linted file
/// (stdin: of its `--stdin-filename`), or the first linted directory.
fn config_search_start(args: &LintArgs) -> PathBuf {
    let first = match args.paths.first() {
        None => PathBuf::from(DEFAULT_CONFIG),
        Some(p) if p.as_os_str() == "-" => {
            PathBuf::from(args.stdin_filename.as_deref().unwrap_or("<stdin>"))
        }
        Some(p) => match &args.prefix {
            Some(prefix) if p.is_relative() => prefix.join(p),
            _ => p.clone(),
        },
    };
    if first.is_dir() {
        return first;
    }
    match first.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Defaults, then proxylint.toml, then the flags.
fn settings_for(args: &LintArgs) -> Result<Settings, Error> {
    let mut settings = args.read.settings(&config_search_start(args))?;
    if args.exit_zero {
        settings.fail_level = None;
    } else if let Some(settings::FailLevel(level)) = args.fail_level {
        settings.fail_level = level;
    }
    if let Some(select) = &args.select {
        settings.select = select.clone();
    }
    settings.backends.extend(args.backend.iter().cloned());
    if let Some(ignore) = &args.ignore {
        settings.ignore.extend(ignore.iter().cloned());
    }
    Ok(settings)
}

/// 2 when a rule crashed (the configuration was not fully checked: an internal error),
/// else 1 when a finding is at or above the fail level, else 0.
fn exit_code(diagnostics: &[Diagnostic], settings: &Settings) -> ExitCode {
    let crashed = crate::rules::meta::pxl002_rule_panicked::RULE.code;
    if diagnostics.iter().any(|d| d.code == crashed) {
        ExitCode::from(2)
    } else if settings
        .fail_level
        .is_some_and(|level| diagnostics.iter().any(|d| d.severity >= level))
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The server versions the configurations were checked against: each dialect read
/// (nginx's when nothing was).
fn checked(ws: &crate::workspace::Workspace, settings: &Settings) -> Vec<printer::Checked> {
    let mut out = Vec::new();
    if ws.has(Dialect::Nginx) || !ws.has(Dialect::Apache) {
        out.push(printer::Checked::nginx(
            settings.nginx_version,
            Some(&settings.nginx_version_from),
        ));
    }
    if ws.has(Dialect::Apache) {
        out.push(printer::Checked::apache(
            settings.apache_version,
            &settings.apache_version_from,
        ));
    }
    out
}

fn run_lint(args: &LintArgs) -> Result<ExitCode, Error> {
    if args.statistics && !matches!(args.format, Format::Full | Format::Concise) {
        return Err(Error::Usage(
            "--statistics prints a table: use it with --format full or concise".into(),
        ));
    }
    let mut settings = settings_for(args)?;
    let inputs = inputs(args, &settings)?;
    let options = LoadOptions {
        context: args
            .context
            .as_deref()
            .and_then(crate::nginx::loader::parse_context),
        dialect: args.dialect,
        apache: crate::apache::loader::LoadOptions {
            prefix: args.prefix.clone(),
            defines: args.defines.clone(),
            context: args
                .context
                .as_deref()
                .and_then(crate::apache::loader::SnippetContext::parse),
            ..Default::default()
        },
    };
    let plan = lint::plan(&inputs, &options);
    // No version configured and an nginx configuration to check: ask the installed
    // nginx while the files are read (httpd's alone never wait for it).
    let asking = (plan.has_nginx()
        && matches!(
            settings.nginx_version_from,
            settings::VersionSource::Default(_)
        ))
    .then(|| {
        crate::nginx::detect::start(plan.nginx_bytes_reach(crate::nginx::detect::BESIDE_BYTES))
    });
    let read = lint::read(plan, &options, &settings)?;
    if let Some(asking) = asking {
        settings.use_detected(asking.finish());
    }
    let ws = lint::model(read, &options, &settings);
    let diagnostics = lint::check(&ws, &settings);
    let (mut out, color) = args.output.open()?;
    let report = Report {
        color,
        quiet: args.output.quiet,
        checked: checked(&ws, &settings),
        ..Report::new(&ws, &diagnostics)
    };
    let printed = if args.statistics {
        printer::statistics(&report, &mut out)
    } else {
        printer::print(args.format, &report, &mut out)
    };
    match printed.and_then(|()| out.flush()) {
        // A reader that closed the pipe (`| head`) has what it wanted; the verdict
        // still decides the exit code, so `set -o pipefail` gates keep working.
        Err(source) if source.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Error::Io {
                path: args.output.name(),
                source,
            });
        }
        _ => {}
    }
    let code = exit_code(&diagnostics, &settings);
    // The process ends here: freeing a large model would only cost time.
    std::mem::forget(ws);
    Ok(code)
}
