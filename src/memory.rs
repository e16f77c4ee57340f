//! How the process uses memory: the allocator settings each kind of work runs with.
//! `src/main.rs` applies [`at_start`] before the runtime's first allocation (a
//! constructor in `.init_array`), the benches that time work in-process first thing;
//! [`crate::lint::read`] applies [`for_apache`] when it reads httpd configurations
//! alone, or [`for_nginx`] with how much nginx configuration it is about to read,
//! `crate::cli` [`for_logs`] before it reads logs. Touches no data of the crate.
//!
//! The heap is one region [`at_start`] reserves from mimalloc, so that which of its
//! parts use transparent huge pages is this module's to say (mimalloc asks for them on
//! all of its own memory, and the kernel's switch, `PR_SET_THP_DISABLE`, is all or
//! nothing). A page fault costs ~3 µs on the 2-core VM the benchmarks run on, and a
//! configuration's tree and model fill 15 MB of fresh memory for 1.8 MB of text: with
//! huge pages for the part of the heap they fill first (twelve times the text, from 1 MiB
//! of it), the 70,000-line benchmark went from 27.3 to 24.9 ms (two runs of 60 rounds
//! interleaved: ten times gave 25.7-25.8 ms) for 34-37 MB of peak RSS instead of 32-33;
//! 32 MB advised gave no more time and 43 MB. The demo, httpd's 5,000 virtual hosts
//! and logs: same time and RSS.
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

use std::sync::atomic::{AtomicUsize, Ordering};

/// Settings at start, before any work, as configurations want them: no huge pages
/// (set later, after the first buffers, they saved 5 MB less on nginx's), freed memory
/// kept 100 ms.
pub fn at_start() {
    match reserve_heap() {
        Some(heap) => advise(heap, heap.len, libc::MADV_NOHUGEPAGE),
        // No region of our own (an allocator other than mimalloc, or no address space):
        // no huge pages anywhere, as the kernel's switch says.
        None => huge_pages(false),
    }
    purge_delay_ms(100);
}

/// Settings for reading and checking httpd configurations alone: huge pages back.
pub fn for_apache() {
    match heap() {
        Some(heap) => advise(heap, heap.len, libc::MADV_HUGEPAGE),
        None => huge_pages(true),
    }
}

/// Less nginx configuration than this, and the heap keeps small pages: a huge page is
/// 2 MB to clear, more than a small configuration's whole tree.
const HUGE_FROM_BYTES: u64 = 1 << 20;

/// How much of the configuration's text is counted (file sizes are asked for until
/// there): enough to size the part of the heap its tree fills first.
pub const NGINX_TEXT_LIMIT: u64 = 8 << 20;

/// How much heap a configuration's tree and model fill first per byte of its text
/// (1.8 MB of the benchmark's make 15 MB of fresh memory, the rules' after it).
const TREE_PER_TEXT_BYTE: u64 = 12;

/// Settings for an nginx configuration whose files named on the command line hold
/// `text` bytes (counted up to [`NGINX_TEXT_LIMIT`]): from [`HUGE_FROM_BYTES`], the
/// start of the heap, which its tree fills first, uses huge pages. Its includes are not
/// counted: a small `nginx.conf` including large files keeps small pages.
pub fn for_nginx(text: u64) {
    let Some(heap) = heap() else { return };
    if text < HUGE_FROM_BYTES {
        return;
    }
    let bytes = usize::try_from(text.saturating_mul(TREE_PER_TEXT_BYTE)).unwrap_or(usize::MAX);
    advise(heap, bytes.next_multiple_of(HUGE_PAGE), libc::MADV_HUGEPAGE);
}

/// The size of a transparent huge page on x86-64 and most of aarch64.
const HUGE_PAGE: usize = 2 << 20;

/// How much address space [`at_start`] reserves for the heap: mimalloc takes more from
/// the system (with huge pages) only past it.
const HEAP_BYTES: usize = 1 << 30;

/// The region reserved for the heap.
#[derive(Clone, Copy)]
struct Heap {
    start: usize,
    len: usize,
}

static HEAP_START: AtomicUsize = AtomicUsize::new(0);
static HEAP_LEN: AtomicUsize = AtomicUsize::new(0);

fn heap() -> Option<Heap> {
    let start = HEAP_START.load(Ordering::Relaxed);
    (start != 0).then(|| Heap {
        start,
        len: HEAP_LEN.load(Ordering::Relaxed),
    })
}

// mimalloc's, not declared by libmimalloc-sys: the start and size of an arena.
unsafe extern "C" {
    fn mi_arena_area(
        arena_id: libmimalloc_sys::mi_arena_id_t,
        size: *mut usize,
    ) -> *mut std::ffi::c_void;
}

/// Reserves the heap's region from mimalloc as an arena it allocates from before any
/// other, without mimalloc's request for huge pages (`allow_large` false).
fn reserve_heap() -> Option<Heap> {
    let mut id: libmimalloc_sys::mi_arena_id_t = std::ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: mimalloc maps the region itself and writes the arena's id and size into
    // the two locals; a failure returns non-zero or a null start, checked below.
    let start = unsafe {
        if libmimalloc_sys::mi_reserve_os_memory_ex(HEAP_BYTES, true, false, false, &mut id) != 0 {
            return None;
        }
        mi_arena_area(id, &mut len)
    } as usize;
    if start == 0 || len == 0 {
        return None;
    }
    HEAP_LEN.store(len, Ordering::Relaxed);
    HEAP_START.store(start, Ordering::Relaxed);
    heap()
}

/// Gives the kernel `advice` about the first `len` bytes of the heap.
fn advise(heap: Heap, len: usize, advice: libc::c_int) {
    // SAFETY: the range lies in the region mimalloc mapped for the heap, which stays
    // mapped for the process's life; the advice only says which page size to fault
    // in with. A failure (an old kernel) leaves pages as they were.
    unsafe { libc::madvise(heap.start as *mut libc::c_void, len.min(heap.len), advice) };
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
