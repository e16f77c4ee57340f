//! mod_macro (modules/core/mod_macro.c): `<Macro name $arg...>` definitions, and the
//! lines a `Use name value...` expands to, with mod_macro's messages. Which lines a
//! body holds is the reader's business (it reads them); this module parses the tags
//! and substitutes arguments, keeping every byte traced to the body's source.

use super::grammar::getword_conf;
use super::text::{MAX_STRING_LEN, Mapped};
use crate::source::{FileId, Span};

/// One line of a macro body as mod_macro stores it (comment lines are not stored).
#[derive(Debug, Clone)]
pub struct BodyLine {
    pub text: Mapped,
    pub file: FileId,
}

/// A defined macro.
#[derive(Debug, Clone)]
pub struct Macro {
    /// Lowercased, as mod_macro keys them.
    pub name: String,
    pub args: Vec<String>,
    pub body: Vec<BodyLine>,
    /// `defined on line N of "FILE"`, as messages quote it.
    pub location: String,
    /// The `<Macro ...>` line.
    pub span: Span,
}

impl Macro {
    /// `macro 'name' (defined on line N of "FILE")`, mod_macro's `where`.
    pub fn describe(&self) -> String {
        format!("macro '{}' ({})", self.name, self.location)
    }
}

/// mod_macro's `get_arguments`: words separated by blanks (spaces and tabs only at the
/// edges, as its `trim` skips them).
fn arguments(line: &str) -> Vec<String> {
    let mut rest = line.trim_start_matches([' ', '\t']);
    let mut out = Vec::new();
    while !rest.is_empty() {
        out.push(getword_conf(&mut rest).into_owned());
        rest = rest.trim_start_matches([' ', '\t']);
    }
    out
}

/// `macro_section` on a `<Macro` tag's arguments, up to reading the body: the
/// lowercased name and the argument names, or mod_macro's message. `location` is
/// `defined on line N of "FILE"`.
pub fn parse_definition(args: &str, location: &str) -> Result<(String, Vec<String>), String> {
    let Some(end) = args.rfind('>') else {
        return Err("<Macro> directive missing closing '>'".to_string());
    };
    if end == 0 {
        return Err("<Macro macro definition: empty name".to_string());
    }
    let mut inner = &args[..end];
    let name = getword_conf(&mut inner).to_lowercase();
    if name.is_empty() {
        return Err("<Macro macro definition: name not found".to_string());
    }
    let params = arguments(inner);
    for (i, a) in params.iter().enumerate() {
        if a.is_empty() {
            return Err(format!(
                "macro '{name}' ({location}): empty argument #{} name",
                i + 1
            ));
        }
        if let Some(j) = params[i + 1..].iter().position(|b| b == a) {
            return Err(format!(
                "argument name conflict in macro '{name}' ({location}): argument '{a}': #{} and #{}, change argument names!",
                i + 1,
                i + j + 2
            ));
        }
    }
    Ok((name, params))
}

/// `Use`'s arguments: the lowercased macro name and the values.
pub fn parse_use(args: &str) -> (String, Vec<String>) {
    let mut rest = args;
    let name = getword_conf(&mut rest).to_lowercase();
    (name, arguments(rest))
}

/// mod_macro's `next_substitution`: the first occurrence at or after `from` of any
/// argument name (the longest when several start there).
fn next_substitution(text: &str, from: usize, names: &[String]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        let Some(at) = text.get(from..).and_then(|t| t.find(name.as_str())) else {
            continue;
        };
        let at = from + at;
        let better = match best {
            None => true,
            Some((b, bi)) => at < b || (at == b && names[bi].len() < name.len()),
        };
        if better {
            best = Some((at, i));
        }
    }
    best
}

