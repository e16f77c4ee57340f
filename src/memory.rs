//! How the process uses memory: the settings of the allocator the binary (src/main.rs)
//! and the benches install, applied once at start. Touches no data of the crate.

/// Applies the settings below; call it first thing in `main`.
pub fn tune_allocator() {
    disable_huge_pages();
    purge_freed_memory_sooner();
}

/// Without this, mimalloc asks for transparent huge pages, and every buffer it touches
/// becomes resident 2 MB at a time: peak RSS 64-86 MB instead of ~37 MB when linting the
/// 60,000-line benchmark configuration, 57-65 MB instead of ~20 MB on the 1 GB benchmark
/// logs. Huge pages made linting ~20% faster (fewer page faults), not enough to pay
/// for twice the memory.
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

/// Memory freed on one thread while another fills new pages stays resident for
/// mimalloc's default 10 ms purge delay. `proxylint logs` makes and frees an analyzer
/// per part of the input on each thread (78-88 MB peak RSS on a log of all-distinct
/// lines, against a 31 MB live heap: 52-56 MB after 1 ms); linting frees the
/// temporaries of the rules running on both cores (41 MB, 36.5 MB after 1 ms). 0 ms
/// costs 20% more time for the same memory.
fn purge_freed_memory_sooner() {
    // SAFETY: sets one integer option of the allocator; any value is valid (an
    // allocator other than mimalloc ignores it: the option is mimalloc's own global).
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1);
    }
}
