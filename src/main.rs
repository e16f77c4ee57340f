//! The `proxylint` binary: parse arguments, run, map the outcome to an exit code.
//! All work happens in the library; this file only wires them together.

use std::process::ExitCode;

use clap::Parser;

// Linting allocates many small strings and nodes; mimalloc serves them faster than the
// system allocator. mimalloc asks for transparent huge pages: a large configuration's
// tree then faults in 2 MB at a time instead of 4 kB (8,500 page faults, a third of
// linting 50k lines, become 200).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `proxylint logs` keeps little memory for a long time: with huge pages every buffer
/// it touches becomes resident 2 MB at a time (peak RSS 57-65 MB instead of ~20 MB on
/// the 1 GB benchmark logs), so it runs without them.
fn disable_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and touches no memory of ours.
    // Failure (an old kernel) only leaves huge pages on.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's `mi_option_purge_delay` (mimalloc.h's `mi_option_e`, right after
/// `mi_option_eager_commit_delay`, which libmimalloc-sys numbers 14; it exports no
/// constant for this one).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// With both cores, `proxylint logs` makes and frees an analyzer per part of the input on
/// each thread: mimalloc's default 10 ms purge delay kept the freed pages resident while
/// the next part filled new ones (78-88 MB peak RSS on a log of all-distinct lines, against
/// a 31 MB live heap). Purging after 1 ms brings it to 52-56 MB at no measurable cost
/// (0 ms: the same memory, 20% slower).
fn purge_freed_memory_sooner() {
    // SAFETY: sets one integer option of the allocator; any value is valid.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1);
    }
}

fn main() -> ExitCode {
    let cli = proxylint::cli::Cli::parse();
    if matches!(cli.command, Some(proxylint::cli::Command::Logs(_))) {
        disable_huge_pages();
        purge_freed_memory_sooner();
    }
    match proxylint::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Paths in errors come from the command line or a configuration: any bytes.
            let err = err.to_string();
            eprintln!("proxylint: error: {}", proxylint::source::printable(&err));
            ExitCode::from(2)
        }
    }
}
