//! Template miner for lines no catalogue entry matches, so nothing is dropped: a
//! Drain-style parser (He et al., ICWS 2017) over tokens whose variable parts (numbers, IPs,
//! hex ids, paths, URLs) are masked first.
//!
//! Lines are split on spaces; each token is masked to `<*>` when it is a variable, keeping
//! surrounding punctuation (`[client 1.2.3.4]` → `[client <*>]`). A hash of the masked token
//! sequence maps straight to its template, so a repeated template costs one hash lookup; only
//! new sequences walk the Drain tree (length → first token → similarity search) and may merge
//! into an existing template, turning the differing positions into `<*>`.
//! Memory is bounded: at most `MAX_TEMPLATES` templates and `MAX_FINGERPRINTS` cached sequences.

use std::hash::Hasher;

use super::text;

pub const WILDCARD: &str = "<*>";
pub const MAX_TEMPLATES: usize = 4_000;
/// Longest token kept literally in a template; longer ones are variables.
const MAX_TOKEN: usize = 64;
const MAX_FINGERPRINTS: usize = 100_000;
/// Drain's similarity threshold: the share of equal tokens needed to join a template.
const SIMILARITY: f64 = 0.5;

/// One mined template.
#[derive(Debug, Clone)]
pub struct Template {
    pub tokens: Vec<Box<str>>,
    pub count: u64,
}

impl Template {
    pub fn text(&self) -> String {
        self.tokens.join(" ")
    }
}

#[derive(Default)]
pub struct Miner {
    templates: Vec<Template>,
    /// Masked token sequences seen, by fingerprint (a 64-bit hash: among at most
    /// `MAX_FINGERPRINTS` sequences, two colliding is far below one in a billion), so
    /// a repeated line costs one lookup.
    by_fingerprint: foldhash::HashMap<u64, u32>,
    /// Drain's tree: templates by token count and first token (empty: a variable).
    tree: foldhash::HashMap<(usize, Box<str>), Vec<u32>>,
}

impl Miner {
    pub fn new() -> Miner {
        Miner::default()
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// Adds one message and returns its template id.
    pub fn add(&mut self, content: &str) -> u32 {
        let fp = fingerprint(content);
        if let Some(&id) = self.by_fingerprint.get(&fp) {
            self.templates[id as usize].count += 1;
            return id;
        }
        let tokens: Vec<Box<str>> = tokens(content).map(|t| mask_token(t).into()).collect();
        let id = self.drain(tokens);
        if self.by_fingerprint.len() < MAX_FINGERPRINTS {
            self.by_fingerprint.insert(fp, id);
        }
        self.templates[id as usize].count += 1;
        id
    }

    fn drain(&mut self, tokens: Vec<Box<str>>) -> u32 {
        let key = (
            tokens.len(),
            tree_token(tokens.first().map(|t| &**t)).into(),
        );
        let candidates = self.tree.entry(key).or_default();
        let best = candidates
            .iter()
            .map(|&id| (id, similarity(&self.templates[id as usize].tokens, &tokens)))
            .fold(None, |best: Option<(u32, f64)>, (id, sim)| match best {
                Some((_, s)) if s >= sim => best,
                _ => Some((id, sim)),
            });
        let full = self.templates.len() >= MAX_TEMPLATES;
        match best {
            Some((id, sim)) if sim >= SIMILARITY || full => {
                let t = &mut self.templates[id as usize].tokens;
                for (have, new) in t.iter_mut().zip(&tokens) {
                    if have != new {
                        *have = WILDCARD.into();
                    }
                }
                id
            }
            _ if full => self.catch_all(),
            _ => {
                let id = self.templates.len() as u32;
                self.templates.push(Template { tokens, count: 0 });
                candidates.push(id);
                id
            }
        }
    }

    /// Where lines go once the template budget is spent and nothing similar exists.
    fn catch_all(&mut self) -> u32 {
        let key = (usize::MAX, Box::<str>::default());
        if let Some(&id) = self.tree.get(&key).and_then(|v| v.first()) {
            return id;
        }
        let id = self.templates.len() as u32;
        self.templates.push(Template {
            tokens: vec![WILDCARD.into()],
            count: 0,
        });
        self.tree.insert(key, vec![id]);
        id
    }
}

/// Drain keys its tree on the first token unless it is a variable.
fn tree_token(first: Option<&str>) -> &str {
    match first {
        Some(t) if !t.contains(WILDCARD) => t,
        _ => "",
    }
}

fn similarity(template: &[Box<str>], tokens: &[Box<str>]) -> f64 {
    if tokens.is_empty() {
        return 1.0;
    }
    let same = template.iter().zip(tokens).filter(|(a, b)| a == b).count();
    same as f64 / tokens.len() as f64
}

/// The space-separated tokens of a message (runs of spaces separate nothing).
fn tokens(content: &str) -> impl Iterator<Item = &str> {
    let mut rest = content;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let end = text::find_byte(b' ', rest.as_bytes()).unwrap_or(rest.len());
            let tok = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            if !tok.is_empty() {
                return Some(tok);
            }
        }
    })
}

