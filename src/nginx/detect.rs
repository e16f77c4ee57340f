//! Which nginx to check against when none is configured: the installed one, as
//! `nginx -v` reports it. The binary is `$PROXYLINT_NGINX` (a path or a name looked up
//! on PATH; empty or `none` turns detection off), else `nginx` on PATH, else the
//! distributions' sbin paths (not on every user's PATH).
//!
//! What `nginx -v` prints is one literal of the binary (nginx.c writes
//! `"nginx version: " NGINX_VER_BUILD "\n"`), so an ELF binary's version line is read
//! from its bytes ([`version_in_binary`]): running it costs ~2 ms (the dynamic linking
//! of nginx and its libraries), half of a small configuration's run, reading it 0.1-0.2
//! ms. Anything else (a wrapper script, a binary without the line) is run: `nginx -v`
//! with no input, its output bounded, killed after [`TIMEOUT`]: a wrapper that hangs
//! costs a second, never a stuck run. The only place a lint run starts another program.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use super::grammar::Version;

/// The environment variable naming the nginx binary to ask.
pub const ENV: &str = "PROXYLINT_NGINX";

/// How long `nginx -v` may take; it answers in about a millisecond.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// Where nginx lives when it is not on PATH (Debian's /usr/sbin is not on a normal
/// user's PATH; nginx's own default prefix is /usr/local/nginx).
const SBIN: &[&str] = &[
    "/usr/sbin/nginx",
    "/usr/local/sbin/nginx",
    "/usr/local/nginx/sbin/nginx",
];

/// What asking the installed nginx gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// `binary -v` reported `version`.
    Version { binary: PathBuf, version: Version },
    /// No version: why, for the summary line.
    Nothing(String),
}

/// The binary to ask, or why there is none.
fn binary(setting: Option<OsString>, path: Option<OsString>) -> Result<PathBuf, String> {
    let on_path = |name: &OsStr| {
        path.iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    };
    match setting {
        Some(s) if s.is_empty() || s == "none" => Err(format!("{ENV}={}", s.to_string_lossy())),
        Some(s) if Path::new(&s).components().count() > 1 => Ok(PathBuf::from(s)),
        Some(s) => on_path(&s).ok_or_else(|| {
            format!(
                "{ENV}={}: not found on PATH",
                crate::source::printable(&s.to_string_lossy())
            )
        }),
        None => on_path(OsStr::new("nginx"))
            .or_else(|| SBIN.iter().map(PathBuf::from).find(|p| is_executable(p)))
            .ok_or_else(|| "no nginx is on PATH".to_string()),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The version in `nginx -v`'s output: `nginx version: nginx/1.22.1`, also with a
/// distribution suffix (`nginx/1.24.0 (Ubuntu)`) or another build's name
/// (`openresty/1.25.3.1`: the nginx it is built on is the first three numbers).
pub fn parse_version_output(output: &str) -> Option<Version> {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with("nginx version:"))?;
    let word = line.split_whitespace().find(|w| w.contains('/'))?;
    let numbers = word.rsplit('/').next()?;
    let three: Vec<&str> = numbers.split('.').take(3).collect();
    three.join(".").parse().ok()
}

/// Binaries larger than this are run rather than read: nginx's are 1-10 MB, and reading
/// a much larger file (one with debugging symbols) would cost more than running it.
const READ_MAX_BYTES: u64 = 32 << 20;

/// The version in the line `nginx -v` prints, read from the bytes of an ELF `binary`
/// (in 64 KiB pieces: a buffer of the binary's size would be fresh memory to fault in,
/// which costs more than the read). `None` when it is not an ELF file, is too large, or
/// holds no such line: then it is run.
pub fn version_in_binary(binary: &Path) -> Option<Version> {
    const LINE: &[u8] = b"nginx version: ";
    /// Longer than any version line (`nginx version: openresty/1.25.3.1 (Ubuntu)`).
    const LINE_MAX: usize = 200;
    let mut file = std::fs::File::open(binary).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > READ_MAX_BYTES {
        return None;
    }
    let finder = memchr::memmem::Finder::new(LINE);
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0;
    let mut elf = false;
    loop {
        let n = loop {
            match file.read(&mut buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        };
        len += n;
        let end = n == 0;
        if !elf {
            if len < 4 && !end {
                continue;
            }
            if !buf[..len].starts_with(b"\x7fELF") {
                return None;
            }
            elf = true;
        }
        if let Some(at) = finder.find(&buf[..len]) {
            let rest = &buf[at + LINE.len()..len];
            if let Some(nl) = rest.iter().take(LINE_MAX).position(|&b| b == b'\n') {
                let line = std::str::from_utf8(&buf[at..at + LINE.len() + nl]).ok()?;
                return parse_version_output(line);
            }
            if rest.len() >= LINE_MAX || end {
                return None;
            }
            // The line goes on past what was read: keep it and read on.
            buf.copy_within(at..len, 0);
            len -= at;
            continue;
        }
        if end {
            return None;
        }
        // Keep what may be the start of the line, cut by the end of this piece.
        let keep = (LINE.len() - 1).min(len);
        buf.copy_within(len - keep..len, 0);
        len = keep;
    }
}

/// Asking a binary for its version: read from it, or a started `nginx -v`.
pub struct Pending {
    binary: PathBuf,
    started: Instant,
    answer: Answer,
}

enum Answer {
    /// Read from the binary ([`version_in_binary`]).
    Read(Version),
    Running(Child),
    /// It could not be started: why.
    Failed(String),
}

/// The version of `binary`: read from it when it holds the line, else `binary -v`
/// started.
fn ask(binary: PathBuf) -> Pending {
    let started = Instant::now();
    if let Some(version) = version_in_binary(&binary) {
        return Pending {
            binary,
            started,
            answer: Answer::Read(version),
        };
    }
    let shown = crate::source::display_name(&binary);
    let spawn = || {
        Command::new(&binary)
            .arg("-v")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
    };
    // A script just written may still be open for writing in a process another thread
    // forked meanwhile (ETXTBSY until that process execs): try again shortly.
    let answer = spawn()
        .or_else(|e| match e.raw_os_error() {
            Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20));
                spawn()
            }
            _ => Err(e),
        })
        .map_or_else(
            |e| Answer::Failed(format!("{shown} cannot be run ({e})")),
            Answer::Running,
        );
    Pending {
        binary,
        started,
        answer,
    }
}

