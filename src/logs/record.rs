//! Record parser: one error-log line (or an assembled multi-line entry) into its fields.
//!
//! Pure functions over `&str`; nothing here allocates on the common path, so the parser can
//! run at millions of lines per second. Recognised headers: nginx
//! (`2024/05/01 12:00:00 [error] 12#12: *5 ...`), Apache 2.4 (default and common
//! `ErrorLogFormat` variants), Apache 2.2, and nginx's `nginx: [emerg] ...` startup lines. A
//! header is also found behind a docker / kubernetes / syslog / journald prefix. Lines pasted
//! into issues and chats are read like the records they were cut from: a header that lost
//! its date (`[error] 7#7: *1 ...`, `error] 7#7: ...`, `[proxy:error] [pid 1] ...`), quote
//! marks, prompts and emphasis around the line, an ellipsis where it was cut; a line with
//! no header at all is a fragment whose message is still classified. errno numbers are
//! read in the table of the system that wrote them (grammars/logs/errno.tsv).

use super::catalogue::{APR_OS_START_SYSERR, ErrnoTable};
use super::text;

/// Which server's log syntax a record was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Nginx,
    Apache,
    /// No header: a pasted message, classified as well as possible.
    Fragment,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Nginx => "nginx",
            Format::Apache => "apache",
            Format::Fragment => "fragment",
        }
    }
}

/// The fields of one log record, borrowed from the line.
#[derive(Debug, Clone, Default)]
pub struct Record<'a> {
    pub format: Option<Format>,
    /// Seconds since 1970-01-01 of the logged local time (the log carries no zone).
    pub time: Option<i64>,
    pub level: &'a str,
    /// Apache 2.4 module (`proxy` of `[proxy:error]`).
    pub module: &'a str,
    pub pid: Option<u64>,
    pub tid: Option<u64>,
    /// nginx connection number (`*5`).
    pub conn: Option<u64>,
    /// Apache `AHnnnnn` code.
    pub code: &'a str,
    /// errno (nginx) or APR status (Apache); `(EAI n)` is stored as APR does: 670000 + n.
    pub errno: Option<u32>,
    /// nginx `while ...` action.
    pub action: &'a str,
    /// The message stem: without errno, action and context.
    pub message: &'a str,
    /// What the template miner sees: Apache, everything after the level (Loghub's
    /// "Content"); nginx, the message with errno and action, without the context.
    pub content: &'a str,
    pub client: &'a str,
    pub server: &'a str,
    pub request: &'a str,
    pub upstream: &'a str,
    pub host: &'a str,
    pub referrer: &'a str,
    /// A second record glued onto this line without a newline (empty if none).
    pub glued: &'a str,
    /// The pasted line was cut (it ends in an ellipsis): its `while ...` action may be the
    /// start of a longer one.
    pub cut: bool,
    /// Logged while nginx read its configuration (the message ended in ` in file:line`:
    /// start, reload, `nginx -t`): no client request was involved.
    pub config_time: bool,
}

/// Parses one line. Never fails: a line without a recognisable header is a fragment.
pub fn parse(line: &str) -> Record<'_> {
    let line = trim_eol(line);
    // One record, filled in place by the parsers below: returning records (~330 bytes)
    // through each layer showed as memcpy in profiles.
    let mut rec = Record::default();
    // Most lines start with their header. A pasted line may end in marks (`cat -e`'s `$`, a
    // code mark, an ellipsis): one byte tells the rare line that does from the others.
    let marked = matches!(
        line.as_bytes().last(),
        Some(b' ' | b'\t' | b'.' | b'`' | b'*' | b'$' | 0xA6)
    );
    if marked || !parse_header(line, &mut rec) {
        parse_other(line, marked, &mut rec);
    }
    rec
}

/// A line that ends in paste marks or does not start with its header (a prefix, a pasted
/// fragment). Kept out of [`parse`] so that the common path stays small.
#[inline(never)]
fn parse_other<'a>(line: &'a str, marked: bool, rec: &mut Record<'a>) {
    let line = if marked {
        let (body, cut) = strip_paste_marks("", line);
        rec.cut = cut;
        if parse_header(body, rec) {
            return;
        }
        body
    } else {
        line
    };
    // A prefix may hide the header; each candidate that fails moves the search forward.
    // What the prefix opened (a backtick, `**`, a quote) is closed at the end of the line.
    let mut from = 0;
    let mut end = line.len();
    while let Some(start) = find_header(&line[from..end]).filter(|&s| s > 0) {
        from += start;
        let (body, cut) = strip_paste_marks(&line[..from], &line[from..end]);
        end = from + body.len();
        rec.cut |= cut;
        if parse_header(body, rec) {
            return;
        }
    }
    parse_headerless(line, rec);
}

/// `line` without its trailing `\r` and `\n` bytes.
fn trim_eol(line: &str) -> &str {
    let b = line.as_bytes();
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    &line[..end]
}

/// Fills the empty `rec` from the header at the start of `line`; when there is none,
/// returns false and leaves `rec` empty.
#[inline(always)]
fn parse_header<'a>(line: &'a str, rec: &mut Record<'a>) -> bool {
    parse_nginx(line, rec)
        || parse_apache(line, rec)
        || line
            .strip_prefix("nginx: [")
            .is_some_and(|rest| parse_nginx_startup(rest, rec))
}

