//! Small text helpers both dialects use. Pure functions over strings; no I/O, no
//! knowledge of either server.

use std::borrow::Cow;

/// `s` in ASCII lower case, borrowed when it has no capital (nearly every scheme and
/// host name: httpd's proxy lines and nginx's upstream names are read this way, and
/// matched case-insensitively as the servers match them).
pub fn ascii_lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}