/// One body line with the `Use` values in place of the argument names
/// (`substitute_macro_args`): an argument whose name starts with `@` is inserted in
/// double quotes with `"` and `\` escaped. The inserted text stands for the argument
/// name it replaces. An expansion that would not fit mod_macro's 8 KiB line is its
/// "cannot substitute, buffer size too small".
pub fn substitute(line: &Mapped, names: &[String], values: &[String]) -> Result<Mapped, String> {
    let mut buf = line.clone();
    let mut from = 0;
    while let Some((at, which)) = next_substitution(&buf.text, from, names) {
        let name = &names[which];
        let value = values.get(which).map_or("", String::as_str);
        if name != value {
            let inserted = if name.starts_with('@') {
                let mut q = String::with_capacity(value.len() + 2);
                q.push('"');
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        q.push('\\');
                    }
                    q.push(c);
                }
                q.push('"');
                q
            } else {
                value.to_string()
            };
            // The stored line ends with its line break: it must fit with it.
            if buf.text.len() - name.len() + inserted.len() + 1 >= MAX_STRING_LEN {
                return Err("cannot substitute, buffer size too small".to_string());
            }
            let mut next = Mapped::new();
            next.push_from(&buf, 0..at);
            next.push_opaque(&inserted, buf.source(at..at + name.len()));
            next.push_from(&buf, at + name.len()..buf.text.len());
            buf = next;
        }
        // mod_macro moves on by the value's length, quotes and escapes not counted.
        from = at + value.len();
        while from < buf.text.len() && !buf.text.is_char_boundary(from) {
            from += 1;
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(s: &str) -> Mapped {
        let mut m = Mapped::new();
        m.push_exact(s, 100);
        m
    }

    #[test]
    fn definitions_parse_like_mod_macro() {
        let loc = "defined on line 1 of \"/c\"";
        assert_eq!(
            parse_definition("VHost $name $port>", loc),
            Ok((
                "vhost".to_string(),
                vec!["$name".to_string(), "$port".to_string()]
            ))
        );
        assert_eq!(
            parse_definition(">", loc),
            Err("<Macro macro definition: empty name".to_string())
        );
        assert_eq!(
            parse_definition("x", loc),
            Err("<Macro> directive missing closing '>'".to_string())
        );
        assert_eq!(
            parse_definition("\"\" $a>", loc),
            Err("<Macro macro definition: name not found".to_string())
        );
        assert_eq!(
            parse_definition("m $a $b $a>", loc),
            Err("argument name conflict in macro 'm' (defined on line 1 of \"/c\"): argument '$a': #1 and #3, change argument names!".to_string())
        );
        assert_eq!(
            parse_definition("m $a \"\">", loc),
            Err("macro 'm' (defined on line 1 of \"/c\"): empty argument #2 name".to_string())
        );
    }

    #[test]
    fn substitution_prefers_the_earliest_then_longest_name() {
        let names = vec!["$a".to_string(), "$ab".to_string()];
        let values = vec!["X".to_string(), "Y".to_string()];
        let out = substitute(&mapped("ServerName $ab.$a"), &names, &values).expect("fits");
        assert_eq!(out.text, "ServerName Y.X");
        // The value stands for the argument name in the body.
        assert_eq!(out.source(11..12), 111..114);
    }

    #[test]
    fn at_arguments_are_quoted_and_escaped() {
        let names = vec!["@v".to_string()];
        let values = vec!["a \"b\" \\c".to_string()];
        let out = substitute(&mapped("Header set X @v"), &names, &values).expect("fits");
        assert_eq!(out.text, r#"Header set X "a \"b\" \\c""#);
    }

    #[test]
    fn values_are_not_searched_again() {
        let names = vec!["$x".to_string()];
        let values = vec!["$x$x".to_string()];
        let out = substitute(&mapped("A $x B"), &names, &values).expect("fits");
        assert_eq!(out.text, "A $x$x B");
    }

    #[test]
    fn expansion_beyond_eight_kib_is_refused() {
        let names = vec!["$x".to_string()];
        let values = vec!["v".repeat(9000)];
        assert_eq!(
            substitute(&mapped("A $x"), &names, &values).map(|m| m.text),
            Err("cannot substitute, buffer size too small".to_string())
        );
    }

    #[test]
    fn use_arguments_are_words() {
        assert_eq!(
            parse_use("VHost example.org \"a b\" 80"),
            (
                "vhost".to_string(),
                vec![
                    "example.org".to_string(),
                    "a b".to_string(),
                    "80".to_string()
                ]
            )
        );
    }
}
