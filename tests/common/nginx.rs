//! Running the real `nginx -t`: finding the binary and testing one configuration with
//! its own prefix and error log, bounded in time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proxylint::nginx::grammar::Version;

/// A run of `nginx -t` taking longer than this is killed and reported as failed.
const NGINX_TIMEOUT: Duration = Duration::from_secs(10);
/// `ulimit -n` for nginx: an include cycle makes nginx recurse until it crashes; with
/// few file descriptors it stops early with "Too many open files" instead.
const NGINX_NOFILE: u32 = 256;

/// `nginx` on PATH, or Debian's /usr/sbin/nginx (sbin is not on every user's PATH).
pub fn find_nginx() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
}

/// Output of `nginx -v`/`-V` (nginx prints it on stderr).
fn nginx_info(nginx: &Path, flag: &str) -> String {
    let out = Command::new(nginx).arg(flag).output().expect("nginx runs");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The version `nginx -v` reports.
pub fn nginx_version(nginx: &Path) -> Version {
    let version = nginx_info(nginx, "-v");
    version
        .trim()
        .rsplit('/')
        .next()
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the version in {version:?}"))
}

/// Where this nginx loads dynamic modules from (`--modules-path` of `nginx -V`).
pub fn modules_dir(nginx: &Path) -> PathBuf {
    nginx_info(nginx, "-V")
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--modules-path=").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/usr/lib/nginx/modules"))
}

/// Kills the child when dropped, so that no nginx outlives the test.
pub struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `nginx -t -p PREFIX/ -c MAIN` with its error log and stderr in `out`; returns
/// (stderr, success).
pub fn run_nginx_t(
    nginx: &Path,
    prefix: &Path,
    main: &Path,
    out: &Path,
) -> Result<(String, bool), String> {
    let stderr_path = out.join("stderr");
    let stderr = std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?;
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {NGINX_NOFILE} && exec \"$0\" \"$@\""))
        .arg(nginx)
        .arg("-t")
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(main)
        .arg("-e")
        .arg(out.join("error.log"))
        .current_dir(prefix)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot run nginx: {e}"))?;
    let mut child = KillOnDrop(child);
    let started = Instant::now();
    let status = loop {
        match child.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > NGINX_TIMEOUT => {
                return Err(format!("nginx -t still running after {NGINX_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let text = std::fs::read(&stderr_path).map_err(|e| e.to_string())?;
    Ok((
        String::from_utf8_lossy(&text).into_owned(),
        status.success(),
    ))
}

/// Starts nginx in the foreground (`daemon off`, one process) on `main`, with its prefix
/// and error log in `prefix`; stopped when the guard is dropped.
#[allow(dead_code)] // used by the tests that run nginx, not by every user of this file
pub fn start_nginx(nginx: &Path, prefix: &Path, main: &Path) -> Result<KillOnDrop, String> {
    let child = Command::new(nginx)
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(main)
        .arg("-e")
        .arg(prefix.join("error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .current_dir(prefix)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run nginx: {e}"))?;
    Ok(KillOnDrop(child))
}