/// Offset of an nginx or Apache header inside a line that starts with some prefix
/// (`2024-05-01T12:00:00Z stderr F `, `May  1 12:00:00 host nginx[1]: `, `web-1  | `).
/// Only the first 256 bytes are searched: prefixes are short, and a header deep inside a
/// line is part of a message.
fn find_header(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let limit = b.len().min(256);
    for (i, &c) in b[..limit].iter().enumerate().skip(1) {
        let found = match c {
            // A header at 0 was already tried: candidates start at 1.
            b'/' if i >= 5 => is_nginx_time(&b[i - 4..]).then_some(i - 4),
            b'[' => apache_time_len(&b[i..]).map(|_| i),
            b'n' => b[i..].starts_with(b"nginx: [").then_some(i),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

const NGINX_LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

/// One of [`NGINX_LEVELS`] (a `match` on the string: no loop of comparisons).
fn is_nginx_level(level: &str) -> bool {
    matches!(
        level,
        "debug" | "info" | "notice" | "warn" | "error" | "crit" | "alert" | "emerg"
    )
}

/// `YYYY/MM/DD HH:MM:SS [` at the start of `b`.
#[inline(always)]
fn is_nginx_time(b: &[u8]) -> bool {
    b.len() >= 21
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b' '
        && b[20] == b'['
        && DATE_DIGITS
            .iter()
            .fold(true, |ok, &i| ok & b[i].is_ascii_digit())
}

/// Where `YYYY/MM/DD HH:MM:SS` (and Apache's ISO form) holds digits. Checked without
/// early exit: a loop the compiler unrolls, where `all` became a call per line.
const DATE_DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

fn digits(b: &[u8]) -> u32 {
    b.iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

/// Days since 1970-01-01 of a date (chrono's calendar), `None` for a date that does not
/// exist. Logs are in time order: the last day asked is remembered per thread, so chrono
/// is asked once a day of log, not once a line.
fn days(y: u32, mo: u32, d: u32) -> Option<i64> {
    thread_local! {
        static LAST: std::cell::Cell<(u32, i64)> = const { std::cell::Cell::new((0, 0)) };
    }
    let key = y * 10_000 + mo * 100 + d;
    let (last_key, last_days) = LAST.get();
    if key == last_key {
        return Some(last_days);
    }
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?;
    let days = date
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    LAST.set((key, days));
    Some(days)
}

fn epoch(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days(y, mo, d)? * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s))
}

/// `YYYY?MM?DD?hh?mm?ss` with any separators (nginx's `2024/05/01 12:00:00`, Apache's
/// ISO `2024-05-01 12:00:00`); the caller has checked the digits.
#[inline]
fn datetime_at_fixed_offsets(s: &[u8]) -> Option<i64> {
    epoch(
        digits(&s[0..4]),
        digits(&s[5..7]),
        digits(&s[8..10]),
        digits(&s[11..13]),
        digits(&s[14..16]),
        digits(&s[17..19]),
    )
}

#[inline(always)]
fn parse_nginx<'a>(line: &'a str, rec: &mut Record<'a>) -> bool {
    let b = line.as_bytes();
    if !is_nginx_time(b) {
        return false;
    }
    let rest = &line[21..];
    let Some(close) = text::find2(rest, *b"] ") else {
        return false;
    };
    let level = &rest[..close];
    if !is_nginx_level(level) {
        return false;
    }
    nginx_after_level(&rest[close + 2..], 0, rec);
    rec.format = Some(Format::Nginx);
    rec.time = datetime_at_fixed_offsets(b);
    rec.level = level;
    true
}

/// What follows nginx's `[level] `: `PID#TID: `, `*CID ` and the message.
#[inline(always)]
fn nginx_after_level<'a>(mut rest: &'a str, glue_from: usize, rec: &mut Record<'a>) {
    if let Some((pid, tid, after)) = nginx_pid_tid(rest) {
        rec.pid = Some(pid);
        rec.tid = Some(tid);
        rest = after;
    }
    if let Some(after) = rest.strip_prefix('*') {
        let end = after
            .bytes()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if end > 0 && after[end..].starts_with(' ') {
            rec.conn = text::parse_u64(&after[..end]);
            rest = &after[end + 1..];
        }
    }
    nginx_message(rest, glue_from, rec);
}

/// `PID#TID: ` before the message: up to the first `": "`, split at the first `#`, both
/// numbers. The usual `1200#1200: ` is read in one pass; anything else takes the general
/// route, which gives the same answer.
#[inline(always)]
fn nginx_pid_tid(rest: &str) -> Option<(u64, u64, &str)> {
    let b = rest.as_bytes();
    let p = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(p) == Some(&b'#') {
        let t = b[p + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if p > 0 && t > 0 && b[p + 1 + t..].starts_with(b": ") {
            // Digits, `#` and digits hold no `": "`: this is the first one.
            let pid = text::parse_u64(&rest[..p]);
            let tid = text::parse_u64(&rest[p + 1..p + 1 + t]);
            return Some((pid?, tid?, &rest[p + 1 + t + 2..]));
        }
    }
    let colon = text::find2(rest, *b": ")?;
    let (p, t) = rest[..colon].split_once('#')?;
    Some((p.parse().ok()?, t.parse().ok()?, &rest[colon + 2..]))
}

/// `nginx: [emerg] host not found in upstream "x" in /etc/nginx/conf.d/a.conf:3`
fn parse_nginx_startup<'a>(rest: &'a str, rec: &mut Record<'a>) -> bool {
    let Some((level, msg)) = text::split_once2(rest, *b"] ") else {
        return false;
    };
    if !is_nginx_level(level) {
        return false;
    }
    nginx_message(msg, 0, rec);
    rec.format = Some(Format::Nginx);
    rec.level = level;
    true
}

