//! Command-line interface: argument definitions and dispatch to the library.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::Error;
use crate::diagnostic::Severity;
use crate::lint::{self, Input, LoadOptions};
use crate::nginx::grammar::Version;
use crate::printer::{self, Format, Report};
use crate::settings::Settings;

/// Where nginx keeps its main configuration on Linux distributions.
const DEFAULT_CONFIG: &str = "/etc/nginx/nginx.conf";

/// Lint nginx configurations for what makes a reverse proxy answer 502/503/504, and read
/// error logs to tell why it did.
#[derive(Debug, Parser)]
#[command(name = "proxylint", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Group the upstream failures of nginx/Apache error logs by cause.
    Logs(crate::logs::LogsArgs),
    /// List every rule: code, name, default severity, summary.
    Rules,
    /// Print a rule's documentation.
    Rule {
        /// Rule code (NGX102) or name (proxy-timeout-too-low).
        code: String,
    },
}

/// Arguments of the default command: lint configuration files.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Files or directories to lint (a directory: its nginx.conf, else every *.conf no
    /// other includes); `-` reads stdin. Default: /etc/nginx/nginx.conf.
    pub paths: Vec<String>,

    /// Name shown for stdin in diagnostics (also where its relative includes resolve).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// nginx's -p: relative PATHs resolve against this prefix, as `nginx -p DIR -c PATH`.
    #[arg(short = 'p', long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,

    /// Check files as if included in this context: main, http, server, location,
    /// upstream, if, limit_except, events, stream, stream-server, stream-upstream, mail,
    /// mail-server (default: inferred from each file's content).
    #[arg(long, value_name = "CONTEXT", value_parser = parse_context)]
    pub context: Option<&'static str>,

    /// nginx version to check against: which directives exist, which defaults apply.
    #[arg(long, value_name = "X.Y.Z", default_value_t = crate::nginx::grammar::DEFAULT_VERSION)]
    pub nginx_version: Version,

    /// Accept NGINX Plus directives.
    #[arg(long)]
    pub plus: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    pub format: Format,

    /// Exit with 1 when a finding has at least this severity.
    #[arg(long, value_name = "LEVEL", default_value = "warning", value_parser = parse_severity)]
    pub fail_level: Severity,
}

fn parse_context(s: &str) -> Result<&'static str, String> {
    lint::parse_context(s).ok_or_else(|| format!("unknown context \"{s}\""))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// Runs the parsed command line and returns the exit code.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Some(Command::Logs(args)) => crate::logs::run(&args),
        Some(Command::Rules) => {
            for rule in crate::rules::all() {
                println!(
                    "{}  {:<34} {:<8} {}",
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    rule.summary()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Rule { code }) => {
            let rule = crate::rules::find(&code).ok_or_else(|| {
                Error::Usage(format!("no rule \"{code}\" (see `proxylint rules`)"))
            })?;
            println!(
                "# {} {} ({})\n\n{}",
                rule.code,
                rule.name,
                rule.severity.as_str(),
                rule.doc()
            );
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
        paths.push(DEFAULT_CONFIG.to_string());
    }
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
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
            Some(prefix) if Path::new(&p).is_relative() => prefix.join(&p),
            _ => PathBuf::from(&p),
        };
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            out.extend(
                lint::entry_points(&path, settings)?
                    .into_iter()
                    .map(Input::File),
            );
        } else {
            out.push(Input::File(path));
        }
    }
    Ok(out)
}

fn run_lint(args: &LintArgs) -> Result<ExitCode, Error> {
    let settings = Settings {
        nginx_version: args.nginx_version,
        plus: args.plus,
        ..Settings::default()
    };
    let inputs = inputs(args, &settings)?;
    let options = LoadOptions {
        context: args.context,
    };
    let config = lint::load(&inputs, &options, &settings)?;
    let diagnostics = lint::check(&config, &settings);
    let stdout = std::io::stdout();
    let report = Report {
        sources: &config.sources,
        diagnostics: &diagnostics,
        files: config.sources.len(),
        color: stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = stdout.lock();
    printer::print(args.format, &report, &mut out)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            path: PathBuf::from("<stdout>"),
            source,
        })?;
    let failing = diagnostics.iter().any(|d| d.severity >= args.fail_level);
    // The process ends here: freeing a large model would only cost time.
    std::mem::forget(config);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
