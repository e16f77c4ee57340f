//! Which files an `Include` or `IncludeOptional` reads, in httpd's order
//! (server/util.c `ap_dir_fnmatch`, `ap_dir_nofnmatch`; APR's `apr_fnmatch` with
//! `APR_FNM_PERIOD`), through the [`Vfs`].
//!
//! A path with wildcards is matched one component at a time, directory components
//! included; a component in the middle matches directories only; a wildcard does not
//! match a leading dot; matches are sorted bytewise (`strcmp`). A directory, named or
//! matched, is read recursively: every entry, dotfiles too, sorted, up to 128 levels.
//! Errors carry httpd's messages.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::grammar::proxy::fnmatch_test;
use crate::vfs::{FileKind, Vfs};

/// How deep directories are read (`AP_MAX_FNMATCH_DIR_DEPTH`).
pub const MAX_DIR_DEPTH: usize = 128;

/// Bound on the files one `Include` expands to, so that a wildcard over a huge tree
/// cannot exhaust memory (proxylint's, not httpd's).
pub const MAX_MATCHES: usize = 250_000;

/// `apr_fnmatch(pattern, name, APR_FNM_PERIOD)` on one path component, bytewise: `*`,
/// `?`, `[...]` (with `!` or `^` negation and ranges; a `[` without its `]` is literal),
/// `\` escaping the next byte; a leading `.` of the name only matches a literal `.`.
pub fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        // Only an escaped dot could still match it literally.
        if !(pattern.starts_with(b"\\.")) {
            return false;
        }
    }
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: (pattern after the star, name position).
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = bracket(pattern, p, name[n]) {
                        if matched {
                            p = next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == name[n] {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last star take one more byte.
        match star {
            Some((sp, sn)) => {
                star = Some((sp, sn + 1));
                p = sp;
                n = sn + 1;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A bracket expression at `pattern[start]` (`[`) against byte `c`: whether it matches
/// and where the pattern continues, or `None` when the `[` has no closing `]`.
fn bracket(pattern: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let mut lo = *pattern.get(i)?;
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if lo == b'\\' {
            i += 1;
            lo = *pattern.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1).is_some_and(|&b| b != b']') {
            hi = pattern[i + 1];
            i += 2;
            if hi == b'\\' {
                hi = *pattern.get(i)?;
                i += 1;
            }
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
}

/// One file an include reads, or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expansion {
    File(PathBuf),
    /// httpd's message; the include fails there (files found before it are read).
    Error(String),
}

/// What `path` (absolute, resolved against ServerRoot) names for `Include`
/// (`optional` false) or `IncludeOptional`: the files in httpd's order, ending with
/// the error httpd stops at, if any. A file that cannot be opened is listed: opening it
/// is the reader's business ("Could not open configuration file").
pub fn expand(vfs: &dyn Vfs, path: &Path, optional: bool) -> Vec<Expansion> {
    let mut walk = Walk {
        vfs,
        optional,
        out: Vec::new(),
        depth: 0,
    };
    let text = path.as_os_str().as_bytes();
    let result = if !fnmatch_test(&String::from_utf8_lossy(text)) {
        walk.nofnmatch(path.to_path_buf())
    } else {
        // The root, then the components below it.
        let rest = text.strip_prefix(b"/").unwrap_or(text);
        walk.fnmatch(PathBuf::from("/"), rest)
    };
    if let Err(message) = result {
        walk.out.push(Expansion::Error(message));
    }
    walk.out
}

const PREFIX: &str = "Include/IncludeOptional: ";

struct Walk<'a> {
    vfs: &'a dyn Vfs,
    optional: bool,
    out: Vec<Expansion>,
    depth: usize,
}

fn reason(err: &std::io::Error) -> String {
    // std appends " (os error N)" to strerror's text; APR's %pm prints only the text.
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Entry names of a directory sorted as `strcmp` sorts full paths in one directory.
fn sorted(mut names: Vec<OsString>) -> Vec<OsString> {
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
}

impl Walk<'_> {
    fn full(&self) -> bool {
        self.out.len() >= MAX_MATCHES
    }

    /// `ap_dir_nofnmatch`: a directory is read recursively, anything else is a file.
    fn nofnmatch(&mut self, path: PathBuf) -> Result<(), String> {
        if self.full() {
            return Ok(());
        }
        if self.vfs.is_dir(&path) {
            self.depth += 1;
            if self.depth > MAX_DIR_DEPTH {
                return Err(format!(
                    "{PREFIX}Directory '{}' exceeds the maximum include directory nesting level of {MAX_DIR_DEPTH}. You have probably a recursion somewhere.",
                    path.display()
                ));
            }
            let entries = self.vfs.read_dir(&path).map_err(|e| {
                format!(
                    "{PREFIX}Could not open directory {}: {}",
                    path.display(),
                    reason(&e)
                )
            })?;
            for name in sorted(entries.into_iter().map(|e| e.name).collect()) {
                self.nofnmatch(path.join(name))?;
            }
            self.depth -= 1;
            return Ok(());
        }
        if self.optional && !self.vfs.exists(&path) {
            return Ok(());
        }
        self.out.push(Expansion::File(path));
        Ok(())
    }

    /// `ap_dir_fnmatch`: the first component of `rest` below `dir`.
    fn fnmatch(&mut self, dir: PathBuf, rest: &[u8]) -> Result<(), String> {
        if self.full() {
            return Ok(());
        }
        let (name, rest) = match rest.iter().position(|&b| b == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if !fnmatch_test(&String::from_utf8_lossy(name)) {
            let path = dir.join(OsStr::from_bytes(name));
            return match rest {
                None => self.nofnmatch(path),
                Some(rest) => self.fnmatch(path, rest),
            };
        }
        let entries = match self.vfs.read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if self.optional && e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
            Err(e) => {
                return Err(format!(
                    "{PREFIX}Could not open directory {}: {}",
                    dir.display(),
                    reason(&e)
                ));
            }
        };
        // In the middle of the path only directories match (a link to one is a link,
        // as readdir reports it, and is skipped).
        let matched: Vec<OsString> = entries
            .into_iter()
            .filter(|e| fnmatch(name, e.name.as_bytes()))
            .filter(|e| rest.is_none() || e.kind == FileKind::Dir)
            .map(|e| e.name)
            .collect();
        if matched.is_empty() {
            if self.optional {
                return Ok(());
            }
            return Err(format!(
                "{PREFIX}No matches for the wildcard '{}' in '{}', failing",
                String::from_utf8_lossy(name),
                dir.display()
            ));
        }
        for entry in sorted(matched) {
            let path = dir.join(entry);
            match rest {
                None => self.nofnmatch(path)?,
                Some(rest) => self.fnmatch(path, rest)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::Memory;

    #[test]
    fn fnmatch_follows_apr() {
        assert!(fnmatch(b"*.conf", b"a.conf"));
        assert!(!fnmatch(b"*.conf", b".hidden.conf"));
        assert!(fnmatch(b".*.conf", b".hidden.conf"));
        assert!(fnmatch(b"\\.h*", b".hidden"));
        assert!(!fnmatch(b"?x", b".x"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(fnmatch(b"[a-c]*", b"b1"));
        assert!(!fnmatch(b"[!a-c]*", b"b1"));
        assert!(fnmatch(b"[^a-c]*", b"d1"));
        assert!(fnmatch(b"[]]x", b"]x"));
        assert!(fnmatch(b"a[b", b"a[b"));
        assert!(fnmatch(b"*a*b*c", b"xxaxxbxxc"));
        assert!(!fnmatch(b"*a*b*c", b"xxaxxbxx"));
        assert!(fnmatch(b"\\*", b"*"));
        assert!(!fnmatch(b"\\*", b"a"));
        assert!(fnmatch(b"caf*", b"caf\xe9.conf"));
    }

    #[test]
    fn fnmatch_is_linear_on_many_stars() {
        let pattern = [b'*', b'a'].repeat(100);
        let name = vec![b'a'; 250];
        let started = std::time::Instant::now();
        fnmatch(&pattern, &name);
        assert!(started.elapsed().as_millis() < 500);
    }

    fn tree() -> Memory {
        let mut fs = Memory::new();
        for f in [
            "/r/conf.d/b.conf",
            "/r/conf.d/a.conf",
            "/r/conf.d/.hidden.conf",
            "/r/conf.d/notes.txt",
            "/r/conf.d/sub/z.conf",
            "/r/sites/one/site.conf",
            "/r/sites/two/site.conf",
            "/r/sites/three/other.conf",
            "/r/sites/file.conf",
        ] {
            fs.add_file(f, "");
        }
        fs.add_dir("/r/empty");
        fs
    }

    fn files(got: &[Expansion]) -> Vec<String> {
        got.iter()
            .map(|e| match e {
                Expansion::File(p) => p.display().to_string(),
                Expansion::Error(m) => format!("error: {m}"),
            })
            .collect()
    }

    #[test]
    fn wildcards_match_sorted_without_dotfiles_and_recurse_into_directories() {
        let fs = tree();
        assert_eq!(
            files(&expand(&fs, Path::new("/r/conf.d/*"), false)),
            [
                "/r/conf.d/a.conf",
                "/r/conf.d/b.conf",
                "/r/conf.d/notes.txt",
                "/r/conf.d/sub/z.conf"
            ]
        );
        assert_eq!(
            files(&expand(&fs, Path::new("/r/conf.d/*.conf"), false)),
            ["/r/conf.d/a.conf", "/r/conf.d/b.conf"]
        );
    }

    #[test]
    fn a_named_directory_is_read_whole_dotfiles_included() {
        let fs = tree();
        assert_eq!(
            files(&expand(&fs, Path::new("/r/conf.d"), false)),
            [
                "/r/conf.d/.hidden.conf",
                "/r/conf.d/a.conf",
                "/r/conf.d/b.conf",
                "/r/conf.d/notes.txt",
                "/r/conf.d/sub/z.conf"
            ]
        );
    }

    #[test]
    fn wildcard_directories_match_directories_only() {
        let fs = tree();
        // A literal component after the wildcard names a file that may be missing
        // (three/site.conf): opening it fails later, as in httpd.
        assert_eq!(
            files(&expand(&fs, Path::new("/r/sites/*/site.conf"), false)),
            [
                "/r/sites/one/site.conf",
                "/r/sites/three/site.conf",
                "/r/sites/two/site.conf"
            ]
        );
        assert_eq!(
            files(&expand(&fs, Path::new("/r/sites/t*/missing.conf"), false)),
            ["/r/sites/three/missing.conf", "/r/sites/two/missing.conf"]
        );
    }

    #[test]
    fn no_match_fails_include_but_not_includeoptional() {
        let fs = tree();
        assert_eq!(
            files(&expand(&fs, Path::new("/r/empty/*.conf"), false)),
            [
                "error: Include/IncludeOptional: No matches for the wildcard '*.conf' in '/r/empty', failing"
            ]
        );
        assert!(expand(&fs, Path::new("/r/empty/*.conf"), true).is_empty());
        assert_eq!(
            files(&expand(&fs, Path::new("/r/nodir/*.conf"), false)),
            [
                "error: Include/IncludeOptional: Could not open directory /r/nodir: No such file or directory"
            ]
        );
        assert!(expand(&fs, Path::new("/r/nodir/*.conf"), true).is_empty());
        // A plain missing file: Include lists it (opening fails), IncludeOptional not.
        assert_eq!(
            files(&expand(&fs, Path::new("/r/missing.conf"), false)),
            ["/r/missing.conf"]
        );
        assert!(expand(&fs, Path::new("/r/missing.conf"), true).is_empty());
    }

    #[test]
    fn directory_recursion_is_bounded() {
        let mut fs = Memory::new();
        let mut deep = PathBuf::from("/d");
        for _ in 0..200 {
            deep.push("x");
        }
        fs.add_file(deep.join("f.conf"), "");
        let got = expand(&fs, Path::new("/d"), false);
        assert!(
            matches!(got.last(), Some(Expansion::Error(m)) if m.contains("maximum include directory nesting level of 128"))
        );
    }
}
