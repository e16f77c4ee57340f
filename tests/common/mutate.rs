//! Seeded token-level mutations of nginx configurations, shared by the differential
//! test (which compares proxylint's verdict on them with the real `nginx -t`) and the
//! no-panic fuzz test.
//!
//! The tokenizer here is deliberately the test's own, not proxylint's lexer: a
//! mutation is named by what it does and where ("delete \";\" at line 12"), and those
//! names must not change when the lead fixes the lexer, or the differential test's
//! list of known divergences would go stale. It follows `ngx_conf_read_token` closely
//! enough to find statements; where it is off (inside Lua blocks, say) the mutation is
//! still a valid input, just a stranger one.

/// SplitMix64: a tiny, well-distributed generator, so that a seed gives the same
/// mutations on every machine without another dependency.
pub struct Rng(u64);

impl Rng {
    /// A seed derived from a name and a number (FNV-1a), so that each configuration's
    /// mutations do not depend on which other configurations are being mutated.
    pub fn for_name(name: &str, n: u64) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes().chain(n.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DeleteSemicolon,
    DeleteBrace,
    Misspell,
    Move,
    BreakValue,
    ExtraArgument,
    Duplicate,
    Swap,
    RenameBlock,
    RemoveArgument,
    ExtremeNumber,
    DuplicateBlock,
    InsertForeign,
}

pub const KINDS: [Kind; 13] = [
    Kind::DeleteSemicolon,
    Kind::DeleteBrace,
    Kind::Misspell,
    Kind::Move,
    Kind::BreakValue,
    Kind::ExtraArgument,
    Kind::Duplicate,
    Kind::Swap,
    Kind::RenameBlock,
    Kind::RemoveArgument,
    Kind::ExtremeNumber,
    Kind::DuplicateBlock,
    Kind::InsertForeign,
];

/// Block names a block is renamed to: the contexts nginx knows, so that the renamed
/// block is a known directive in a place or with arguments it may not allow.
const BLOCK_NAMES: &[&str] = &[
    "http",
    "events",
    "server",
    "location",
    "upstream",
    "if",
    "limit_except",
    "map",
    "geo",
    "types",
    "split_clients",
    "stream",
    "mail",
];

/// Directives inserted into a context they may not belong to: one or two of each
/// context's usual ones, with literal addresses so that no name needs DNS.
const FOREIGN: &[&str] = &[
    "worker_processes 2;",
    "worker_connections 512;",
    "events { }",
    "http { }",
    "stream { }",
    "server { listen 127.0.0.1:8099; }",
    "upstream foreign { server 127.0.0.1:8099; }",
    "location /foreign { }",
    "if ($host) { }",
    "limit_except GET { }",
    "types { text/plain txt; }",
    "map $host $foreign { default 0; }",
    "listen 127.0.0.1:8099;",
    "server_name foreign.test;",
    "server 127.0.0.1:8099;",
    "keepalive 8;",
    "proxy_pass http://127.0.0.1:8099;",
    "proxy_buffering off;",
    "root /tmp;",
    "return 204;",
    "add_header X-Foreign 1;",
    "access_log off;",
    "error_page 404 /404.html;",
    "ssl_protocols TLSv1.2;",
];

/// Numbers at the edges of nginx's parsers: negative, zero, just past 32 and 64 bits.
const EXTREME_NUMBERS: &[&str] = &[
    "-1",
    "0",
    "2147483648",
    "9223372036854775807",
    "18446744073709551616",
];

/// A mutated file and what was done to it.
pub struct Mutation {
    pub text: Vec<u8>,
    /// Names the mutation by its effect and line, e.g. `delete ";" at line 12`.
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Word,
    Semi,
    Open,
    Close,
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// nginx's token boundaries; comments are dropped.
pub fn tokenize(src: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        let start = i;
        let simple = match b {
            b';' => Some(Tok::Semi),
            b'{' => Some(Tok::Open),
            b'}' => Some(Tok::Close),
            _ => None,
        };
        if is_space(b) {
            i += 1;
        } else if let Some(kind) = simple {
            i += 1;
            tokens.push(Token {
                kind,
                start,
                end: i,
                quoted: false,
            });
        } else if b == b'#' {
            while i < src.len() && src[i] != b'\n' {
                i += 1;
            }
        } else if b == b'"' || b == b'\'' {
            i += 1;
            while i < src.len() && src[i] != b {
                i += if src[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(src.len());
            tokens.push(Token {
                kind: Tok::Word,
                start,
                end: i,
                quoted: true,
            });
        } else {
            let mut variable = false;
            while i < src.len() {
                let c = src[i];
                if c == b'{' && variable {
                    i += 1;
                    continue;
                }
                variable = c == b'$';
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if is_space(c) || c == b';' || c == b'{' {
                    break;
                }
                i += 1;
            }
            i = i.min(src.len());
            tokens.push(Token {
                kind: Tok::Word,
                start,
                end: i,
                quoted: false,
            });
        }
    }
    tokens
}

/// A directive: its words, its terminator (`;` or `{`) and, for a block, the `}`.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// Token indices of the words; the first is the name.
    pub words: Vec<usize>,
    pub term: usize,
    pub close: Option<usize>,
    /// Index of the enclosing block's statement.
    pub parent: Option<usize>,
}

/// The directives of a tokenized file, in source order.
pub fn statements(tokens: &[Token]) -> Vec<Stmt> {
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut words = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            Tok::Word => words.push(i),
            Tok::Semi | Tok::Open if !words.is_empty() => {
                stmts.push(Stmt {
                    words: std::mem::take(&mut words),
                    term: i,
                    close: None,
                    parent: open.last().copied(),
                });
                if t.kind == Tok::Open {
                    open.push(stmts.len() - 1);
                }
            }
            Tok::Semi | Tok::Open => {}
            Tok::Close => {
                words.clear();
                if let Some(s) = open.pop() {
                    stmts[s].close = Some(i);
                }
            }
        }
    }
    stmts
}

