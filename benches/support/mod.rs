//! What the configuration benches share: medians, and a command's time and peak memory
//! measured as users see them (a child process, start to exit; the peak RSS of one more
//! run under `/usr/bin/time -f %M`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// `program` as a command; under `/usr/bin/time` writing its peak RSS to `rss` when
/// given.
pub fn command(program: &str, rss: Option<&Path>) -> Command {
    match rss {
        None => Command::new(program),
        Some(report) => {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "%M", "-o"]).arg(report).arg(program);
            c
        }
    }
}

/// What [`measure`] found.
pub struct Measured {
    /// Median wall time, start to exit.
    pub time: Duration,
    /// Whether every exit code was one `ok` accepts.
    pub ok: bool,
    /// Peak RSS in MiB (NaN when `/usr/bin/time` is missing).
    pub rss: f64,
}

/// Runs the command `make` builds (see [`command`]) `runs` times, then once more for its
/// peak RSS; `scratch` holds time's report.
pub fn measure(
    make: &dyn Fn(Option<&Path>) -> Command,
    runs: usize,
    ok: &dyn Fn(Option<i32>) -> bool,
    scratch: &Path,
) -> Measured {
    let mut one = measure_interleaved(&[(make, ok)], runs, scratch);
    one.remove(0)
}

/// A command to compare (see [`command`]) and the exit codes it may end with.
pub type Compared<'a> = (
    &'a dyn Fn(Option<&Path>) -> Command,
    &'a dyn Fn(Option<i32>) -> bool,
);

/// [`measure`] for commands compared with each other: `rounds` rounds, each running
/// every command once (the order rotated each round), so that the machine's drift
/// during the measurement (large on a shared VM) weighs on all of them alike.
pub fn measure_interleaved(commands: &[Compared], rounds: usize, scratch: &Path) -> Vec<Measured> {
    let mut samples = vec![Vec::new(); commands.len()];
    let mut all_ok = vec![true; commands.len()];
    for round in 0..rounds {
        for k in 0..commands.len() {
            let i = (round + k) % commands.len();
            let (make, ok) = commands[i];
            let start = Instant::now();
            let out = make(None).output().unwrap();
            samples[i].push(start.elapsed());
            all_ok[i] &= ok(out.status.code());
        }
    }
    let report = scratch.join("peak-rss");
    commands
        .iter()
        .zip(samples)
        .zip(all_ok)
        .map(|(((make, _), samples), ok)| {
            let rss = make(Some(&report))
                .output()
                .ok()
                .and_then(|_| std::fs::read_to_string(&report).ok())
                .and_then(|s| s.lines().last()?.trim().parse::<f64>().ok())
                .map_or(f64::NAN, |kib| kib / 1024.0);
            Measured {
                time: median(samples),
                ok,
                rss,
            }
        })
        .collect()
}