/// Reads `stderr` to its end (bounded: a version line is short) unless `deadline`
/// passes first; whether it ended.
fn read_until(stderr: &mut ChildStderr, deadline: Instant, output: &mut Vec<u8>) -> bool {
    use std::os::fd::AsRawFd;
    let mut chunk = [0u8; 1024];
    while output.len() < 4096 {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fd = libc::pollfd {
            fd: stderr.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd for a file descriptor `stderr` owns.
        let ready = unsafe { libc::poll(&mut fd, 1, millis) };
        if ready == 0 {
            return false;
        }
        if ready < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
        match stderr.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => output.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

impl Pending {
    /// The version the binary reported, waiting at most until [`TIMEOUT`] after the
    /// start; a binary still running then is killed.
    fn finish(self) -> Detected {
        let binary = self.binary;
        let shown = crate::source::display_name(&binary);
        let mut child = match self.answer {
            Answer::Read(version) => return Detected::Version { binary, version },
            Answer::Running(child) => child,
            Answer::Failed(why) => return Detected::Nothing(why),
        };
        let deadline = self.started + TIMEOUT;
        let mut output = Vec::new();
        let ended = child
            .stderr
            .take()
            .is_some_and(|mut stderr| read_until(&mut stderr, deadline, &mut output));
        // Its stderr closed: it is exiting (or detached its output and goes on, which
        // the deadline bounds too).
        let exited = ended
            && loop {
                match child.try_wait() {
                    Ok(Some(_)) => break true,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    _ => break false,
                }
            };
        if !exited {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !ended {
            return Detected::Nothing(format!(
                "`{shown} -v` did not answer within {} s",
                TIMEOUT.as_secs()
            ));
        }
        let text = String::from_utf8_lossy(&output);
        match parse_version_output(&text) {
            Some(version) => Detected::Version { binary, version },
            None => {
                let first = text.lines().next().unwrap_or("").trim();
                Detected::Nothing(format!(
                    "`{shown} -v` printed no nginx version (\"{}\")",
                    crate::source::printable(first)
                ))
            }
        }
    }
}

/// From this size of input on, nginx is asked on a helper thread (measured when it was
/// always run; reading the binary instead costs the same on either thread). Starting
/// nginx is not only the child's time: the parent waits until the child has executed the binary,
/// 0.3-2.5 ms measured on the 70,000-line benchmark, spent before reading began; for a
/// small configuration the thread costs more than it saves (4.3 -> 5.0 ms end to end
/// on the demo).
pub const BESIDE_BYTES: u64 = 256 * 1024;

/// Asking the nginx of this environment for its version: started before the
/// configuration is read, so that nginx's start overlaps with reading.
pub enum Asking {
    /// On a helper thread.
    Beside(std::thread::JoinHandle<Detected>),
    /// Spawned by this thread.
    Here(Result<Pending, String>),
}

/// Starts asking the nginx of this environment ([`ENV`], PATH) for its version, on a
/// helper thread when the input is `large` (at least [`BESIDE_BYTES`]).
pub fn start(large: bool) -> Asking {
    if large {
        Asking::Beside(crate::cores::spawn_beside(detect))
    } else {
        Asking::Here(binary(std::env::var_os(ENV), std::env::var_os("PATH")).map(ask))
    }
}

impl Asking {
    /// The answer, waiting for it (at most [`TIMEOUT`] after the start).
    pub fn finish(self) -> Detected {
        match self {
            Asking::Beside(thread) => thread.join().unwrap_or_else(|_| {
                Detected::Nothing("asking nginx for its version failed".into())
            }),
            Asking::Here(Ok(pending)) => pending.finish(),
            Asking::Here(Err(why)) => Detected::Nothing(why),
        }
    }
}

/// Asks the nginx of this environment for its version, waiting for the answer.
pub fn detect() -> Detected {
    start(false).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// An executable shell script `nginx` with this body in a new directory.
    fn script(body: &str) -> (tempfile::TempDir, PathBuf) {
        binary_file(format!("#!/bin/sh\n{body}").as_bytes())
    }

    #[test]
    fn reads_the_version_nginx_builds_print() {
        let cases = [
            ("nginx version: nginx/1.22.1\n", Some(Version(1, 22, 1))),
            (
                "nginx version: nginx/1.24.0 (Ubuntu)\n",
                Some(Version(1, 24, 0)),
            ),
            (
                "nginx version: openresty/1.25.3.1\n",
                Some(Version(1, 25, 3)),
            ),
            (
                "Tengine version: Tengine/3.1.0\nnginx version: nginx/1.24.0\n",
                Some(Version(1, 24, 0)),
            ),
            ("nginx version: nginx/1.27\n", Some(Version(1, 27, 0))),
            ("bash: nginx: command not found\n", None),
            ("nginx version: nginx/next\n", None),
            ("", None),
        ];
        for (output, version) in cases {
            assert_eq!(parse_version_output(output), version, "{output:?}");
        }
    }

    #[test]
    fn the_environment_names_the_binary_or_turns_detection_off() {
        let (dir, fake) = script("");
        let path = Some(dir.path().as_os_str().to_owned());
        assert_eq!(binary(None, path.clone()), Ok(fake.clone()));
        assert_eq!(binary(Some("nginx".into()), path.clone()), Ok(fake.clone()));
        assert_eq!(
            binary(Some("/opt/nginx/sbin/nginx".into()), None),
            Ok(PathBuf::from("/opt/nginx/sbin/nginx"))
        );
        assert!(binary(Some("none".into()), path.clone()).is_err());
        assert!(binary(Some("".into()), path.clone()).is_err());
        assert!(binary(Some("openresty".into()), path).is_err());
        // Not executable: not a candidate.
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(
            binary(
                Some("nginx".into()),
                Some(dir.path().as_os_str().to_owned())
            )
            .is_err()
        );
    }

    /// An executable file of `bytes` in a new directory.
    fn binary_file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nginx");
        std::fs::write(&path, bytes).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        (dir, path)
    }

    /// The version asking `binary` gives (for that binary).
    fn asked(binary: PathBuf) -> Option<Version> {
        match ask(binary.clone()).finish() {
            Detected::Version {
                binary: asked,
                version,
            } if asked == binary => Some(version),
            _ => None,
        }
    }

    /// ELF-looking bytes with `line` at `at` (not a program: running it fails).
    fn elf_with(line: &[u8], at: usize, size: usize) -> Vec<u8> {
        let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
        bytes.resize(size.max(at + line.len()), 0xAB);
        bytes[at..at + line.len()].copy_from_slice(line);
        bytes
    }

    /// The line `nginx -v` prints is read from an ELF binary, which is not run: these
    /// bytes cannot be run, so a version proves they were read. The line is found
    /// anywhere, also cut by the end of a 64 KiB piece (in its first word or after it).
    #[test]
    fn the_version_line_is_read_from_an_elf_binary_without_running_it() {
        let line = b"nginx version: nginx/1.25.3 (Ubuntu)\n";
        for at in [100, 65_536 - 7, 65_536 - 20, 65_536 - 36, 200_000] {
            let (_dir, path) = binary_file(&elf_with(line, at, 300_000));
            assert_eq!(
                version_in_binary(&path),
                Some(Version(1, 25, 3)),
                "line at {at}"
            );
            assert_eq!(asked(path), Some(Version(1, 25, 3)));
        }
    }

    /// Without the line, or when the file is not ELF, the binary is run: a script that
    /// prints another version says which one it is.
    #[test]
    fn a_file_without_the_line_or_not_elf_is_run() {
        let cases: [&[u8]; 4] = [
            &elf_with(b"nginx version: ", 1000, 5000),
            &elf_with(b"nginx version: nginx/1.25.3", 4973, 5000),
            &elf_with(b"nginx version: nginx/next\n", 10, 5000),
            b"\x7fEL",
        ];
        for bytes in cases {
            let (_dir, path) = binary_file(bytes);
            assert_eq!(version_in_binary(&path), None, "{bytes:?}");
            assert_eq!(asked(path), None);
        }
        let (_dir, path) =
            script("# nginx version: nginx/1.18.0\necho 'nginx version: nginx/1.24.0' >&2\n");
        assert_eq!(version_in_binary(&path), None);
        assert_eq!(asked(path), Some(Version(1, 24, 0)));
    }

    #[test]
    fn a_binary_that_hangs_is_stopped() {
        let (_dir, fake) = script("exec sleep 30\n");
        let started = Instant::now();
        let Detected::Nothing(err) = ask(fake).finish() else {
            panic!("a version from a binary that printed nothing");
        };
        assert!(err.contains("did not answer"), "{err}");
        assert!(started.elapsed() < TIMEOUT + Duration::from_secs(2));
    }
}
