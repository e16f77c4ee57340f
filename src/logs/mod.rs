//! `proxylint logs`: read nginx and Apache error logs and group upstream failures by cause.
//!
//! ```text
//! reader (files, globs, dirs, stdin, .gz; bounded lines) ─► record (nginx / Apache 2.2 / 2.4)
//!   ─► classify (grammars/logs/catalogue.tsv) ─► correlate (requests) ─► report (clusters)
//!   └► template (Drain-style miner for lines no cause matches)
//! ```
//! This module wires the stages: arguments into [`Options`], input order, one pipeline
//! (`entries`: the reader stage, `--follow`; `analyze::Analyzer::push`: the analysis
//! stage; a `sink::Sink` for records as they come) or several on both cores (`parallel`),
//! and the choice of printer for the report. The analysis stages do no I/O.

pub mod advice;
pub mod analyze;
pub mod catalogue;
pub mod classify;
pub mod config;
mod config_apache;
pub mod correlate;
mod entries;
mod parallel;
pub mod print_json;
pub mod print_text;
pub mod reader;
pub mod record;
pub mod report;
pub mod sink;
pub mod template;
mod text;
mod timearg;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analyze::Analyzer;
use entries::{FileNotes, RunError};
use reader::{Input, LineReader};

use crate::Error;

/// Output format of `proxylint logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Ranked summary for people.
    Text,
    /// One JSON document: clusters, templates, totals.
    Json,
    /// One JSON object per input record, in input order.
    Ndjson,
}

/// Arguments of `proxylint logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Log files, directories (their *error* files) or globs; `-` reads stdin. Gzip is
    /// detected by content. Several files are read oldest first.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit 1 when any of these causes (comma-separated ids, or `any`) appears.
    #[arg(long, value_delimiter = ',', value_name = "CAUSE,...")]
    pub fail_on: Vec<String>,
    /// Only records at or after this time: `2024-05-01T12:00:00`, `2024-05-01`, RFC 3339,
    /// or a duration ago (`90m`, `2h`, `7d`). Log times are compared as written.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Keep reading the newest input as it grows, reopening it when it is rotated.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Map clusters to an nginx configuration (location, *_pass line, effective timeouts).
    #[arg(long, value_name = "NGINX_CONF")]
    pub config: Option<PathBuf>,
    /// How `--config` is read (as `proxylint NGINX_CONF` reads it).
    #[command(flatten)]
    pub read: crate::cli::ReadArgs,
    #[command(flatten)]
    pub output: crate::cli::OutputArgs,
    /// Worker threads for --format text/json (default: the number of cores). ndjson and
    /// --follow always use one, to keep input order.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Smallest byte range of one file given to a thread (tests lower it).
    #[arg(long, default_value_t = parallel::MIN_CHUNK, value_name = "BYTES", hide = true)]
    pub chunk_bytes: u64,
    /// Lines longer than this many bytes are cut (the rest is skipped and counted).
    #[arg(long, default_value_t = reader::DEFAULT_MAX_LINE, value_name = "BYTES", hide = true)]
    pub max_line: usize,
}

/// Inputs larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 32 * 1024 * 1024;

/// What the analysis of a run needs, read from the command line once (the stages take
/// this, never clap's arguments).
#[derive(Debug, Clone)]
pub struct Options {
    pub format: OutputFormat,
    /// Keep reading the last input as it grows.
    pub follow: bool,
    /// Lines longer than this are cut.
    pub max_line: usize,
    /// Worker threads for the summary formats.
    pub threads: usize,
    /// Smallest byte range of one file given to a thread.
    pub chunk_bytes: u64,
    /// Only records in [since, until) are analysed.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Options {
    fn from_args(args: &LogsArgs) -> Result<Options, Error> {
        if args.follow && args.format == OutputFormat::Json {
            return Err(Error::Usage(
                "--follow streams records: use --format ndjson or text".into(),
            ));
        }
        if args.max_line < 256 {
            return Err(Error::Usage("--max-line must be at least 256".into()));
        }
        let now = chrono::Local::now().naive_local();
        let time = |flag: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|s| timearg::parse(s, now).map_err(|e| Error::Usage(format!("{flag}: {e}"))))
                .transpose()
        };
        Ok(Options {
            format: args.format,
            follow: args.follow,
            max_line: args.max_line,
            threads: args.threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            }),
            chunk_bytes: args.chunk_bytes.max(4096),
            since: time("--since", &args.since)?,
            until: time("--until", &args.until)?,
        })
    }
}

