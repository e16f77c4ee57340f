//! Debian's `/etc/apache2/envvars`: the shell file `apache2ctl` and the init scripts
//! source before starting httpd, which sets the `APACHE_*` variables `apache2.conf`
//! uses (`User ${APACHE_RUN_USER}`, `ErrorLog ${APACHE_LOG_DIR}/error.log`).
//!
//! Not a shell: the assignments at the top level (`export NAME=value`, `NAME=value`
//! then `export NAME`, `unset NAME`) with quoting and `$NAME` / `${NAME}` /
//! `${NAME:-default}` expansion; everything inside `if`/`case`/loops is skipped (in
//! Debian's file that only computes an empty `SUFFIX` for the default instance).
//! Pure: text in, variables out.

use foldhash::{HashMap, HashMapExt};

/// One shell word starting at `s` (up to unquoted blank, `;` or end); returns the
/// expanded word and the rest.
fn word<'a>(s: &'a str, vars: &HashMap<String, String>) -> (String, &'a str) {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    let expand = |rest: &str, out: &mut String| -> usize {
        // `rest` starts after `$`; returns the bytes used.
        if let Some(inner) = rest.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                return 0;
            };
            let body = &inner[..end];
            let value = match body.split_once(":-") {
                Some((name, default)) => vars
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or_else(|| default.to_string()),
                None if body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                    vars.get(body).cloned().unwrap_or_default()
                }
                // Other operators (`##`, `%%`...) are not followed.
                None => String::new(),
            };
            out.push_str(&value);
            return end + 2;
        }
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if len == 0 {
            out.push('$');
            return 0;
        }
        out.push_str(vars.get(&rest[..len]).map_or("", String::as_str));
        len
    };
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | ';' => return (out, &s[i..]),
            '\'' => {
                let rest = &s[i + 1..];
                let end = rest.find('\'').unwrap_or(rest.len());
                out.push_str(&rest[..end]);
                let skip_to = i + 1 + end + 1;
                while chars.peek().is_some_and(|(j, _)| *j < skip_to) {
                    chars.next();
                }
            }
            '"' => {
                while let Some((j, d)) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                if !matches!(e, '$' | '`' | '"' | '\\') {
                                    out.push('\\');
                                }
                                out.push(e);
                            }
                        }
                        '$' => {
                            let used = expand(&s[j + 1..], &mut out);
                            for _ in 0..used {
                                chars.next();
                            }
                        }
                        other => out.push(other),
                    }
                }
            }
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    out.push(e);
                }
            }
            '$' => {
                let used = expand(&s[i + 1..], &mut out);
                for _ in 0..used {
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    (out, "")
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The variables an envvars file exports, in the order they were first exported,
/// with their final values.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut exported: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split([' ', '\t', ';']).next().unwrap_or_default();
        match first {
            "if" | "case" | "for" | "while" | "until" => {
                depth += 1;
                // A one-line `if ...; then ...; fi`.
                if line.ends_with("fi") || line.ends_with("esac") || line.ends_with("done") {
                    depth -= 1;
                }
                continue;
            }
            "fi" | "esac" | "done" => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ if depth > 0 => continue,
            "unset" => {
                for name in line.split_whitespace().skip(1) {
                    vars.remove(name);
                    exported.retain(|e| e != name);
                }
                continue;
            }
            _ => {}
        }
        let (export, rest) = match line.strip_prefix("export") {
            Some(r) if r.starts_with([' ', '\t']) => (true, r.trim_start()),
            _ => (false, line),
        };
        let mut rest = rest;
        while !rest.is_empty() {
            let (name, after) = match rest.find('=') {
                Some(eq) if is_name(&rest[..eq]) => (&rest[..eq], Some(&rest[eq + 1..])),
                _ => {
                    let end = rest.find([' ', '\t', ';']).unwrap_or(rest.len());
                    (&rest[..end], None)
                }
            };
            let remaining = match after {
                Some(value) => {
                    let (value, remaining) = word(value, &vars);
                    vars.insert(name.to_string(), value);
                    remaining
                }
                None => {
                    if !export {
                        // A command (`. /etc/default/locale`): not followed.
                        break;
                    }
                    &rest[name.len()..]
                }
            };
            if export && is_name(name) && !exported.iter().any(|e| e == name) {
                exported.push(name.to_string());
            }
            rest = remaining.trim_start_matches([' ', '\t']);
            if rest.starts_with(';') || rest.starts_with('#') {
                break;
            }
            if !export {
                // `A=1 B=2 command`: only plain assignments are followed.
                if !rest.contains('=') {
                    break;
                }
            }
        }
    }
    exported
        .into_iter()
        .map(|name| {
            let value = vars.get(&name).cloned().unwrap_or_default();
            (name, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of Debian's file (written for this test, not copied).
    const DEBIAN_LIKE: &str = r#"
# comment
unset HOME
if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
	SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
else
	SUFFIX=
fi
export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
export APACHE_RUN_DIR=/var/run/apache2$SUFFIX
export APACHE_LOG_DIR="/var/log/apache2${SUFFIX}"
export LANG=C
export LANG
#export APACHE_LYNX='www-browser -dump'
APACHE_ULIMIT_MAX_FILES='ulimit -n 65536'
"#;

    #[test]
    fn exported_assignments_are_read_and_branches_skipped() {
        let vars = parse(DEBIAN_LIKE);
        let get = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("APACHE_RUN_USER"), Some("www-data"));
        assert_eq!(get("APACHE_PID_FILE"), Some("/var/run/apache2/apache2.pid"));
        assert_eq!(get("APACHE_LOG_DIR"), Some("/var/log/apache2"));
        assert_eq!(get("LANG"), Some("C"));
        assert_eq!(get("APACHE_ULIMIT_MAX_FILES"), None);
        assert_eq!(get("SUFFIX"), None);
    }

    #[test]
    fn quoting_and_defaults() {
        let vars = parse(
            "A='x y'\nexport B=\"$A-\\$z\" C=${NOPE:-dflt} D=\"${A}\"\nexport A\nexport E=a\\ b\n",
        );
        assert_eq!(
            vars,
            vec![
                ("B".to_string(), "x y-$z".to_string()),
                ("C".to_string(), "dflt".to_string()),
                ("D".to_string(), "x y".to_string()),
                ("A".to_string(), "x y".to_string()),
                ("E".to_string(), "a b".to_string()),
            ]
        );
    }

    #[test]
    fn garbage_is_ignored_without_panicking() {
        for text in [
            "export",
            "export =",
            "=x",
            "export A=\"unterminated",
            "A=${",
            "$(",
            "\u{0}\u{1}",
        ] {
            let _ = parse(text);
        }
    }
}