fn line_of(src: &[u8], offset: usize) -> usize {
    src[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Applies replacements given in original offsets (start, end, new bytes).
pub fn edit(src: &[u8], mut edits: Vec<(usize, usize, Vec<u8>)>) -> Vec<u8> {
    // Later offsets first, so earlier offsets stay valid.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = src.to_vec();
    for (start, end, with) in edits {
        out.splice(start..end, with);
    }
    out
}

/// One mutation of `kind` at a random place, or `None` when the file has no place
/// for it (no `;` to delete...).
pub fn mutate(src: &[u8], kind: Kind, rng: &mut Rng) -> Option<Mutation> {
    let tokens = tokenize(src);
    let stmts = statements(&tokens);
    let text = |t: usize| String::from_utf8_lossy(&src[tokens[t].start..tokens[t].end]);
    let line = |t: usize| line_of(src, tokens[t].start);
    let simple: Vec<&Stmt> = stmts
        .iter()
        .filter(|s| tokens[s.term].kind == Tok::Semi)
        .collect();
    // The bytes of a simple directive, name to `;`.
    let stmt_bytes = |s: &Stmt| src[tokens[s.words[0]].start..tokens[s.term].end].to_vec();
    match kind {
        Kind::DeleteSemicolon | Kind::DeleteBrace => {
            let wanted: &[Tok] = if kind == Kind::DeleteSemicolon {
                &[Tok::Semi]
            } else {
                &[Tok::Open, Tok::Close]
            };
            let candidates: Vec<usize> = (0..tokens.len())
                .filter(|&i| wanted.contains(&tokens[i].kind))
                .collect();
            let &t = rng.pick(&candidates)?;
            Some(Mutation {
                text: edit(src, vec![(tokens[t].start, tokens[t].end, Vec::new())]),
                description: format!("delete \"{}\" at line {}", text(t), line(t)),
            })
        }
        Kind::Misspell => {
            let names: Vec<usize> = stmts
                .iter()
                .map(|s| s.words[0])
                .filter(|&t| !tokens[t].quoted && tokens[t].end - tokens[t].start >= 2)
                .collect();
            let &t = rng.pick(&names)?;
            let old = src[tokens[t].start..tokens[t].end].to_vec();
            let new = typo(&old, rng);
            Some(Mutation {
                text: edit(src, vec![(tokens[t].start, tokens[t].end, new.clone())]),
                description: format!(
                    "misspell \"{}\" as \"{}\" at line {}",
                    text(t),
                    String::from_utf8_lossy(&new),
                    line(t)
                ),
            })
        }
        Kind::Move => move_directive(src, &tokens, &stmts, rng),
        Kind::BreakValue => {
            let values: Vec<usize> = stmts
                .iter()
                .flat_map(|s| s.words[1..].iter().copied())
                .filter(|&t| !tokens[t].quoted && value_like(&src[tokens[t].start..tokens[t].end]))
                .collect();
            let &t = rng.pick(&values)?;
            let old = &src[tokens[t].start..tokens[t].end];
            let new = garbage(old, rng);
            Some(Mutation {
                text: edit(src, vec![(tokens[t].start, tokens[t].end, new.clone())]),
                description: format!(
                    "break value \"{}\" into \"{}\" at line {}",
                    text(t),
                    String::from_utf8_lossy(&new),
                    line(t)
                ),
            })
        }
        Kind::ExtraArgument => {
            let s = rng.pick(&stmts)?;
            let extra = *rng.pick(&["on", "1", "10s", "extra", "\"\""])?;
            let at = tokens[s.term].start;
            Some(Mutation {
                text: edit(src, vec![(at, at, format!(" {extra} ").into_bytes())]),
                description: format!(
                    "add argument {extra} to \"{}\" at line {}",
                    text(s.words[0]),
                    line(s.words[0])
                ),
            })
        }
        Kind::Duplicate => {
            let s = *rng.pick(&simple)?;
            let mut copy = b" ".to_vec();
            copy.extend(stmt_bytes(s));
            let at = tokens[s.term].end;
            Some(Mutation {
                text: edit(src, vec![(at, at, copy)]),
                description: format!(
                    "duplicate \"{}\" at line {}",
                    text(s.words[0]),
                    line(s.words[0])
                ),
            })
        }
        Kind::Swap => {
            // Two different simple directives of one block trade places.
            let a = *rng.pick(&simple)?;
            let others: Vec<&&Stmt> = simple
                .iter()
                .filter(|b| b.parent == a.parent && stmt_bytes(b) != stmt_bytes(a))
                .collect();
            let &&b = rng.pick(&others)?;
            let (a_start, a_end) = (tokens[a.words[0]].start, tokens[a.term].end);
            let (b_start, b_end) = (tokens[b.words[0]].start, tokens[b.term].end);
            Some(Mutation {
                text: edit(
                    src,
                    vec![
                        (a_start, a_end, stmt_bytes(b)),
                        (b_start, b_end, stmt_bytes(a)),
                    ],
                ),
                description: format!(
                    "swap \"{}\" at line {} with \"{}\" at line {}",
                    text(a.words[0]),
                    line(a.words[0]),
                    text(b.words[0]),
                    line(b.words[0])
                ),
            })
        }
        Kind::RenameBlock => {
            let blocks: Vec<&Stmt> = stmts
                .iter()
                .filter(|s| tokens[s.term].kind == Tok::Open && !tokens[s.words[0]].quoted)
                .collect();
            let s = rng.pick(&blocks)?;
            let old = text(s.words[0]);
            let names: Vec<&&str> = BLOCK_NAMES.iter().filter(|n| **n != old).collect();
            let new = rng.pick(&names)?;
            let t = tokens[s.words[0]];
            Some(Mutation {
                text: edit(src, vec![(t.start, t.end, new.as_bytes().to_vec())]),
                description: format!(
                    "rename block \"{old}\" to \"{new}\" at line {}",
                    line(s.words[0])
                ),
            })
        }
        Kind::RemoveArgument => {
            let args: Vec<(&Stmt, usize)> = stmts
                .iter()
                .flat_map(|s| s.words[1..].iter().map(move |&w| (s, w)))
                .collect();
            let &(s, w) = rng.pick(&args)?;
            // The spaces around it stay: they keep the neighbours apart and the lines.
            Some(Mutation {
                text: edit(src, vec![(tokens[w].start, tokens[w].end, Vec::new())]),
                description: format!(
                    "remove argument \"{}\" of \"{}\" at line {}",
                    text(w),
                    text(s.words[0]),
                    line(w)
                ),
            })
        }
        Kind::ExtremeNumber => {
            let numbers: Vec<usize> = stmts
                .iter()
                .flat_map(|s| s.words[1..].iter().copied())
                .filter(|&t| !tokens[t].quoted && src[tokens[t].start].is_ascii_digit())
                .filter(|&t| value_like(&src[tokens[t].start..tokens[t].end]))
                .collect();
            let &t = rng.pick(&numbers)?;
            let old = &src[tokens[t].start..tokens[t].end];
            let digits = old.iter().take_while(|b| b.is_ascii_digit()).count();
            // The unit stays: "10s" becomes "-1s", "18446744073709551616s"...
            let new = [rng.pick(EXTREME_NUMBERS)?.as_bytes(), &old[digits..]].concat();
            Some(Mutation {
                text: edit(src, vec![(tokens[t].start, tokens[t].end, new.clone())]),
                description: format!(
                    "change number \"{}\" to \"{}\" at line {}",
                    text(t),
                    String::from_utf8_lossy(&new),
                    line(t)
                ),
            })
        }
        Kind::DuplicateBlock => {
            let blocks: Vec<(&Stmt, usize)> =
                stmts.iter().filter_map(|s| Some((s, s.close?))).collect();
            let &(s, close) = rng.pick(&blocks)?;
            let mut copy = b" ".to_vec();
            copy.extend_from_slice(&src[tokens[s.words[0]].start..tokens[close].end]);
            let at = tokens[close].end;
            Some(Mutation {
                text: edit(src, vec![(at, at, copy)]),
                description: format!(
                    "duplicate block \"{}\" at line {}",
                    text(s.words[0]),
                    line(s.words[0])
                ),
            })
        }
        Kind::InsertForeign => {
            let directive = rng.pick(FOREIGN)?;
            // Into a block's body, or at the very start of the file (main context).
            let mut targets: Vec<(usize, String)> = vec![(0, "the top level".to_string())];
            targets.extend(
                stmts
                    .iter()
                    .filter(|s| tokens[s.term].kind == Tok::Open)
                    .map(|s| {
                        (
                            tokens[s.term].end,
                            format!(
                                "the \"{}\" block at line {}",
                                text(s.words[0]),
                                line(s.term)
                            ),
                        )
                    }),
            );
            let (at, place) = rng.pick(&targets)?;
            Some(Mutation {
                text: edit(src, vec![(*at, *at, format!(" {directive} ").into_bytes())]),
                description: format!("insert \"{directive}\" into {place}"),
            })
        }
    }
}

/// Moves a simple directive out to its parent's body, into a block next to it
/// (child) or into a block next to its own block (sibling).
fn move_directive(src: &[u8], tokens: &[Token], stmts: &[Stmt], rng: &mut Rng) -> Option<Mutation> {
    let blocks = |parent: Option<usize>, except: Option<usize>| -> Vec<usize> {
        (0..stmts.len())
            .filter(|&i| {
                stmts[i].parent == parent
                    && Some(i) != except
                    && tokens[stmts[i].term].kind == Tok::Open
            })
            .collect()
    };
    let movable: Vec<usize> = (0..stmts.len())
        .filter(|&i| tokens[stmts[i].term].kind == Tok::Semi)
        .collect();
    let &m = rng.pick(&movable)?;
    let s = &stmts[m];
    // (where, insertion offset, line of the target block)
    let mut targets: Vec<(&str, usize, usize)> = Vec::new();
    if let Some(p) = s.parent
        && let Some(close) = stmts[p].close
    {
        targets.push((
            "parent",
            tokens[close].end,
            line_of(src, tokens[close].start),
        ));
    }
    for b in blocks(s.parent, None) {
        let open = tokens[stmts[b].term];
        targets.push(("child", open.end, line_of(src, open.start)));
    }
    if let Some(p) = s.parent {
        for b in blocks(stmts[p].parent, Some(p)) {
            let open = tokens[stmts[b].term];
            targets.push(("sibling", open.end, line_of(src, open.start)));
        }
    }
    // Pick the kind of target first, so that a file with many sibling blocks still
    // gets parent and child moves.
    let mut kinds: Vec<&str> = targets.iter().map(|t| t.0).collect();
    kinds.dedup();
    let &kind = rng.pick(&kinds)?;
    let of_kind: Vec<&(&str, usize, usize)> = targets.iter().filter(|t| t.0 == kind).collect();
    let &&(_, at, target_line) = rng.pick(&of_kind)?;
    let start = tokens[s.words[0]].start;
    let end = tokens[s.term].end;
    let mut moved = b" ".to_vec();
    moved.extend_from_slice(&src[start..end]);
    moved.push(b' ');
    Some(Mutation {
        text: edit(src, vec![(start, end, Vec::new()), (at, at, moved)]),
        description: format!(
            "move \"{}\" from line {} into the {kind} block at line {target_line}",
            String::from_utf8_lossy(&src[start..tokens[s.words[0]].end]),
            line_of(src, start)
        ),
    })
}

/// A directive name with one typo that keeps it a single word.
fn typo(name: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = name.to_vec();
    let n = out.len();
    match rng.below(4) {
        0 if out[0] != out[1] || n > 2 => {
            let i = rng.below(n - 1);
            out.swap(i, i + 1);
            if out == name {
                out.insert(i, b'x');
            }
        }
        1 => {
            out.remove(rng.below(n));
        }
        2 => {
            let i = rng.below(n);
            out.insert(i, out[i]);
        }
        _ => {
            let i = rng.below(n);
            out[i] = if out[i] == b'q' { b'z' } else { b'q' };
        }
    }
    out
}

/// Looks like a number, a time, a size or a flag: what nginx parses strictly.
fn value_like(word: &[u8]) -> bool {
    if word == b"on" || word == b"off" {
        return true;
    }
    let digits = word.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && word.len() - digits <= 2 && word[digits..].iter().all(u8::is_ascii_alphabetic)
}

fn garbage(value: &[u8], rng: &mut Rng) -> Vec<u8> {
    if value == b"on" || value == b"off" {
        let choices: [&[u8]; 4] = [b"yes", b"On1", b"o", b"1"];
        return choices[rng.below(choices.len())].to_vec();
    }
    let digits: Vec<u8> = value
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    match rng.below(6) {
        0 => [&digits[..], b"q"].concat(),
        1 => [value, b"x"].concat(),
        2 => [b"-", value].concat(),
        3 => [&digits[..], b".5", &value[digits.len()..]].concat(),
        4 => b"99999999999999999999999".to_vec(),
        _ => b"abc".to_vec(),
    }
}
