//! Which configuration language a file is written in, from its name and its first lines:
//! what `proxylint FILE` does without `--dialect`.
//!
//! Knows only the surface of each language (nginx ends statements with `;` and opens
//! blocks with `{`; httpd writes one directive per line and sections as `<Tag ...>`),
//! not their grammars. Pure: reads the name and the text it is given.

use std::path::Path;

use crate::workspace::Dialect;

/// How many bytes of a file are looked at: the first directives decide.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The dialect a file's name says, if it says one: httpd's and Debian's main files, the
/// directories of an Apache tree, `.htaccess`; nginx's main file and tree.
pub fn by_name(path: &Path) -> Option<Dialect> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    match name.as_str() {
        "apache2.conf" | "httpd.conf" | ".htaccess" => return Some(Dialect::Apache),
        "nginx.conf" => return Some(Dialect::Nginx),
        _ => {}
    }
    // A file of /etc/apache2/sites-enabled, /etc/httpd/conf.d...: its tree's name, one
    // or two levels up (further up is the user's checkout, not the server's tree).
    path.parent()?
        .ancestors()
        .take(2)
        .filter_map(|a| a.file_name())
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .find_map(|n| match n.as_str() {
            "apache2" | "apache" | "httpd" => Some(Dialect::Apache),
            "nginx" => Some(Dialect::Nginx),
            _ => None,
        })
}

/// The dialect the text reads as: each significant line votes (`<Section>` lines and
/// lines without a statement end for httpd, lines ending in `;`, `{` or `}` for nginx);
/// a tie, an empty, binary or unreadable text is nginx's, as proxylint has always read it.
pub fn by_content(text: &[u8]) -> Dialect {
    let text = &text[..text.len().min(SNIFF_BYTES)];
    // Binary data says nothing about a dialect: nginx's reader reports it, as before.
    if crate::source::binary_evidence(text).is_some() {
        return Dialect::Nginx;
    }
    let (mut apache, mut nginx) = (0usize, 0usize);
    for line in text.split(|&b| b == b'\n').take(400) {
        let line = line.trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        match (line[0], line[line.len() - 1]) {
            (b'<', b'>')
                if line
                    .get(1)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/') =>
            {
                apache += 2;
            }
            (_, b';' | b'{' | b'}') => nginx += 1,
            // httpd continues a line with `\`; nginx's statements span lines freely.
            (_, b'\\') => {}
            (first, _) if first.is_ascii_uppercase() => apache += 1,
            _ => {}
        }
    }
    if apache > nginx {
        Dialect::Apache
    } else {
        Dialect::Nginx
    }
}

/// The dialect of a file: forced, else from its name, else from its content.
pub fn of(path: &Path, text: &[u8], forced: Option<Dialect>) -> Dialect {
    forced
        .or_else(|| by_name(path))
        .unwrap_or_else(|| by_content(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_first() {
        assert_eq!(
            by_name(Path::new("/etc/apache2/apache2.conf")),
            Some(Dialect::Apache)
        );
        assert_eq!(by_name(Path::new("conf/httpd.conf")), Some(Dialect::Apache));
        assert_eq!(
            by_name(Path::new("/etc/apache2/sites-enabled/000-default.conf")),
            Some(Dialect::Apache)
        );
        assert_eq!(
            by_name(Path::new("/etc/nginx/sites-enabled/default")),
            Some(Dialect::Nginx)
        );
        assert_eq!(by_name(Path::new("site.conf")), None);
    }

    #[test]
    fn content_votes() {
        let apache = b"# a site\n<VirtualHost *:80>\n    ServerName a.example\n    ProxyPass / http://127.0.0.1:8080/\n</VirtualHost>\n";
        assert_eq!(by_content(apache), Dialect::Apache);
        let nginx = b"server {\n    listen 80;\n    location / { proxy_pass http://b; }\n}\n";
        assert_eq!(by_content(nginx), Dialect::Nginx);
        // A one-directive Apache snippet, and nginx's old-style capitalised nothing.
        assert_eq!(by_content(b"ProxyTimeout 5\n"), Dialect::Apache);
        assert_eq!(by_content(b""), Dialect::Nginx);
        assert_eq!(by_content(b"\xff\xfe\x00garbage"), Dialect::Nginx);
    }
}
