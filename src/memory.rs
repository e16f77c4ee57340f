//! How the process uses memory: the allocator settings each kind of work runs with.
//! `src/main.rs` applies [`at_start`] before the runtime's first allocation (a
//! constructor in `.init_array`), the benches that time work in-process first thing;
//! [`crate::lint::read`] applies [`for_apache`] when it reads httpd configurations
//! alone, `crate::cli` [`for_logs`] before it reads logs. Touches no data of the crate.
//!
//! mimalloc by default asks for transparent huge pages and keeps freed memory for
//! 10 ms. What that costs and buys, measured on the benchmarks (`benches/`) as peak RSS
//! and start-to-exit time:
//!
//! | work | mimalloc's defaults | no huge pages, purge after 1 ms |
//! |---|---|---|
//! | nginx, 70,006 lines | 70 MB, 41 ms | 36 MB, 42-46 ms |
//! | httpd, 5,000 virtual hosts | 48 MB, 34 ms | 38 MB, 54 ms |
//! | logs, 1 GB | 57-65 MB | ~20 MB, same time |
//!
//! nginx's model is large and its rules run on both cores, which free each other's
//! memory: huge pages double its peak for little time. Returning freed memory after
//! 1 ms, chosen with them, later cost more than it saved: once the tree and model had
//! shrunk, it saved 1.2 MB of peak RSS (31.1 against 32.3 MB) for 0.3-1.3 ms of madvise
//! calls and page faults (31.6 against 31.3 ms and 29.5 against 28.2 ms in two runs of
//! 100-150 rounds interleaved; 4,600 against 4,300-4,400 page faults), so configurations
//! keep freed memory 100 ms. httpd's reader runs on one core and frees and refills
//! memory as it reads: each purge is paid again in page faults, so httpd configurations
//! also get huge pages back (set after start, the defaults gave 42 ms and 45 MB: the
//! first buffers were placed without them; keeping freed memory 100 ms instead of 10
//! then took the 5,000 virtual hosts from 34.3-35.6 to 32.1-34.4 ms, alternated three
//! times, at the same peak RSS, 37-45 MB, as the second pass and the proxy model, built
//! side by side, reuse what reading freed instead of zeroing fresh pages). `proxylint
//! logs` makes and frees an analyzer per part of the input on each thread: it returns
//! freed memory after 1 ms.

/// Settings at start, before any work, as configurations want them: no huge pages
/// (set later, after the first buffers, they saved 5 MB less on nginx's), freed memory
/// kept 100 ms.
pub fn at_start() {
    huge_pages(false);
    purge_delay_ms(100);
}

/// Settings for reading and checking httpd configurations alone: huge pages back.
pub fn for_apache() {
    huge_pages(true);
}

/// Settings for reading logs: freed memory returned after 1 ms.
pub fn for_logs() {
    purge_delay_ms(1);
}

/// Whether mimalloc's request for transparent huge pages is honoured: with them, every
/// buffer it touches becomes resident 2 MB at a time.
fn huge_pages(allowed: bool) {
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and touches no memory of ours.
    // Failure (an old kernel) only leaves the setting as it was.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            libc::c_ulong::from(!allowed),
            0,
            0,
            0,
        );
    }
}

/// mimalloc's `mi_option_purge_delay` (mimalloc.h's `mi_option_e`, right after
/// `mi_option_eager_commit_delay`, which libmimalloc-sys numbers 14; it exports no
/// constant for this one).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays resident before mimalloc returns it (default 10 ms).
/// `proxylint logs` makes and frees an analyzer per part of the input on each thread
/// (78-88 MB peak RSS on a log of all-distinct lines, against a 31 MB live heap: 52-56 MB
/// after 1 ms); nginx's rules free each other's temporaries (41 MB, 36 MB after 1 ms,
/// before the tree and model shrank: 32.3 and 31.1 MB since). 0 ms costs 20% more time
/// for the same memory.
fn purge_delay_ms(ms: std::ffi::c_long) {
    // SAFETY: sets one integer option of the allocator; any value is valid (an
    // allocator other than mimalloc ignores it: the option is mimalloc's own global).
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms);
    }
}
