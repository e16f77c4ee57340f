//! Seeded line-level mutations of httpd configurations, shared by the differential test
//! (proxylint's verdict on them against the real `apache2 -t`) and the reader's
//! no-panic test.
//!
//! The line reading here is the test's own, not proxylint's reader: a mutation is named
//! by what it does and where ("drop </Directory> at line 12"), and those names must not
//! change when the reader changes, or the list of known divergences would go stale.

use crate::token_mutate::Rng;

/// What a mutation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DropClose,
    MisspellClose,
    MisspellDirective,
    MoveIntoSection,
    DropArgument,
    AddArgument,
    UnclosedTag,
    UnbalancedQuote,
}

pub const KINDS: [Kind; 8] = [
    Kind::DropClose,
    Kind::MisspellClose,
    Kind::MisspellDirective,
    Kind::MoveIntoSection,
    Kind::DropArgument,
    Kind::AddArgument,
    Kind::UnclosedTag,
    Kind::UnbalancedQuote,
];

/// One physical line, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Other,
    Open(String),
    Close(String),
    Directive(String),
}

fn classify(line: &str) -> Line {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.ends_with('\\') {
        return Line::Other;
    }
    let name = t.split_whitespace().next().unwrap_or_default();
    if let Some(rest) = name.strip_prefix("</") {
        return Line::Close(rest.trim_end_matches('>').to_string());
    }
    if let Some(rest) = name.strip_prefix('<') {
        return Line::Open(rest.trim_end_matches('>').to_string());
    }
    Line::Directive(name.to_string())
}

/// A mutated file and what was done to it.
pub struct Mutation {
    pub text: String,
    pub description: String,
}

/// A misspelling of `name`: one letter doubled, dropped or swapped with the next.
fn typo(name: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() < 2 {
        return format!("{name}x");
    }
    let i = rng.below(chars.len() - 1) + usize::from(chars[0] == '<' || chars[0] == '/');
    let i = i.min(chars.len() - 1);
    let mut out = chars.clone();
    match rng.below(3) {
        0 => out.insert(i, chars[i]),
        1 if chars.len() > 3 => {
            out.remove(i);
        }
        _ if i + 1 < chars.len() && chars[i] != chars[i + 1] => out.swap(i, i + 1),
        _ => out.insert(i, 'x'),
    }
    out.into_iter().collect()
}

/// Directive lines inserted into a section they may not belong to.
const FOREIGN: &[&str] = &[
    "Listen 127.0.0.3:8099",
    "ServerRoot /tmp",
    "DocumentRoot /var/www/html",
    "Require all granted",
    "AllowOverride None",
    "ProxyPass /m http://127.0.0.1:8099/",
    "ServerName foreign.test",
    "<VirtualHost *:8099>\n</VirtualHost>",
    "<Directory /srv>\n</Directory>",
    "Options -Indexes",
];

/// Applies a mutation of `kind` to `text`; `None` when the text has nothing it applies
/// to.
pub fn mutate(text: &str, kind: Kind, rng: &mut Rng) -> Option<Mutation> {
    let lines: Vec<&str> = text.split('\n').collect();
    let classes: Vec<Line> = lines.iter().map(|l| classify(l)).collect();
    let pick = |rng: &mut Rng, pred: &dyn Fn(&Line) -> bool| -> Option<usize> {
        let candidates: Vec<usize> = (0..lines.len()).filter(|&i| pred(&classes[i])).collect();
        rng.pick(&candidates).copied()
    };
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let description = match kind {
        Kind::DropClose => {
            let i = pick(rng, &|l| matches!(l, Line::Close(_)))?;
            out.remove(i);
            format!("drop {} at line {}", lines[i].trim(), i + 1)
        }
        Kind::MisspellClose => {
            let i = pick(rng, &|l| matches!(l, Line::Close(_)))?;
            let Line::Close(name) = &classes[i] else {
                return None;
            };
            let wrong = typo(name, rng);
            out[i] = lines[i].replacen(name.as_str(), &wrong, 1);
            format!("misspell </{name}> as </{wrong}> at line {}", i + 1)
        }
        Kind::MisspellDirective => {
            let i = pick(rng, &|l| matches!(l, Line::Directive(_)))?;
            let Line::Directive(name) = &classes[i] else {
                return None;
            };
            let wrong = typo(name, rng);
            out[i] = lines[i].replacen(name.as_str(), &wrong, 1);
            format!("misspell {name} as {wrong} at line {}", i + 1)
        }
        Kind::MoveIntoSection => {
            let into = pick(rng, &|l| matches!(l, Line::Open(_)))?;
            let foreign = rng.pick(FOREIGN).copied().unwrap_or("Listen 8099");
            out.insert(into + 1, foreign.to_string());
            format!(
                "insert `{}` after line {}",
                foreign.replace('\n', " "),
                into + 1
            )
        }
        Kind::DropArgument => {
            let i = pick(rng, &|l| matches!(l, Line::Directive(_)))?;
            let trimmed = lines[i].trim_end();
            let cut = trimmed.rfind([' ', '\t'])?;
            out[i] = trimmed[..cut].to_string();
            format!("drop the last argument at line {}", i + 1)
        }
        Kind::AddArgument => {
            let i = pick(rng, &|l| matches!(l, Line::Directive(_) | Line::Open(_)))?;
            let trimmed = lines[i].trim_end();
            out[i] = match trimmed.strip_suffix('>') {
                Some(head) if matches!(classes[i], Line::Open(_)) => format!("{head} extra>"),
                _ => format!("{trimmed} extra"),
            };
            format!("add an argument at line {}", i + 1)
        }
        Kind::UnclosedTag => {
            let i = pick(rng, &|l| matches!(l, Line::Open(_)))?;
            let at = lines[i].rfind('>')?;
            out[i] = format!("{}{}", &lines[i][..at], &lines[i][at + 1..]);
            format!("drop the > of {} at line {}", lines[i].trim(), i + 1)
        }
        Kind::UnbalancedQuote => {
            let i = pick(rng, &|l| matches!(l, Line::Directive(_) | Line::Open(_)))?;
            let at = lines[i].find([' ', '\t'])?;
            out[i] = format!("{} \"{}", &lines[i][..at], lines[i][at..].trim_start());
            format!("open a quote at line {}", i + 1)
        }
    };
    Some(Mutation {
        text: out.join("\n"),
        description,
    })
}
