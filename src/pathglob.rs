//! Glob patterns over the file system as the servers expand them with glob(3) (nginx's
//! `include`, httpd's `Include`) and as shells do for `proxylint logs 'error*'`: every
//! file name, UTF-8 or not, leading dots matched only literally, sorted bytewise.
//! Dialect-neutral; reads directories only.

use std::path::{Path, PathBuf};

/// The paths matching `pattern` as glob(3) finds them: component by
/// component, listing directories with `read_dir` (so a file name that is not UTF-8 is
/// found like any other: the glob crate's own walk panics on one), `*`, `?` and `[...]`
/// not matching `/` or a leading dot, every match in the last component (dangling
/// symlinks and directories too: nginx then fails to read them), sorted bytewise as in
/// the C locale.
pub fn glob_paths(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let components: Vec<_> = pattern.components().collect();
    let mut found = vec![PathBuf::new()];
    for (i, component) in components.iter().enumerate() {
        let name = component.as_os_str();
        let text = name.to_string_lossy();
        if !text.contains(['*', '?', '[']) {
            found.iter_mut().for_each(|p| p.push(name));
            continue;
        }
        let last = i + 1 == components.len();
        let matcher = glob::Pattern::new(&text).map_err(|e| e.msg.to_string())?;
        let mut next = Vec::new();
        for dir in &found {
            let listed = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            // glob(3) skips directories it cannot read.
            let Ok(entries) = std::fs::read_dir(listed) else {
                continue;
            };
            for entry in entries.flatten() {
                let entry_name = entry.file_name();
                // A name that is not UTF-8 is matched with its invalid bytes as U+FFFD:
                // a wildcard matches them as glob(3) does.
                if !matcher.matches_with(&entry_name.to_string_lossy(), options) {
                    continue;
                }
                let path = dir.join(&entry_name);
                if last || path.is_dir() {
                    next.push(path);
                }
            }
        }
        found = next;
    }
    // Literal components after the last wildcard name files that must exist.
    found.retain(|p| p.symlink_metadata().is_ok());
    found.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    /// The glob crate's walk panicked (exit 101) on a file name that is not UTF-8;
    /// nginx includes such a file.
    #[test]
    fn glob_include_finds_a_file_whose_name_is_not_utf8() {
        let dir = tempfile::tempdir().expect("temp dir");
        let latin1 = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9.conf"));
        std::fs::write(&latin1, "").expect("write");
        std::fs::write(dir.path().join("b.conf"), "").expect("write");
        std::fs::write(dir.path().join(".hidden.conf"), "").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "").expect("write");
        let found = glob_paths(&dir.path().join("*.conf")).expect("glob");
        assert_eq!(found, vec![dir.path().join("b.conf"), latin1]);
    }

    #[test]
    fn glob_include_walks_wildcard_directories() {
        let dir = tempfile::tempdir().expect("temp dir");
        for site in ["a", "b", "c"] {
            std::fs::create_dir_all(dir.path().join(site)).expect("mkdir");
        }
        std::fs::write(dir.path().join("a/site.conf"), "").expect("write");
        std::fs::write(dir.path().join("c/site.conf"), "").expect("write");
        std::fs::write(dir.path().join("d"), "").expect("write");
        let found = glob_paths(&dir.path().join("*/site.conf")).expect("glob");
        assert_eq!(
            found,
            vec![
                dir.path().join("a/site.conf"),
                dir.path().join("c/site.conf")
            ]
        );
    }
}