/// Splits an nginx message into stem, errno, action and context.
///
/// nginx writes `<formatted message>[ (<errno>: <text>)][ while <action>][, client: ...]`:
/// the errno is appended right after the format string and the action and context by the
/// log handler, so they are peeled off from the end, never searched for inside the stem.
/// A glued record is looked for from byte `glue_from` on. Fills the message fields of the
/// empty `rec`.
fn nginx_message<'a>(text: &'a str, glue_from: usize, rec: &mut Record<'a>) {
    let glued_at = find_glued_nginx(text, glue_from);
    let text_end = glued_at.unwrap_or(text.len());
    let text_own = &text[..text_end];
    let (body, ctx) = split_context(text_own);
    let body_with_action = body;
    let (body, action) = match text::rfind_at(body, " while ", 1) {
        Some(i) => (&body[..i], &body[i + 7..]),
        None => (body, ""),
    };
    // What nginx logs while reading its configuration has no request context, and ends
    // in a line number.
    let body = if ctx.is_empty() && body.as_bytes().last().is_some_and(u8::is_ascii_digit) {
        let (body, config) = split_config_ref(body);
        rec.config_time = !config.is_empty();
        body
    } else {
        body
    };
    let (message, errno) = split_errno(body, rec.cut);
    rec.message = message;
    rec.errno = errno;
    rec.action = action;
    // The template miner sees the message with errno and action but not the context:
    // client, server and request would split one template per virtual host.
    rec.content = body_with_action;
    rec.glued = &text[text_end..];
    parse_nginx_context(ctx, rec);
}

/// ` in /etc/nginx/conf.d/a.conf:3`, which nginx appends to what it logs while reading its
/// configuration (after the errno, if any): the body without it, and `file:line`. Rare:
/// kept out of line so that it does not weigh on the inlining of the common path.
#[cold]
#[inline(never)]
fn split_config_ref(body: &str) -> (&str, &str) {
    let b = body.as_bytes();
    let Some(colon) = memchr::memrchr(b':', b) else {
        return (body, "");
    };
    let Some(at) = text::rfind_at(&body[..colon], " in ", 1) else {
        return (body, "");
    };
    let file = &body[at + 4..colon];
    let line_ok = b[colon + 1..].iter().all(u8::is_ascii_digit);
    if line_ok && (file.contains('/') || file.contains('\\') || file.ends_with(".conf")) {
        (&body[..at], &body[at + 4..])
    } else {
        (body, "")
    }
}

/// ` (NNN: text)` at the end of the body, the number read as Linux's (see [`ErrnoTable`]).
/// In a cut line the parenthesis may be left open (`(111: Connection ref`).
fn split_errno(body: &str, cut: bool) -> (&str, Option<u32>) {
    let closed = body.ends_with(')');
    if (closed || cut)
        && let Some(open) = text::rfind_at(body, " (", 1)
    {
        let inner = &body[open + 2..];
        let n = inner.bytes().take_while(u8::is_ascii_digit).count();
        let text_end = inner.len() - usize::from(closed);
        if n > 0
            && n < 10
            && inner[n..].starts_with(": ")
            && (closed || text::find_byte(b')', inner.as_bytes()).is_none())
            && let Some(number) = text::parse_u32(&inner[..n])
        {
            let message = &body[..open];
            let kevent = message.starts_with("kevent() ");
            let errno = ErrnoTable::get().to_linux(number, &inner[n + 2..text_end], kevent);
            return (message, Some(errno));
        }
    }
    (body, None)
}