/// Hash of the masked token sequence, computed without allocating.
fn fingerprint(content: &str) -> u64 {
    let mut h = text::hasher();
    for tok in tokens(content) {
        let (pre, core, post) = split_punct(tok);
        if is_variable(core) {
            h.write(pre.as_bytes());
            h.write(WILDCARD.as_bytes());
            h.write(post.as_bytes());
        } else {
            h.write(tok.as_bytes());
        }
        h.write(b" ");
    }
    h.finish()
}

/// `tok` with its variable core replaced by `<*>`.
pub fn mask_token(tok: &str) -> String {
    let (pre, core, post) = split_punct(tok);
    if is_variable(core) {
        format!("{pre}{WILDCARD}{post}")
    } else {
        tok.to_owned()
    }
}

/// Splits leading and trailing punctuation off a token: `"/x",` → (`"`, `/x`, `",`).
fn split_punct(tok: &str) -> (&str, &str, &str) {
    let lead = tok
        .bytes()
        .take_while(|c| matches!(c, b'"' | b'\'' | b'(' | b'[' | b'{' | b'<'))
        .count();
    let rest = &tok[lead..];
    let trail = rest
        .bytes()
        .rev()
        .take_while(|c| {
            matches!(
                c,
                b'"' | b'\'' | b')' | b']' | b'}' | b'>' | b',' | b';' | b':' | b'.'
            )
        })
        .count();
    let core_end = rest.len() - trail;
    (&tok[..lead], &rest[..core_end], &rest[core_end..])
}

const DIGIT: u8 = 1;
const HEX_LETTER: u8 = 2;
const OTHER_LETTER: u8 = 4;
const COLON: u8 = 8;
const OTHER: u8 = 16;

/// The class of each byte for [`is_variable`].
static BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_hexdigit() {
            HEX_LETTER
        } else if b.is_ascii_alphabetic() {
            OTHER_LETTER
        } else if b == b':' {
            COLON
        } else {
            OTHER
        };
        c += 1;
    }
    t
};

/// Whether a token core is a variable: a number, IP, port, hex id, path, URL or size.
fn is_variable(core: &str) -> bool {
    let b = core.as_bytes();
    if b.is_empty() || core == WILDCARD {
        return false;
    }
    // A token this long is a payload (a dump, a padded value), not a word of the
    // message: kept whole in 10,000 templates it would be what fills the memory.
    if b.len() > MAX_TOKEN {
        return true;
    }
    // What the rules below ask about the bytes, gathered in one branch-free pass (every
    // token of every unknown line comes through here).
    let (mut seen, mut letters) = (0u8, 0usize);
    for &c in b {
        let class = BYTE_CLASS[usize::from(c)];
        seen |= class;
        letters += usize::from(class & (HEX_LETTER | OTHER_LETTER) != 0);
    }
    let has_digit = seen & DIGIT != 0;
    let all_hex = seen & (OTHER_LETTER | COLON | OTHER) == 0;
    if (b[0] == b'/' && b.len() > 1)
        || (seen & COLON != 0 && text::find_at(core, "://", 0).is_some())
    {
        return true;
    }
    if !has_digit {
        return false;
    }
    if letters == 0 {
        return true;
    }
    if core.starts_with("0x") || (b.len() >= 6 && all_hex) {
        return true;
    }
    // A number with a short unit: 4k, 60s, 500ms, 10MB.
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && letters == b.len() - digits && letters <= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2.5 kB padding token was kept literally in each of thousands of templates.
    #[test]
    fn payload_sized_tokens_are_variables() {
        let mut m = Miner::new();
        let a = m.add(&format!("cache miss for key {}", "x".repeat(2500)));
        let b = m.add(&format!("cache miss for key {}", "z".repeat(900)));
        assert_eq!(a, b);
        assert_eq!(m.templates()[a as usize].text(), "cache miss for key <*>");
    }

    #[test]
    fn masks_variables_but_not_identifiers() {
        assert_eq!(mask_token("6725"), "<*>");
        assert_eq!(mask_token("1.2.3.4]"), "<*>]");
        assert_eq!(mask_token("jk2_init()"), "jk2_init()");
        assert_eq!(mask_token("\"/var/www/x\""), "\"<*>\"");
        assert_eq!(mask_token("HTTP/1.1\","), "HTTP/1.1\",");
        assert_eq!(mask_token("-2"), "<*>");
        assert_eq!(mask_token("deadbeef12"), "<*>");
        assert_eq!(mask_token("60s"), "<*>");
    }

    #[test]
    fn similar_lines_share_a_template() {
        let mut m = Miner::new();
        let a = m.add("jk2_init() Found child 6725 in scoreboard slot 10");
        let b = m.add("jk2_init() Found child 6726 in scoreboard slot 8");
        let c = m.add("workerEnv.init() ok /etc/httpd/conf/workers2.properties");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            m.templates()[a as usize].text(),
            "jk2_init() Found child <*> in scoreboard slot <*>"
        );
    }

    #[test]
    fn drain_merges_differing_words() {
        let mut m = Miner::new();
        let a = m.add("user alice logged in from office");
        let b = m.add("user bob logged in from office");
        assert_eq!(a, b);
        assert_eq!(
            m.templates()[a as usize].text(),
            "user <*> logged in from office"
        );
    }
}
