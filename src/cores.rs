//! Where helper threads run: a thread started to work beside the one that starts it is
//! moved off that thread's core. Touches no data of the crate; used by the loaders that
//! build a model while the main thread walks the same tree.
//!
//! Linux places a new thread on its parent's core and lets the idle cores pull it
//! later. When the parent goes on working (as it does here: it walks the configuration
//! while the helper builds the model), the helper waits for the parent's time slice to
//! end: 1.5-3.4 ms of 9 measured starts on this 2-core VM (Linux 6.18) waited that long,
//! when the helper's whole work takes 5-7 ms. Moved to another core right after it is
//! made, it starts in 0.1-0.2 ms. (Yielding once instead starts it as fast, but then
//! both threads share the parent's core until the balancer separates them.)

use std::os::unix::thread::JoinHandleExt;
use std::thread::JoinHandle;

/// `f` on a new thread, kept off the calling thread's core when the process may use
/// another (the thread is allowed every other core the process may use). Not scoped:
/// std gives the native handle the move needs only for a thread that owns its data.
pub fn spawn_beside<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    let handle = std::thread::spawn(f);
    elsewhere(&handle);
    handle
}

/// Allows the thread of `handle` every core the process may use but the current one.
fn elsewhere<T>(handle: &JoinHandle<T>) {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a plain bit set the calls fill and read within its size; the
    // thread of `handle` exists until it is joined (the handle is borrowed here). A
    // failure (a kernel without the calls, a core taken away meanwhile) leaves the
    // thread where the kernel put it, which is only slower.
    unsafe {
        let cpu = libc::sched_getcpu();
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if cpu < 0 || libc::sched_getaffinity(0, size, &mut set) != 0 {
            return;
        }
        let Ok(cpu) = usize::try_from(cpu) else {
            return;
        };
        if !libc::CPU_ISSET(cpu, &set) || libc::CPU_COUNT(&set) < 2 {
            return;
        }
        libc::CPU_CLR(cpu, &mut set);
        libc::pthread_setaffinity_np(handle.as_pthread_t(), size, &set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> libc::cpu_set_t {
        // SAFETY: as in `elsewhere`.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            set
        }
    }

    /// The helper runs and returns its result; when the process may use two cores or
    /// more, it may use every one of them but one (the core its parent was on).
    #[test]
    fn the_helper_may_use_every_core_but_its_parents() {
        let cores = unsafe { libc::CPU_COUNT(&allowed()) };
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let helper = spawn_beside(move || {
            // Asked once the parent has placed it.
            rx.recv().expect("parent");
            (6 * 7, unsafe { libc::CPU_COUNT(&allowed()) })
        });
        tx.send(()).expect("helper");
        let (result, helper_cores) = helper.join().expect("helper");
        assert_eq!(result, 42);
        let expected = if cores > 1 { cores - 1 } else { cores };
        assert_eq!(helper_cores, expected);
    }
}
