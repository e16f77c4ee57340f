//! Where helper threads run: a thread started to work beside the one that starts it is
//! moved off that thread's core as it starts, then may run anywhere. Touches no data of
//! the crate; used by httpd's loader (the model built while the main thread walks the
//! tree) and reader (a large file's lines split ahead), nginx's parser (a large file's
//! end read ahead, buffers faulted in ahead of their filling) and `crate::vfs` (a
//! large file's buffer faulted in before it is read into).
//!
//! Linux places a new thread on its parent's core and lets the idle cores pull it
//! later. When the parent goes on working (as it does here), the helper waits for the
//! parent's time slice to end: 1.5-3.4 ms of 9 measured starts on this 2-core VM (Linux
//! 6.18) waited that long, when the helper's whole work takes 5-7 ms. Moved to another
//! core right after it is made, it starts in 0.1-0.2 ms. (Yielding once instead starts
//! it as fast, but then both threads share the parent's core until the balancer
//! separates them.) Once it runs, it is allowed every core again: kept off the parent's,
//! it waited a time slice whenever another task took its only core (2-6 ms stalls of
//! the line splitter, measured).

use std::os::unix::thread::JoinHandleExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// `f` on a new thread that starts off the calling thread's core when the process may
/// use another. Not scoped: std gives the native handle the move needs only for a
/// thread that owns its data.
pub fn spawn_beside<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    let allowed = affinity();
    let placed = Arc::new(AtomicBool::new(false));
    let handle = {
        let placed = Arc::clone(&placed);
        std::thread::spawn(move || {
            if let Some(set) = allowed {
                // The parent moves this thread right after making it: only then may it
                // be allowed every core again (the other order would leave it bound).
                let mut spins = 0u32;
                while !placed.load(Ordering::Acquire) {
                    // The parent sets it microseconds after making this thread; should
                    // it be descheduled meanwhile, stop burning the core.
                    if spins < 10_000 {
                        spins += 1;
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
                allow(&set);
            }
            f()
        })
    };
    if let Some(mut set) = allowed {
        // SAFETY: sched_getcpu takes nothing and returns a number.
        let cpu = usize::try_from(unsafe { libc::sched_getcpu() }).ok();
        if let Some(cpu) = cpu.filter(|&c| c < libc::CPU_SETSIZE as usize && cpu_isset(c, &set)) {
            // SAFETY: `cpu` is within the set's size (checked above).
            unsafe { libc::CPU_CLR(cpu, &mut set) };
            // SAFETY: the thread of `handle` exists until it is joined.
            unsafe {
                libc::pthread_setaffinity_np(
                    handle.as_pthread_t(),
                    std::mem::size_of::<libc::cpu_set_t>(),
                    &set,
                )
            };
        }
    }
    placed.store(true, Ordering::Release);
    handle
}

/// Buffers smaller than this are left to fault in as they are filled: a thread would
/// start after the filling is done.
pub const PREFAULT_BYTES: usize = 1 << 20;

/// Has another core fault in the pages of `spare` (the spare capacity of a buffer
/// this thread is about to fill in order) ahead of the filling: on this VM a first
/// touch costs ~4 µs per 4 KiB page, and for nginx configurations (run without huge
/// pages: `crate::memory`) the faults of the node arena and the model's per-node
/// vectors were a third of reading and building the model. A buffer under
/// [`PREFAULT_BYTES`], or a process with one core, is left alone.
///
/// Only the page tables are filled (`MADV_POPULATE_WRITE`): no byte is read or
/// written, so the filling thread is not raced; if the buffer is gone meanwhile, the
/// call fails or maps zero pages the allocator owns, which is harmless.
pub fn prefault<T>(spare: &mut [std::mem::MaybeUninit<T>]) {
    prefault_in_order(vec![Spare::of(spare)]);
}

/// Where the spare capacity of a buffer lies, for [`prefault_in_order`] and [`populate`].
pub struct Spare {
    start: usize,
    len: usize,
}

impl Spare {
    /// The pages of `spare` (a buffer's spare capacity, or a buffer about to be
    /// overwritten).
    pub fn of<T>(spare: &mut [T]) -> Spare {
        Spare {
            start: spare.as_mut_ptr() as usize,
            len: std::mem::size_of_val(spare),
        }
    }
}

/// [`prefault`] for buffers filled one after the other, faulted in that order by one
/// thread: buffers each under [`PREFAULT_BYTES`] count together.
pub fn prefault_in_order(spares: Vec<Spare>) {
    if spares.iter().map(|s| s.len).sum::<usize>() < PREFAULT_BYTES || !another_core() {
        return;
    }
    drop(spawn_beside(move || spares.into_iter().for_each(populate)));
}

/// Faults in the whole pages of `spare` on this thread, in one call: cheaper than
/// faulting them one by one as they are filled (2 against 3 µs a page, measured on the
/// read-ahead's steps and on a file's read buffer: 0.6 ms each on 70,000 lines).
pub fn populate(Spare { start, len }: Spare) {
    // SAFETY: sysconf takes a constant and returns a number.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let first = start.next_multiple_of(page);
    let end = (start + len) / page * page;
    if end > first {
        // SAFETY: madvise only fills page tables of the range (whole pages inside the
        // buffer); an error leaves them as they were.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                end - first,
                libc::MADV_POPULATE_WRITE,
            )
        };
    }
}

/// Whether the process may use a core besides the one it runs on.
pub fn another_core() -> bool {
    affinity().is_some()
}

/// The cores the process may use, when there are two or more.
fn affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: `set` is a plain bit set the call fills within its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0
            && libc::CPU_COUNT(&set) > 1)
            .then_some(set)
    }
}

fn cpu_isset(cpu: usize, set: &libc::cpu_set_t) -> bool {
    // SAFETY: reads one bit of the set; `cpu` is below CPU_SETSIZE (checked by callers).
    unsafe { libc::CPU_ISSET(cpu, set) }
}

/// Allows the calling thread the cores of `set`. A failure (a core taken away
/// meanwhile) leaves the thread where it is, which is only slower.
fn allow(set: &libc::cpu_set_t) {
    // SAFETY: the call reads the set within its size.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> libc::cpu_set_t {
        // SAFETY: as in `affinity`.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            set
        }
    }

    /// The helper runs, returns its result, and once running may use every core the
    /// process may (it is not left bound away from its parent's).
    #[test]
    fn the_helper_ends_free_to_use_every_core() {
        let cores = unsafe { libc::CPU_COUNT(&allowed()) };
        let helper = spawn_beside(|| (6 * 7, unsafe { libc::CPU_COUNT(&allowed()) }));
        let (result, helper_cores) = helper.join().expect("helper");
        assert_eq!(result, 42);
        assert_eq!(helper_cores, cores);
    }
}