/// nginx context starts at the first `, client: ` (http, stream), or else the first
/// `, resolver: `, or else the first `, upstream: `, or else the first `, server: ` (the
/// syslog server of `while logging to syslog`): one pass over the commas finds them all.
fn split_context(text: &str) -> (&str, &str) {
    let b = text.as_bytes();
    let (mut resolver, mut upstream, mut server) = (None, None, None);
    // The first comma is usually the context's, past the message: memchr's long stride.
    for i in memchr::memchr_iter(b',', b) {
        let at = &b[i..];
        if at.starts_with(b", client: ") {
            return (&text[..i], &text[i..]);
        }
        if resolver.is_none() && at.starts_with(b", resolver: ") {
            resolver = Some(i);
        }
        if upstream.is_none() && at.starts_with(b", upstream: ") {
            upstream = Some(i);
        }
        if server.is_none() && at.starts_with(b", server: ") {
            server = Some(i);
        }
    }
    match resolver.or(upstream).or(server) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

/// Fills client/server/request/upstream/host/referrer from `, key: value` pairs; quoted
/// values (`request: "GET / HTTP/1.1"`) may contain commas.
fn parse_nginx_context<'a>(mut ctx: &'a str, rec: &mut Record<'a>) {
    while let Some(rest) = ctx.strip_prefix(", ") {
        let Some((key, value_and_rest)) = context_key(rest) else {
            return;
        };
        let (value, next) = if let Some(q) = value_and_rest.strip_prefix('"') {
            match find_closing_quote(q) {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match text::find2(value_and_rest, *b", ") {
                Some(end) => (&value_and_rest[..end], &value_and_rest[end..]),
                None => (value_and_rest, ""),
            }
        };
        match key {
            "client" => rec.client = value,
            "server" => rec.server = value,
            "request" => rec.request = value,
            "upstream" => rec.upstream = value,
            "host" => rec.host = value,
            "referrer" => rec.referrer = value,
            "resolver" if rec.upstream.is_empty() => rec.upstream = value,
            _ => {}
        }
        ctx = next;
    }
}

/// Splits `key: rest` at the first `": "`. nginx's own keys are recognised by their first
/// byte and compared whole: they hold no colon, so the split is the same, without a search.
fn context_key(rest: &str) -> Option<(&str, &str)> {
    // Constant prefixes compare inline (a key chosen first and compared after was a memcmp
    // call per key).
    let b = rest.as_bytes();
    let n = match b.first() {
        Some(b'c') if b.starts_with(b"client: ") => 6,
        Some(b's') if b.starts_with(b"server: ") => 6,
        Some(b'r') if b.starts_with(b"request: ") => 7,
        Some(b'r') if b.starts_with(b"referrer: ") => 8,
        Some(b'u') if b.starts_with(b"upstream: ") => 8,
        Some(b'h') if b.starts_with(b"host: ") => 4,
        _ => return text::split_once2(rest, *b": "),
    };
    Some((&rest[..n], &rest[n + 2..]))
}

/// End of a quoted context value: a `"` followed by `, ` or the end of the line.
fn find_closing_quote(q: &str) -> Option<usize> {
    let b = q.as_bytes();
    let mut from = 0;
    while let Some(p) = text::find_byte(b'"', &b[from..]) {
        let i = from + p;
        if i + 1 == b.len() || b[i + 1..].starts_with(b", ") {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// A second nginx record glued onto this one (nginx writes these at shutdown when two
/// processes share the log without O_APPEND semantics): a timestamp header after a `[`,
/// starting at `from` or later.
fn find_glued_nginx(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    memchr::memchr_iter(b'[', b).find_map(|i| {
        let start = i.checked_sub(20).filter(|&s| s >= from)?;
        (is_nginx_time(&b[start..]) && nginx_level_follows(&b[i + 1..])).then_some(start)
    })
}

fn nginx_level_follows(b: &[u8]) -> bool {
    NGINX_LEVELS
        .iter()
        .any(|l| b.starts_with(l.as_bytes()) && b.get(l.len()) == Some(&b']'))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Length of an Apache time bracket at the start of `b` (`[Wed Oct 11 14:32:52.123456 2000]`
/// or `[2024-05-01 12:00:00.123456]` from `%{cu}t`), with the parsed time.
fn apache_time_len(b: &[u8]) -> Option<(usize, Option<i64>)> {
    if b.first() != Some(&b'[') {
        return None;
    }
    let close = text::find_byte(b']', &b[..b.len().min(48)])?;
    let inner = &b[1..close];
    apache_ctime(inner)
        .or_else(|| apache_iso(inner))
        .map(|t| (close + 1, Some(t)))
}

/// `Wed Oct 11 14:32:52[.123456] 2000`
fn apache_ctime(s: &[u8]) -> Option<i64> {
    if s.len() < 24 || s[3] != b' ' || s[7] != b' ' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| &s[4..7] == *m)? as u32 + 1;
    // Two digits and ` YYYY` at the end are the usual case; the general parse handles the
    // rest (a space-padded day, a longer year) the same way.
    let day = match s[8..10] {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => digits(&s[8..10]),
        _ => std::str::from_utf8(&s[8..10]).ok()?.trim().parse().ok()?,
    };
    let n = s.len();
    let year = if s[n - 5] == b' ' && s[n - 4..].iter().all(u8::is_ascii_digit) {
        digits(&s[n - 4..])
    } else {
        let year_at = s.iter().rposition(|&c| c == b' ')? + 1;
        std::str::from_utf8(&s[year_at..]).ok()?.parse().ok()?
    };
    let hms = &s[11..19];
    if !hms
        .iter()
        .enumerate()
        .all(|(i, c)| i % 3 == 2 || c.is_ascii_digit())
    {
        return None;
    }
    epoch(
        year,
        month,
        day,
        digits(&hms[0..2]),
        digits(&hms[3..5]),
        digits(&hms[6..8]),
    )
}

/// `2024-05-01 12:00:00[.123456]`
fn apache_iso(s: &[u8]) -> Option<i64> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if !DATE_DIGITS
        .iter()
        .fold(true, |ok, &i| ok & s[i].is_ascii_digit())
    {
        return None;
    }
    datetime_at_fixed_offsets(s)
}

const APACHE_LEVELS: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

fn parse_apache<'a>(line: &'a str, rec: &mut Record<'a>) -> bool {
    let Some((len, time)) = apache_time_len(line.as_bytes()) else {
        return false;
    };
    if !apache_fields(line[len..].trim_start(), rec) {
        return false;
    }
    rec.time = time;
    true
}

/// Fills the empty `rec` from what follows Apache's time bracket: the bracketed fields
/// (one of them the level) and the body. When there is no level, returns false and leaves
/// `rec` empty.
fn apache_fields<'a>(mut rest: &'a str, rec: &mut Record<'a>) -> bool {
    rec.format = Some(Format::Apache);
    let mut content_start = None;
    // The bracketed fields of the header, in whatever order the ErrorLogFormat has them.
    while rest.starts_with('[') {
        let Some(close) = text::find_byte(b']', rest.as_bytes()) else {
            break;
        };
        let inner = &rest[1..close];
        let after = rest[close + 1..].trim_start_matches(' ');
        if let Some(pid) = inner.strip_prefix("pid ") {
            let (p, t) = match text::find_at(pid, ":tid ", 0) {
                Some(i) => (&pid[..i], &pid[i + 5..]),
                None => (pid, ""),
            };
            rec.pid = text::parse_u64(p.trim());
            rec.tid = text::parse_u64(t.trim());
        } else if let Some(level) = apache_level(inner) {
            rec.module = level.0;
            rec.level = level.1;
            content_start.get_or_insert(after);
        } else if let Some(c) = inner.strip_prefix("client ") {
            rec.client = c;
        } else if let Some(backend) = inner.strip_prefix("remote ") {
            // httpd writes `[remote addr]` for a connection it opened: the backend's.
            rec.upstream = backend;
        } else {
            break;
        }
        rest = after;
    }
    if rec.level.is_empty() {
        // Not a header after all: `rec` goes back to empty for the next candidate.
        *rec = Record {
            cut: rec.cut,
            ..Record::default()
        };
        return false;
    }
    rec.content = content_start.unwrap_or(rest);
    apache_body(rest, rec);
    true
}

/// `proxy:error`, `error`, `:error` (module missing) → (module, level).
fn apache_level(inner: &str) -> Option<(&str, &str)> {
    let (module, level) = inner.rsplit_once(':').unwrap_or(("", inner));
    APACHE_LEVELS.contains(&level).then_some((module, level))
}

/// The part after the header brackets: `[file(line): ][(status)text: ][[client x] ]AHnnnnn: msg[, referer: r]`.
fn apache_body<'a>(mut rest: &'a str, rec: &mut Record<'a>) {
    rest = skip_source_location(rest);
    if let Some((status, after)) = apache_status(rest) {
        rec.errno = Some(status);
        rest = after;
    }
    if let Some(c) = rest.strip_prefix("[client ")
        && let Some(close) = text::find2(c, *b"] ")
    {
        rec.client = &c[..close];
        rest = &c[close + 2..];
    }
    if let Some((code, msg)) = split_ah_code(rest) {
        rec.code = code;
        rest = msg;
    }
    if let Some(i) = text::rfind_at(rest, ", referer: ", 0) {
        rec.referrer = &rest[i + 11..];
        rest = &rest[..i];
    }
    rec.message = rest;
}

/// `proxy_util.c(2765): ` printed by `%F` at debug levels. Read from the front (a file
/// name, `.c(`, digits, `): `): searching the message for `"): "` cost a pass over every
/// Apache line.
fn skip_source_location(rest: &str) -> &str {
    let b = rest.as_bytes();
    let name = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
        .count();
    if name < 3 || !b[..name].ends_with(b".c") || b.get(name) != Some(&b'(') {
        return rest;
    }
    let digits = b[name + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let after = name + 1 + digits;
    if b[after..].starts_with(b"): ") {
        &rest[after + 3..]
    } else {
        rest
    }
}

/// `(111)Connection refused: `, `(EAI 2)Name or service not known: ` or Windows'
/// `(OS 10061)No connection could be made ...  : `. An errno is read as Linux's (see
/// [`ErrnoTable`]); APR's own statuses (70007, 20014...) are the same everywhere.
fn apache_status(rest: &str) -> Option<(u32, &str)> {
    let inner = rest.strip_prefix('(')?;
    let close = text::find_byte(b')', inner.as_bytes())?;
    let num = &inner[..close];
    let after = &inner[close + 1..];
    let colon = text::find2(after, *b": ")?;
    let status = if let Some(eai) = num.strip_prefix("EAI ") {
        670_000 + text::parse_u32(eai)?
    } else {
        let n = match num.strip_prefix("OS ") {
            Some(os) => APR_OS_START_SYSERR.checked_add(text::parse_u32(os)?)?,
            None => text::parse_u32(num)?,
        };
        ErrnoTable::get().to_linux(n, &after[..colon], false)
    };
    Some((status, &after[colon + 2..]))
}

/// `AH00957: msg`; AH codes have 5 or 6 digits (httpd has a few typos like AH010117).
fn split_ah_code(rest: &str) -> Option<(&str, &str)> {
    let b = rest.as_bytes();
    if !rest.starts_with("AH") {
        return None;
    }
    let n = b[2..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(4..=6).contains(&n) || !rest[2 + n..].starts_with(": ") {
        return None;
    }
    Some((&rest[..2 + n], &rest[2 + n + 2..]))
}

/// A line without a dated header: pasted, it may have lost the date but kept the rest of
/// the header, and gained marks around it. Fills the empty `rec`.
fn parse_headerless<'a>(line: &'a str, rec: &mut Record<'a>) {
    let (start, kind) = match find_dateless(line) {
        Some((start, kind)) => (start, Some(kind)),
        None => (paste_lead_len(line), None),
    };
    let (body, cut) = strip_paste_marks(&line[..start], &line[start..]);
    rec.cut |= cut;
    match kind {
        Some(Dateless::Nginx { level, after }) => {
            nginx_after_level(body.get(after..).unwrap_or(""), 0, rec);
            rec.format = Some(Format::Nginx);
            rec.level = level;
        }
        Some(Dateless::Apache) if apache_fields(body, rec) => {}
        Some(Dateless::Level { level, after }) => {
            parse_fragment(body.get(after..).unwrap_or(""), rec);
            rec.level = level;
        }
        _ => parse_fragment(body, rec),
    }
}

/// A header without its date, found by [`find_dateless`]; offsets are from its start.
enum Dateless<'a> {
    /// `[error] 7#7: `, `error] 7#7: `, `[error] *5 `: `after` is where `7#7` starts.
    Nginx { level: &'a str, after: usize },
    /// `[proxy:error] `, `[error] [client ...`: the bracketed fields start here.
    Apache,
    /// `[error] ` before a message that does not say which server wrote it.
    Level { level: &'a str, after: usize },
}

/// Where a header that lost its date starts, within the first 160 bytes (a prompt, a quote
/// mark, a cut date may come before it).
fn find_dateless(line: &str) -> Option<(usize, Dateless<'_>)> {
    let b = line.as_bytes();
    let limit = b.len().min(160);
    for close in memchr::memchr_iter(b']', &b[..limit]) {
        if b.get(close + 1) != Some(&b' ') {
            continue;
        }
        let word_start = b[..close]
            .iter()
            .rposition(|c| {
                !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b':')
            })
            .map_or(0, |p| p + 1);
        let bracketed = word_start > 0 && b[word_start - 1] == b'[';
        let word = &line[word_start..close];
        let rest = &line[close + 2..];
        let start = word_start - usize::from(bracketed);
        let after = close + 2 - start;
        if word.contains(':') {
            if bracketed && apache_level(word).is_some() {
                return Some((start, Dateless::Apache));
            }
            continue;
        }
        if bracketed && rest.starts_with('[') && apache_level(word).is_some() {
            return Some((start, Dateless::Apache));
        }
        if !is_nginx_level(word) {
            continue;
        }
        let conn = rest
            .strip_prefix('*')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
        if conn || nginx_pid_tid(rest).is_some() {
            return Some((start, Dateless::Nginx { level: word, after }));
        }
        if bracketed {
            return Some((start, Dateless::Level { level: word, after }));
        }
    }
    None
}

/// Length of what pasting puts before a fragment: indentation, quote marks (`>`, `|`),
/// emphasis and code marks, list bullets, a shell prompt (`$ `, `# `).
fn paste_lead_len(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'>' | b'|' | b'`' | b'\'' | b'"' | b'_' | b'-' | b'+' => i += 1,
            // `*5 connect() ...` keeps its connection number.
            b'*' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
            b'$' | b'#' if b.get(i + 1) == Some(&b' ') => i += 2,
            _ => break,
        }
    }
    i
}