/// Runs the log analysis and returns the process exit code.
pub fn run(args: &LogsArgs) -> Result<ExitCode, Error> {
    let config = args
        .config
        .as_deref()
        .map(|path| {
            let start = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            config::load(path, &args.read.settings(start)?)
        })
        .transpose()?;
    let opts = Options::from_args(args)?;
    let fail_on = fail_on_ids(&args.fail_on)?;

    let (inputs, problems) = reader::expand(&args.paths);
    let mut io_failed = !problems.is_empty();
    for p in &problems {
        warn(p);
    }
    if inputs.is_empty() {
        return Err(Error::Input("no input to read".into()));
    }
    let inputs = oldest_first(inputs);

    let (out, color) = args.output.open()?;
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let style = print_text::Style {
        color,
        quiet: args.output.quiet,
    };
    let progress = progress_bar(&inputs);
    let sequential = opts.format == OutputFormat::Ndjson || opts.follow || opts.threads < 2;
    let mut report = if sequential {
        let mut analyzer = Analyzer::new(opts.since, opts.until, 1);
        let last = inputs.len() - 1;
        for (i, input) in inputs.iter().enumerate() {
            let mut sink: Box<dyn sink::Sink> = match opts.format {
                OutputFormat::Ndjson => Box::new(sink::Ndjson(&mut out)),
                OutputFormat::Text if opts.follow => Box::new(sink::FollowText(&mut out)),
                _ => Box::new(sink::Discard),
            };
            let follow = opts.follow && i == last;
            let read = entries::read_input(
                i as u32,
                input,
                opts.max_line,
                follow,
                &mut analyzer,
                &mut *sink,
                progress.as_ref(),
            );
            match read {
                Ok(()) => {}
                Err(RunError::Output(e)) => return Err(crate::cli::stdout_error(e)),
                Err(RunError::Input(msg)) => {
                    io_failed = true;
                    analyzer.totals.unreadable_files += 1;
                    warn(&msg);
                }
            }
        }
        analyzer.finish()
    } else {
        let units = parallel::plan(&inputs, opts.threads, opts.chunk_bytes);
        let mut merged = report::Merger::default();
        let mut notes: Vec<FileNotes> = inputs.iter().map(|_| FileNotes::default()).collect();
        let mut line_offset = vec![0u64; inputs.len()];
        parallel::run(&opts, &inputs, &units, progress.as_ref(), |unit, mut d| {
            // Units count lines from 1: shift to the line numbers of the whole file.
            let offset = line_offset[unit.input];
            d.report.shift_lines(offset);
            line_offset[unit.input] += d.lines;
            notes[unit.input].absorb(d.notes, offset);
            if let Some(msg) = d.error {
                io_failed = true;
                warn(&msg);
            }
            merged.add(d.report);
        });
        for (input, n) in inputs.iter().zip(&notes) {
            n.report(input, opts.max_line);
        }
        merged.finish()
    };
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    if report.totals.records == 0 && report.totals.filtered_out > 0 {
        warn(&format!(
            "no record in the --since/--until window: {} record(s) outside it were filtered out",
            report.totals.filtered_out
        ));
    }
    report.finish();
    let cat = catalogue::Catalogue::get();
    let written = match opts.format {
        OutputFormat::Text if !opts.follow => {
            print_text::write_report(&mut out, &report, cat, config.as_deref(), style)
        }
        OutputFormat::Json => print_json::write_report(&mut out, &report, cat, config.as_deref()),
        _ => Ok(()),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        return Err(crate::cli::stdout_error(e));
    }
    if io_failed && report.totals.lines == 0 && report.totals.files == 0 {
        return Err(Error::Input("no input could be read".into()));
    }
    let failed = report
        .clusters
        .iter()
        .any(|c| fail_on.iter().any(|f| f.is_none_or(|id| id == c.cause)));
    Ok(if io_failed {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn warn(msg: &str) {
    eprintln!("proxylint: warning: {msg}");
}

/// `--fail-on` ids; `None` in the list stands for `any`.
fn fail_on_ids(names: &[String]) -> Result<Vec<Option<catalogue::CauseId>>, Error> {
    let cat = catalogue::Catalogue::get();
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| {
            if n == "any" {
                return Ok(None);
            }
            cat.cause_id(n).map(Some).ok_or_else(|| {
                let ids: Vec<&str> = cat.causes.iter().map(|c| c.id.as_str()).collect();
                Error::Usage(format!(
                    "--fail-on: unknown cause `{n}` (known: any, {})",
                    ids.join(", ")
                ))
            })
        })
        .collect()
}

/// Orders inputs by the time of their first record, so rotated files (`error.log.2.gz`,
/// `error.log.1`, `error.log`) are read oldest first; inputs without a readable time keep
/// their command-line order, first.
fn oldest_first(inputs: Vec<Input>) -> Vec<Input> {
    if inputs.len() < 2 {
        return inputs;
    }
    let mut keyed: Vec<(Option<i64>, usize, Input)> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| (first_time(&input), i, input))
        .collect();
    keyed.sort_by_key(|(t, i, _)| (*t, *i));
    keyed.into_iter().map(|(_, _, input)| input).collect()
}

/// Time of the first timestamped record among the first lines of a file (never stdin,
/// which cannot be read twice).
fn first_time(input: &Input) -> Option<i64> {
    input.path.as_ref()?;
    let r = reader::open(input, None).ok()?;
    let mut lines = LineReader::new(r, 4096, false);
    for _ in 0..64 {
        let line = lines.next_line().ok()??;
        let text = String::from_utf8_lossy(line.bytes);
        if let Some(t) = record::parse(&text).time {
            return Some(t);
        }
    }
    None
}

fn progress_bar(inputs: &[Input]) -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|i| i.path.as_ref())
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    if total < PROGRESS_MIN_BYTES {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