/// `body` without what pasting added after it: the closing half of the code marks,
/// emphasis and quotes `prefix` opened, `cat -e`'s `$`, and an ellipsis where the line was
/// cut (then the bool is true).
fn strip_paste_marks<'a>(prefix: &str, body: &'a str) -> (&'a str, bool) {
    let mut s = body;
    let mut cut = false;
    // A quote closes once: `host: "x""` keeps the value's own quote.
    let mut quotes = [b'\'', b'"'].map(|q| prefix.as_bytes().contains(&q));
    loop {
        let before = s.len();
        s = s.trim_end_matches([' ', '\t']);
        if let Some(r) = s.strip_suffix("...").or_else(|| s.strip_suffix('…')) {
            s = r;
            cut = true;
        }
        s = s.trim_end_matches(['`', '*', '$']);
        for (q, open) in [b'\'', b'"'].iter().zip(quotes.iter_mut()) {
            if *open && s.as_bytes().last() == Some(q) {
                s = &s[..s.len() - 1];
                *open = false;
            }
        }
        if s.len() == before {
            return (s, cut);
        }
    }
}

/// A headerless line: nginx-looking message (errno/while/context) unless it carries an AH
/// code or an APR status. Fills the empty `rec`.
fn parse_fragment<'a>(line: &'a str, rec: &mut Record<'a>) {
    // httpd 2.2 at debug level writes the source location first: `proxy_util.c(2765): `.
    let trimmed = skip_source_location(line.trim_start());
    if apache_status(trimmed).is_some() {
        // `(104)Connection reset by peer: mod_fcgid: ...`: an Apache body without header.
        rec.format = Some(Format::Fragment);
        rec.content = trimmed;
        apache_body(trimmed, rec);
        return;
    }
    if let Some(i) = text::find_at(trimmed, "AH", 1) {
        let cand = &trimmed[i..];
        if split_ah_code(cand).is_some() {
            rec.format = Some(Format::Fragment);
            rec.content = trimmed;
            // Keep a status that precedes the code: `(111)Connection refused: AH00957: ...`.
            let head = &trimmed[..i];
            if let Some((status, _)) = apache_status(head.trim_start()) {
                rec.errno = Some(status);
            }
            apache_body(cand, rec);
            return;
        }
    }
    // A header at the very start of a fragment is one that failed to parse (a level glued to
    // the message): taking it for a glued record would hand the same text back to `parse`
    // forever.
    nginx_after_level(trimmed, 1, rec);
    rec.format = Some(Format::Fragment);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_line_with_errno_action_and_context() {
        let r = parse(
            "2024/05/01 12:00:03 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: app, request: \"GET /a?b=c, d HTTP/1.1\", upstream: \"http://127.0.0.1:9/a\", host: \"x\"",
        );
        assert_eq!(r.format, Some(Format::Nginx));
        assert_eq!(r.level, "error");
        assert_eq!((r.pid, r.tid, r.conn), (Some(31), Some(31), Some(7)));
        assert_eq!(r.message, "connect() failed");
        assert_eq!(r.errno, Some(111));
        assert_eq!(r.action, "connecting to upstream");
        assert_eq!(r.client, "10.0.0.1");
        assert_eq!(r.request, "GET /a?b=c, d HTTP/1.1");
        assert_eq!(r.upstream, "http://127.0.0.1:9/a");
        assert_eq!(r.host, "x");
        assert_eq!(r.time, Some(1_714_564_803));
    }

    #[test]
    fn ssl_detail_stays_in_the_stem() {
        let r = parse(
            "2024/05/01 12:00:03 [error] 31#31: *7 SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream, client: 1",
        );
        assert_eq!(r.errno, None);
        assert!(r.message.ends_with("wrong version number)"));
    }

    #[test]
    fn apache24_status_before_client() {
        let r = parse(
            "[Sun May 05 10:00:00.123456 2024] [proxy:error] [pid 10:tid 20] (111)Connection refused: [client 127.0.0.1:5000] AH00957: HTTP: attempt to connect to 127.0.0.1:9 (127.0.0.1:9) failed, referer: http://x/",
        );
        assert_eq!(r.format, Some(Format::Apache));
        assert_eq!((r.module, r.level), ("proxy", "error"));
        assert_eq!((r.pid, r.tid), (Some(10), Some(20)));
        assert_eq!(r.errno, Some(111));
        assert_eq!(r.client, "127.0.0.1:5000");
        assert_eq!(r.code, "AH00957");
        assert_eq!(r.referrer, "http://x/");
        assert!(r.message.starts_with("HTTP: attempt"));
    }

    #[test]
    fn apache22_and_eai_status() {
        let r = parse(
            "[Wed Oct 11 14:32:52 2000] [error] [client 1.2.3.4] (EAI 2)Name or service not known: proxy: DNS lookup failure for: backend returned by /",
        );
        assert_eq!(r.errno, Some(670_002));
        assert_eq!(r.client, "1.2.3.4");
        assert_eq!(
            r.message,
            "proxy: DNS lookup failure for: backend returned by /"
        );
    }

    #[test]
    fn prefixed_lines_find_the_header() {
        for prefix in [
            "2024-05-01T12:00:03.123456789Z stderr F ",
            "May  1 12:00:03 web nginx[31]: ",
            "web-1  | ",
        ] {
            let line = format!(
                "{prefix}2024/05/01 12:00:03 [error] 31#31: *7 no live upstreams while connecting to upstream, client: 1"
            );
            let r = parse(&line);
            assert_eq!(r.format, Some(Format::Nginx), "{prefix}");
            assert_eq!(r.message, "no live upstreams");
        }
    }

    #[test]
    fn glued_records_are_split() {
        let line = "2024/05/01 12:00:03 [error] 31#31: *7 no live upstreams while connecting to upstream, client: 1, host: \"x\"2024/05/01 12:00:04 [notice] 1#1: signal process started";
        let r = parse(line);
        assert_eq!(r.host, "x");
        assert!(r.glued.starts_with("2024/05/01 12:00:04 [notice]"));
    }

    #[test]
    fn fragments_are_parsed_like_messages() {
        let r = parse(
            "upstream timed out (110: Connection timed out) while reading response header from upstream",
        );
        assert_eq!(r.format, Some(Format::Fragment));
        assert_eq!(r.message, "upstream timed out");
        assert_eq!(r.errno, Some(110));
        let r = parse(
            "(70007)The timeout specified has expired: AH01102: error reading status line from remote server 127.0.0.1:8080",
        );
        assert_eq!((r.code, r.errno), ("AH01102", Some(70007)));
    }

    /// Found by proptest: a timestamp whose level is not a level made `parse` find the
    /// same header again at offset 0 and recurse until the stack overflowed.
    #[test]
    fn header_lookalike_with_bad_level_terminates() {
        let r = parse("2024/05/01 12:00:03 [bogus] 1#1: *1 upstream timed out");
        assert_eq!(r.format, Some(Format::Fragment));
        let r = parse(
            "x 2024/05/01 12:00:03 [bogus] y 2024/05/01 12:00:04 [error] 1#1: no live upstreams",
        );
        assert_eq!(r.format, Some(Format::Nginx));
        assert_eq!(r.message, "no live upstreams");
    }

    /// Found by a mangled-lines corpus: a fragment starting with an nginx header whose level
    /// is glued to the message was split as "empty record + glued record" at offset 0, and
    /// the glued record (the same text) was parsed again until the stack overflowed.
    #[test]
    fn header_lookalike_at_fragment_start_is_not_glued() {
        let line = "2024/05/21 00:18:26 [error]FastCGI sent in stderr: \" 1#1: *4 connect() failed (111: Connection refused) while connecting to upstream, client: 1";
        let r = parse(line);
        assert_eq!(r.format, Some(Format::Fragment));
        assert!(r.glued.is_empty());
        let prefixed = format!("x {line}");
        let r = parse(&prefixed);
        assert!(r.glued.starts_with("2024/05/21"));
        assert!(parse(r.glued).glued.is_empty());
    }

    #[test]
    fn level_match_is_the_level_list() {
        for level in NGINX_LEVELS {
            assert!(is_nginx_level(level));
        }
        for other in ["", "err", "errors", "Error", "warning", "trace1"] {
            assert!(!is_nginx_level(other), "{other}");
        }
    }

    #[test]
    fn context_keys_split_like_the_first_colon() {
        for rest in [
            "client: 1",
            "clients: 1",
            "client:1, x: 2",
            "server: a",
            "request: \"GET\"",
            "referrer: \"r\"",
            "reques: x",
            "upstream: \"u\"",
            "host: \"h\"",
            "hostname: h",
            "c",
            "cli",
            "x: y",
            "",
        ] {
            assert_eq!(
                context_key(rest),
                text::split_once2(rest, *b": "),
                "{rest:?}"
            );
        }
    }

    #[test]
    fn source_location_is_skipped_only_when_it_is_one() {
        for (rest, want) in [
            ("proxy_util.c(2765): AH00942: x", "AH00942: x"),
            ("mod_proxy_http.c(1976): proxy: y", "proxy: y"),
            ("proxy_util.c(): z", "z"),
            ("AH00942: f(1): x", "AH00942: f(1): x"),
            ("x.c (1): y", "x.c (1): y"),
            ("x.h(1): y", "x.h(1): y"),
            ("x.c(12a): y", "x.c(12a): y"),
            ("é.c(1): y", "é.c(1): y"),
            ("", ""),
        ] {
            assert_eq!(skip_source_location(rest), want, "{rest:?}");
        }
    }

    #[test]
    fn dateless_headers_keep_their_fields() {
        for line in [
            "[error] 7#8: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1",
            "error] 7#8: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1",
            "'**[error] 7#8: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1**'",
            "> 12:00:00 [error] 7#8: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 1",
        ] {
            let r = parse(line);
            assert_eq!(r.format, Some(Format::Nginx), "{line}");
            assert_eq!(
                (r.level, r.pid, r.tid, r.conn),
                ("error", Some(7), Some(8), Some(9))
            );
            assert_eq!(
                (r.message, r.errno),
                ("connect() failed", Some(111)),
                "{line}"
            );
            assert_eq!(r.client, "1", "{line}");
            assert_eq!(r.time, None);
        }
        let r = parse("> [proxy:error] [pid 5:tid 6] (111)Connection refused: AH00957: HTTP: x");
        assert_eq!(r.format, Some(Format::Apache));
        assert_eq!((r.pid, r.errno, r.code), (Some(5), Some(111), "AH00957"));
    }

    #[test]
    fn a_quote_opened_before_the_line_closes_once() {
        let r = parse(
            "\"2024/05/01 12:00:03 [error] 1#1: *7 no live upstreams while connecting to upstream, client: 1, host: \"x\"\"",
        );
        assert_eq!(r.host, "x");
        let r =
            parse("2024/05/01 12:00:03 [error] 1#1: *7 no live upstreams, client: 1, host: \"x\"$");
        assert_eq!(r.host, "x");
    }

    #[test]
    fn a_cut_line_keeps_its_open_errno_and_says_it_was_cut() {
        let r = parse("[error] 7#7: *10 connect() failed (111: Connection ref…");
        assert!(r.cut);
        assert_eq!((r.message, r.errno), ("connect() failed", Some(111)));
        // Uncut, an open parenthesis is part of the message.
        let r = parse("[error] 7#7: *10 connect() failed (111: Connection ref");
        assert!(!r.cut);
        assert_eq!(r.errno, None);
    }

    #[test]
    fn errno_of_other_systems_is_read_as_linux() {
        let r = parse(
            "2024/05/01 12:00:03 [error] 1#100: *7 kevent() reported that connect() failed (61: Connection refused) while connecting to upstream, client: 1",
        );
        assert_eq!(r.errno, Some(111));
        let r = parse(
            "[Sun May 05 10:00:00.1 2024] [proxy:error] [pid 1:tid 2] (OS 10061)No connection could be made because the target machine actively refused it.  : AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed",
        );
        assert_eq!((r.errno, r.code), (Some(111), "AH00957"));
        assert!(r.message.starts_with("HTTP: attempt"));
    }

    #[test]
    fn syslog_server_is_context_not_action() {
        let r = parse(
            "2024/05/01 12:00:03 [error] 25#25: connect() failed (2: No such file or directory) while logging to syslog, server: unix:/dev/log",
        );
        assert_eq!(r.action, "logging to syslog");
        assert_eq!(r.server, "unix:/dev/log");
    }

    #[test]
    fn apache_remote_is_the_backend_connection() {
        let r = parse(
            "[Sun May 05 10:00:00.1 2024] [ssl:error] [pid 1:tid 2] [remote 10.0.0.9:443] AH02039: Certificate Verification: Error (18): self-signed certificate",
        );
        assert_eq!((r.upstream, r.client), ("10.0.0.9:443", ""));
    }

    #[test]
    fn configuration_reference_is_split_off() {
        let r = parse(
            "2024/05/01 12:00:03 [emerg] 1#1: host not found in upstream \"backend\" in /etc/nginx/conf.d/default.conf:2",
        );
        assert_eq!(r.message, "host not found in upstream \"backend\"");
        assert!(r.config_time);
        let r = parse(
            "nginx: [emerg] open() \"/etc/nginx/x.conf\" failed (2: No such file or directory) in /etc/nginx/nginx.conf:12",
        );
        assert_eq!(
            (r.message, r.errno),
            ("open() \"/etc/nginx/x.conf\" failed", Some(2))
        );
        assert!(r.config_time);
        // Request-time lines carry context, never a configuration reference.
        let r = parse(
            "2024/05/01 12:00:03 [error] 1#1: *1 upstream sent invalid status in 1:2, client: 1",
        );
        assert!(!r.config_time);
    }

    #[test]
    fn startup_emerg() {
        let r = parse(
            "nginx: [emerg] host not found in upstream \"backend:8080\" in /etc/nginx/conf.d/a.conf:3",
        );
        assert_eq!(r.level, "emerg");
        assert!(r.message.starts_with("host not found in upstream"));
    }
}
