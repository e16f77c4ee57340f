//! The syntax of httpd's expressions (`ap_expr`: server/util_expr_scan.l, the scanner;
//! server/util_expr_parse.y, the grammar; server/util_expr_eval.c, the names it looks
//! up while parsing), as `<If>` and `<ElseIf>` parse their condition when httpd
//! starts: checked, not evaluated, with httpd's message for what it refuses
//! (the text after "Cannot parse condition clause: ").
//!
//! The scanner follows the flex rules (longest match, first rule on ties, its string,
//! variable and regex states); the parser is a recursive descent over the bison grammar
//! whose error messages are the ones bison's tables give at each place (checked
//! against the real `apache2 -t`). Linear in the input; nesting is bounded.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::grammar::{LoadedModules, module};

/// Nesting of parentheses, function calls and variables proxylint follows before it
/// gives bison's "memory exhausted". Bison's stack holds 10,000 states, so httpd goes
/// deeper; no real condition nests more than a few levels, and the recursion must
/// fit a small thread stack.
const MAX_DEPTH: usize = 256;

/// flex's buffers for strings and regular expressions (`MAX_STRING_LEN`).
const MAX_STRING: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    End,
    Error(String),
    Digit,
    Id(String),
    Str(String),
    Regex(String, bool),
    Backref,
    OpUnary(String),
    OpBinary(String),
    StrBegin,
    StrEnd,
    VarBegin,
    VarEnd,
    /// Comparison operators, by bison's name.
    Cmp(&'static str),
    In,
    Reg,
    Nre,
    Concat,
    Or,
    And,
    Not,
    True,
    False,
    Punct(u8),
}

impl Tok {
    /// bison's name for the token (its `yytname`).
    fn name(&self) -> String {
        match self {
            Tok::End => "$end".into(),
            Tok::Error(_) => "T_ERROR".into(),
            Tok::Digit => "T_DIGIT".into(),
            Tok::Id(_) => "T_ID".into(),
            Tok::Str(_) => "T_STRING".into(),
            Tok::Regex(_, false) => "T_REGEX".into(),
            Tok::Regex(_, true) => "T_REGEX_I".into(),
            Tok::Backref => "T_REGEX_BACKREF".into(),
            Tok::OpUnary(_) => "T_OP_UNARY".into(),
            Tok::OpBinary(_) => "T_OP_BINARY".into(),
            Tok::StrBegin => "T_STR_BEGIN".into(),
            Tok::StrEnd => "T_STR_END".into(),
            Tok::VarBegin => "T_VAR_BEGIN".into(),
            Tok::VarEnd => "T_VAR_END".into(),
            Tok::Cmp(name) => (*name).into(),
            Tok::In => "T_OP_IN".into(),
            Tok::Reg => "T_OP_REG".into(),
            Tok::Nre => "T_OP_NRE".into(),
            Tok::Concat => "T_OP_CONCAT".into(),
            Tok::Or => "T_OP_OR".into(),
            Tok::And => "T_OP_AND".into(),
            Tok::Not => "T_OP_NOT".into(),
            Tok::True => "T_TRUE".into(),
            Tok::False => "T_FALSE".into(),
            Tok::Punct(c) => format!("'{}'", *c as char),
        }
    }

    fn starts_word(&self) -> bool {
        matches!(
            self,
            Tok::Digit | Tok::Id(_) | Tok::Backref | Tok::StrBegin | Tok::VarBegin
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Str,
    Var,
    VarArg,
}

/// The flex scanner (`ap_expr_yylex`).
struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    /// `yy_push_state` stack; empty is INITIAL.
    states: Vec<State>,
    delim: u8,
    buf: Vec<u8>,
    /// The last scanner error (`error2`).
    error2: Option<String>,
    /// A string expression (`AP_EXPR_FLAG_STRING_RESULT`): the input is read in the
    /// string state from the start, with no delimiter, and its end ends the string.
    string_result: bool,
}

impl<'a> Scanner<'a> {
    fn new(input: &'a str, string_result: bool) -> Self {
        Scanner {
            input: input.as_bytes(),
            pos: 0,
            states: if string_result {
                vec![State::Str]
            } else {
                Vec::new()
            },
            delim: 0,
            buf: Vec::new(),
            error2: None,
            string_result,
        }
    }
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_id(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Scanner<'_> {
    fn peek(&self, at: usize) -> Option<u8> {
        self.input.get(self.pos + at).copied()
    }

    fn error(&mut self, message: String) -> Tok {
        self.error2 = Some(message.clone());
        Tok::Error(message)
    }

    fn char_at(&self) -> String {
        // flex's `%c` of one byte; a byte of a UTF-8 sequence shows as U+FFFD.
        let b = self.input[self.pos];
        if b.is_ascii() {
            (b as char).to_string()
        } else {
            '\u{FFFD}'.to_string()
        }
    }

    fn take_string(&mut self) -> Tok {
        let s = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        Tok::Str(s)
    }

    fn next(&mut self) -> Tok {
        match self.states.last().copied() {
            None => self.initial(),
            Some(State::Var) => self.var(),
            Some(state) => self.string(state),
        }
    }

    fn initial(&mut self) -> Tok {
        while matches!(self.peek(0), Some(b' ' | b'\t' | b'\n')) {
            self.pos += 1;
        }
        let Some(c) = self.peek(0) else {
            return Tok::End;
        };
        let next = self.peek(1);
        let two = |s: &mut Self, t: Tok| {
            s.pos += 2;
            t
        };
        let one = |s: &mut Self, t: Tok| {
            s.pos += 1;
            t
        };
        match (c, next) {
            (b'"' | b'\'', _) => {
                self.delim = c;
                self.buf.clear();
                self.states.push(State::Str);
                one(self, Tok::StrBegin)
            }
            (b'%', Some(b'{')) => {
                self.states.push(State::Var);
                two(self, Tok::VarBegin)
            }
            (b'$', Some(d)) if d.is_ascii_digit() => two(self, Tok::Backref),
            (b'm', Some(d)) if b"/#$%^,;:_?|-!.'\"".contains(&d) => {
                let id_len = self.input[self.pos..]
                    .iter()
                    .take_while(|&&b| is_id(b))
                    .count();
                if d == b'_' && id_len > 2 {
                    self.identifier()
                } else {
                    self.pos += 2;
                    self.regex(d)
                }
            }
            (b'/', _) => {
                self.pos += 1;
                self.regex(b'/')
            }
            (b'=', Some(b'=')) => two(self, Tok::Cmp("T_OP_STR_EQ")),
            (b'=', Some(b'~')) => two(self, Tok::Reg),
            (b'=', _) => one(self, Tok::Cmp("T_OP_STR_EQ")),
            (b'!', Some(b'=')) => two(self, Tok::Cmp("T_OP_STR_NE")),
            (b'!', Some(b'~')) => two(self, Tok::Nre),
            (b'!', _) => one(self, Tok::Not),
            (b'<', Some(b'=')) => two(self, Tok::Cmp("T_OP_STR_LE")),
            (b'<', _) => one(self, Tok::Cmp("T_OP_STR_LT")),
            (b'>', Some(b'=')) => two(self, Tok::Cmp("T_OP_STR_GE")),
            (b'>', _) => one(self, Tok::Cmp("T_OP_STR_GT")),
            (b'&', Some(b'&')) => two(self, Tok::And),
            (b'|', Some(b'|')) => two(self, Tok::Or),
            (b'.', _) => one(self, Tok::Concat),
            (b'-', Some(d)) if d.is_ascii_digit() => self.digits(),
            (b'-', Some(l)) if l.is_ascii_alphabetic() || l == b'_' => {
                let word: Vec<u8> = self.input[self.pos + 1..]
                    .iter()
                    .copied()
                    .take_while(|&b| is_id(b))
                    .collect();
                let word = String::from_utf8_lossy(&word).into_owned();
                self.pos += 1 + word.len();
                let keyword = match word.as_str() {
                    "in" => Some(Tok::In),
                    "eq" => Some(Tok::Cmp("T_OP_EQ")),
                    "ne" => Some(Tok::Cmp("T_OP_NE")),
                    "ge" => Some(Tok::Cmp("T_OP_GE")),
                    "le" => Some(Tok::Cmp("T_OP_LE")),
                    "gt" => Some(Tok::Cmp("T_OP_GT")),
                    "lt" => Some(Tok::Cmp("T_OP_LT")),
                    _ => None,
                };
                match keyword {
                    Some(t) => t,
                    None if word.len() == 1 => Tok::OpUnary(word),
                    None => Tok::OpBinary(word),
                }
            }
            (d, _) if d.is_ascii_digit() => self.digits(),
            (l, _) if is_id_start(l) => self.identifier(),
            (b'(' | b')' | b'{' | b'}' | b',' | b':', _) => one(self, Tok::Punct(c)),
            _ => {
                let msg = format!("Parse error near '{}'", self.char_at());
                self.pos += 1;
                self.error(msg)
            }
        }
    }

    fn digits(&mut self) -> Tok {
        if self.peek(0) == Some(b'-') {
            self.pos += 1;
        }
        while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        Tok::Digit
    }

    fn identifier(&mut self) -> Tok {
        let start = self.pos;
        while self.peek(0).is_some_and(is_id) {
            self.pos += 1;
        }
        let word = String::from_utf8_lossy(&self.input[start..self.pos]).into_owned();
        match word.as_str() {
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "lt" => Tok::Cmp("T_OP_LT"),
            "le" => Tok::Cmp("T_OP_LE"),
            "gt" => Tok::Cmp("T_OP_GT"),
            "ge" => Tok::Cmp("T_OP_GE"),
            "ne" => Tok::Cmp("T_OP_NE"),
            "eq" => Tok::Cmp("T_OP_EQ"),
            "in" => Tok::In,
            "true" => Tok::True,
            "false" => Tok::False,
            _ => Tok::Id(word),
        }
    }

    /// The regex and regex-flags states, after the opening delimiter.
    fn regex(&mut self, delim: u8) -> Tok {
        let start = self.pos;
        let Some(len) = self.input[start..].iter().position(|&b| b == delim) else {
            // flex has no end-of-file rule here: the scanner just ends.
            self.pos = self.input.len();
            return Tok::End;
        };
        if len >= MAX_STRING - 1 {
            self.pos = self.input.len();
            return self.error("Regexp too long".to_string());
        }
        let pattern = String::from_utf8_lossy(&self.input[start..start + len]).into_owned();
        self.pos = start + len + 1;
        if self.peek(0) == Some(b'i') {
            self.pos += 1;
            return Tok::Regex(pattern, true);
        }
        Tok::Regex(pattern, false)
    }

    fn var(&mut self) -> Tok {
        let Some(c) = self.peek(0) else {
            return self.error("Unterminated string or variable".to_string());
        };
        if is_id_start(c) {
            return self.identifier_in_var();
        }
        match c {
            b'}' => {
                self.pos += 1;
                self.states.pop();
                Tok::VarEnd
            }
            b':' => {
                self.pos += 1;
                if let Some(top) = self.states.last_mut() {
                    *top = State::VarArg;
                }
                self.buf.clear();
                Tok::Punct(b':')
            }
            _ => {
                let msg = format!("Invalid character in variable name '{}'", self.char_at());
                self.pos += 1;
                self.error(msg)
            }
        }
    }

    fn identifier_in_var(&mut self) -> Tok {
        let start = self.pos;
        while self.peek(0).is_some_and(is_id) {
            self.pos += 1;
        }
        Tok::Id(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    fn append(&mut self, b: u8) -> Option<Tok> {
        self.buf.push(b);
        (self.buf.len() >= MAX_STRING).then(|| self.error("String too long".to_string()))
    }

    /// The string state (`"..."`) and the variable-argument state (`%{f:...}`).
    fn string(&mut self, state: State) -> Tok {
        loop {
            let Some(c) = self.peek(0) else {
                if state == State::Str && self.string_result {
                    // `<str><<EOF>>` of a string expression: what is left, even empty.
                    self.states.pop();
                    return self.take_string();
                }
                return self.error("Unterminated string or variable".to_string());
            };
            match c {
                b'\n' => {
                    self.pos += 1;
                    return self.error("Unterminated string or variable".to_string());
                }
                b'"' | b'\'' if state == State::Str => {
                    if c != self.delim {
                        self.pos += 1;
                        if let Some(t) = self.append(c) {
                            return t;
                        }
                        continue;
                    }
                    if self.buf.is_empty() {
                        self.pos += 1;
                        self.states.pop();
                        return Tok::StrEnd;
                    }
                    return self.take_string();
                }
                b'"' | b'\'' => {
                    // No rule matches a quote here: flex's scanner jams.
                    let msg = format!("Parse error near '{}'", self.char_at());
                    self.pos += 1;
                    return self.error(msg);
                }
                b'\\' => {
                    if let Some(t) = self.escape() {
                        return t;
                    }
                }
                b'$' if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => {
                    if !self.buf.is_empty() {
                        return self.take_string();
                    }
                    self.pos += 2;
                    return Tok::Backref;
                }
                b'%' if self.peek(1) == Some(b'{') => {
                    if !self.buf.is_empty() {
                        return self.take_string();
                    }
                    self.pos += 2;
                    self.states.push(State::Var);
                    return Tok::VarBegin;
                }
                b'}' if state == State::VarArg => {
                    if !self.buf.is_empty() {
                        return self.take_string();
                    }
                    self.pos += 1;
                    self.states.pop();
                    return Tok::VarEnd;
                }
                _ => {
                    self.pos += 1;
                    if let Some(t) = self.append(c) {
                        return t;
                    }
                }
            }
        }
    }

    /// A backslash in a string: octal, `\n`-style, or the next character itself.
    fn escape(&mut self) -> Option<Tok> {
        let digits = self.input[self.pos + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let octal = self.input[self.pos + 1..]
            .iter()
            .take(3)
            .take_while(|b| (b'0'..=b'7').contains(b))
            .count();
        if digits > 0 {
            if digits > octal {
                self.pos += 1 + digits;
                return Some(self.error("Bad escape sequence".to_string()));
            }
            let text = String::from_utf8_lossy(&self.input[self.pos + 1..self.pos + 1 + octal])
                .into_owned();
            self.pos += 1 + octal;
            let value = u32::from_str_radix(&text, 8).unwrap_or(0);
            if value > 0xff {
                return Some(self.error("Escape sequence out of bound".to_string()));
            }
            return self.append(value as u8);
        }
        let Some(c) = self.peek(1) else {
            self.pos += 1;
            return Some(self.error("Unterminated string or variable".to_string()));
        };
        self.pos += 2;
        let value = match c {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'b' => 8,
            b'f' => 12,
            other => other,
        };
        self.append(value)
    }
}

/// Why parsing stopped.
enum Stop {
    /// bison's `yyerror` message.
    Syntax(String),
    /// A `T_ERROR` the grammar accepts (`YYABORT`): only the scanner's message.
    Abort,
    /// A semantic action's `YYERROR` (a regex that does not compile).
    Action(String),
}

struct Parser<'a> {
    scanner: Scanner<'a>,
    tok: Tok,
    loaded: &'a LoadedModules,
    depth: usize,
}

type Parse<T = ()> = Result<T, Stop>;

impl Parser<'_> {
    fn advance(&mut self) {
        self.tok = self.scanner.next();
    }

    fn unexpected(&self, expecting: &str) -> Stop {
        let mut m = format!("syntax error, unexpected {}", self.tok.name());
        if !expecting.is_empty() {
            m.push_str(", expecting ");
            m.push_str(expecting);
        }
        Stop::Syntax(m)
    }

    fn deeper(&mut self) -> Parse {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::Syntax("memory exhausted".to_string()));
        }
        Ok(())
    }

    /// A lookup failure while parsing (`error2`: the last one counts).
    fn lookup_error(&mut self, message: String) {
        self.scanner.error2 = Some(message);
    }

    /// `T_EXPR_STRING string`, then the end.
    fn string_root(&mut self) -> Parse {
        self.string(
            "$end or T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN",
            &Tok::End,
        )?;
        Ok(())
    }

    fn root(&mut self) -> Parse {
        self.expr()?;
        if self.tok != Tok::End {
            return Err(self.unexpected("$end"));
        }
        Ok(())
    }

    /// `expr`: operands joined by `||` / `&&` (validity does not depend on how
    /// they group).
    fn expr(&mut self) -> Parse {
        loop {
            self.unary()?;
            match self.tok {
                Tok::Or | Tok::And => self.advance(),
                _ => return Ok(()),
            }
        }
    }

    fn unary(&mut self) -> Parse {
        while self.tok == Tok::Not {
            self.advance();
        }
        match &self.tok {
            Tok::True | Tok::False => {
                self.advance();
                Ok(())
            }
            Tok::Error(_) => Err(Stop::Abort),
            Tok::Punct(b'(') => {
                self.deeper()?;
                self.advance();
                self.expr()?;
                if self.tok != Tok::Punct(b')') {
                    return Err(self.unexpected("T_OP_OR or T_OP_AND or ')'"));
                }
                self.advance();
                self.depth -= 1;
                Ok(())
            }
            Tok::OpUnary(name) => {
                let name = name.clone();
                self.advance();
                let arg = self.word()?;
                self.operator(&name, true, arg);
                Ok(())
            }
            t if t.starts_word() => {
                self.word()?;
                self.comparison()
            }
            _ => Err(self.unexpected("")),
        }
    }

    /// What follows the first word of a comparison.
    fn comparison(&mut self) -> Parse {
        match self.tok.clone() {
            Tok::Cmp(_) => {
                self.advance();
                self.word().map(|_| ())
            }
            Tok::OpBinary(name) => {
                self.advance();
                let arg = self.word()?;
                self.operator(&name, false, arg);
                Ok(())
            }
            Tok::In => {
                self.advance();
                self.wordlist()
            }
            Tok::Reg | Tok::Nre => {
                self.advance();
                match self.tok.clone() {
                    Tok::Regex(pattern, _) => {
                        if crate::nginx::regex::check(&pattern).is_err() {
                            return Err(Stop::Action(
                                "Failed to compile regular expression".to_string(),
                            ));
                        }
                        self.advance();
                        Ok(())
                    }
                    _ => Err(self.unexpected("T_REGEX or T_REGEX_I")),
                }
            }
            _ => Err(self.unexpected("")),
        }
    }

    fn wordlist(&mut self) -> Parse {
        match self.tok.clone() {
            Tok::Id(name) => {
                self.call(&name, true)?;
                Ok(())
            }
            Tok::Punct(b'{') => {
                self.advance();
                loop {
                    if !self.tok.starts_word() {
                        return Err(self.unexpected(""));
                    }
                    self.word()?;
                    match self.tok {
                        Tok::Punct(b',') => self.advance(),
                        Tok::Punct(b'}') => {
                            self.advance();
                            return Ok(());
                        }
                        _ => return Err(self.unexpected("'}' or ','")),
                    }
                }
            }
            _ => Err(self.unexpected("T_ID or '{'")),
        }
    }

    /// `word`: parts joined by `.`; returns the constant string when the word is one
    /// (a quoted string without variables), as operators with a parsed argument need.
    fn word(&mut self) -> Parse<Option<String>> {
        let mut constant = self.word_part()?;
        while self.tok == Tok::Concat {
            self.advance();
            self.word_part()?;
            constant = None;
        }
        Ok(constant)
    }

    fn word_part(&mut self) -> Parse<Option<String>> {
        match self.tok.clone() {
            Tok::Digit | Tok::Backref => {
                self.advance();
                Ok(None)
            }
            Tok::VarBegin => {
                self.var()?;
                Ok(None)
            }
            Tok::Id(name) => {
                self.call(&name, false)?;
                Ok(None)
            }
            Tok::StrBegin => {
                self.advance();
                if self.tok == Tok::StrEnd {
                    self.advance();
                    return Ok(Some(String::new()));
                }
                let constant = self.string(
                    "T_STRING or T_REGEX_BACKREF or T_STR_END or T_VAR_BEGIN",
                    &Tok::StrEnd,
                )?;
                self.advance();
                Ok(constant)
            }
            _ => Err(self.unexpected("")),
        }
    }

    /// `string`: parts up to `end` (not consumed); the text when it is one literal.
    fn string(&mut self, expecting_more: &str, end: &Tok) -> Parse<Option<String>> {
        let mut parts = 0;
        let mut literal = None;
        loop {
            match self.tok.clone() {
                Tok::Error(_) if parts == 0 => return Err(Stop::Abort),
                Tok::Str(s) => {
                    literal = (parts == 0).then_some(s);
                    self.advance();
                }
                Tok::VarBegin => {
                    self.var()?;
                    literal = None;
                }
                Tok::Backref => {
                    self.advance();
                    literal = None;
                }
                ref t if t == end && parts > 0 => return Ok(literal),
                _ if parts == 0 => {
                    return Err(
                        self.unexpected("T_ERROR or T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN")
                    );
                }
                _ => return Err(self.unexpected(expecting_more)),
            }
            parts += 1;
        }
    }

    /// `%{NAME}` or `%{func:arg}`.
    fn var(&mut self) -> Parse {
        self.deeper()?;
        self.advance();
        let Tok::Id(name) = self.tok.clone() else {
            return Err(self.unexpected("T_ID"));
        };
        self.advance();
        match self.tok {
            Tok::VarEnd => {
                self.advance();
                if !variable_exists(&name, self.loaded) {
                    self.lookup_error(format!("Variable '{name}' does not exist"));
                }
            }
            Tok::Punct(b':') => {
                self.advance();
                self.string(
                    "T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN or T_VAR_END",
                    &Tok::VarEnd,
                )?;
                self.advance();
                if !function_exists(&name, self.loaded) {
                    self.lookup_error(format!("Function '{name}' does not exist"));
                }
            }
            _ => return Err(self.unexpected("T_VAR_END or ':'")),
        }
        self.depth -= 1;
        Ok(())
    }

    /// `name(word)`: a string function, or a list function after `-in`.
    fn call(&mut self, name: &str, list: bool) -> Parse {
        self.deeper()?;
        self.advance();
        if self.tok != Tok::Punct(b'(') {
            return Err(self.unexpected("'('"));
        }
        self.advance();
        if !self.tok.starts_word() {
            return Err(self.unexpected(""));
        }
        self.word()?;
        if self.tok != Tok::Punct(b')') {
            return Err(self.unexpected("T_OP_CONCAT or ')'"));
        }
        self.advance();
        if list {
            if !list_function_exists(name, self.loaded) {
                self.lookup_error(format!("List-returning function '{name}' does not exist"));
            }
        } else if !function_exists(name, self.loaded) {
            self.lookup_error(format!("Function '{name}' does not exist"));
        }
        self.depth -= 1;
        Ok(())
    }

    /// A `-x` operator: it must exist; `-R` and `-ipmatch` parse their constant
    /// argument as a subnet.
    fn operator(&mut self, name: &str, unary: bool, arg: Option<String>) {
        let (exists, subnet) = if unary {
            const UNARY: [&str; 14] = [
                "n", "z", "R", "T", "d", "e", "f", "s", "L", "h", "x", "F", "U", "A",
            ];
            (UNARY.contains(&name), name == "R")
        } else {
            const BINARY: [&str; 4] = ["ipmatch", "fnmatch", "strmatch", "strcmatch"];
            (
                BINARY.iter().any(|b| b.eq_ignore_ascii_case(name)),
                name.eq_ignore_ascii_case("ipmatch"),
            )
        };
        if !exists {
            let kind = if unary { "Unary" } else { "Binary" };
            self.lookup_error(format!("{kind} operator '-{name}' does not exist"));
            return;
        }
        if subnet {
            match arg {
                None => self.lookup_error(format!(
                    "-{name} requires subnet/netmask as constant argument"
                )),
                Some(a) if !subnet_parses(&a) => {
                    self.lookup_error("parsing of subnet/netmask failed".to_string())
                }
                Some(_) => {}
            }
        }
    }
}

fn loaded(loaded: &LoadedModules, name: &str) -> bool {
    module(name).is_some_and(|m| loaded.is_loaded(m))
}

/// The variables of util_expr_eval.c, mod_ssl's `SSL_*` and mod_proxy_hcheck's
/// `HC_*` (compared without case).
fn variable_exists(name: &str, modules: &LoadedModules) -> bool {
    const CORE: [&str; 46] = [
        "TIME_YEAR",
        "TIME_MON",
        "TIME_DAY",
        "TIME_HOUR",
        "TIME_MIN",
        "TIME_SEC",
        "TIME_WDAY",
        "TIME",
        "SERVER_SOFTWARE",
        "API_VERSION",
        "HTTP_USER_AGENT",
        "HTTP_PROXY_CONNECTION",
        "HTTP_REFERER",
        "HTTP_COOKIE",
        "HTTP_FORWARDED",
        "HTTP_HOST",
        "HTTP_ACCEPT",
        "REQUEST_METHOD",
        "REQUEST_SCHEME",
        "REQUEST_URI",
        "REQUEST_FILENAME",
        "REMOTE_HOST",
        "REMOTE_IDENT",
        "REMOTE_USER",
        "SERVER_ADMIN",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SCRIPT_FILENAME",
        "PATH_INFO",
        "QUERY_STRING",
        "IS_SUBREQ",
        "DOCUMENT_ROOT",
        "AUTH_TYPE",
        "THE_REQUEST",
        "CONTENT_TYPE",
        "HANDLER",
        "REQUEST_LOG_ID",
        "SCRIPT_USER",
        "SCRIPT_GROUP",
        "DOCUMENT_URI",
        "LAST_MODIFIED",
        "CONTEXT_PREFIX",
        "CONTEXT_DOCUMENT_ROOT",
        "REQUEST_STATUS",
        "REMOTE_ADDR",
    ];
    const MORE: [&str; 6] = [
        "REMOTE_PORT",
        "HTTPS",
        "IPV6",
        "CONN_LOG_ID",
        "CONN_REMOTE_ADDR",
        "HTTP2",
    ];
    let prefixed = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    CORE.iter()
        .chain(&MORE)
        .any(|v| v.eq_ignore_ascii_case(name))
        || (prefixed("SSL_") && loaded(modules, "mod_ssl"))
        || (prefixed("HC_") && loaded(modules, "mod_proxy_hcheck"))
}

/// The string functions of util_expr_eval.c, mod_ssl's `SSL` and mod_proxy_hcheck's
/// `HC`.
fn function_exists(name: &str, modules: &LoadedModules) -> bool {
    const CORE: [&str; 19] = [
        "osenv",
        "env",
        "resp",
        "req",
        "http",
        "note",
        "reqenv",
        "req_novary",
        "tolower",
        "toupper",
        "escape",
        "unescape",
        "file",
        "filesize",
        "base64",
        "unbase64",
        "sha1",
        "md5",
        "ldap",
    ];
    CORE.iter().any(|f| f.eq_ignore_ascii_case(name))
        || (name == "SSL" && loaded(modules, "mod_ssl"))
        || (name.eq_ignore_ascii_case("HC") && loaded(modules, "mod_proxy_hcheck"))
}

/// List functions: only mod_ssl's `PeerExtList`.
fn list_function_exists(name: &str, modules: &LoadedModules) -> bool {
    name == "PeerExtList" && loaded(modules, "mod_ssl")
}

/// `apr_ipsubnet_create` on `ADDR[/MASK]`: an IPv6 address, an IPv4 address or
/// (without a mask) the first one to three numbers of an IPv4 network; a mask as a
/// number of bits or, for IPv4, a dotted netmask.
fn subnet_parses(arg: &str) -> bool {
    let (addr, mask) = match arg.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (arg, None),
    };
    let looks_like_ip = !addr.is_empty()
        && (addr.contains(':') || addr.bytes().all(|b| b == b'.' || b.is_ascii_digit()));
    if !looks_like_ip {
        return false;
    }
    let max_bits = match (addr.parse::<Ipv6Addr>(), addr.parse::<Ipv4Addr>()) {
        (Ok(v6), _) if v6.to_ipv4_mapped().is_some() => return false,
        (Ok(_), _) => 128,
        (_, Ok(_)) => 32,
        _ if mask.is_none() => return network_parses(addr),
        _ => return false,
    };
    match mask {
        None => true,
        Some(m) => {
            m.parse::<u32>().is_ok_and(|b| b > 0 && b <= max_bits)
                || (max_bits == 32 && m.parse::<Ipv4Addr>().is_ok())
        }
    }
}

/// APR's `parse_network`: one to three dot-separated numbers up to 255 ("10.1").
fn network_parses(addr: &str) -> bool {
    let parts: Vec<&str> = addr.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 255)
        })
}

/// Whether httpd parses `condition` (the first word of an `<If>`/`<ElseIf>` tag) as a
/// boolean expression with the modules `modules`; its message when it does not.
pub fn check(condition: &str, modules: &LoadedModules) -> Result<(), String> {
    parse(condition, false, modules)
}

/// Whether httpd parses `text` as a string expression (`AP_EXPR_FLAG_STRING_RESULT`:
/// `ErrorDocument`'s message or URL, `SetHandler`): literal text with `%{VAR}`,
/// `%{func:arg}`, `$N` and backslash escapes; its message when it does not.
pub fn check_string(text: &str, modules: &LoadedModules) -> Result<(), String> {
    parse(text, true, modules)
}

fn parse(text: &str, string_result: bool, modules: &LoadedModules) -> Result<(), String> {
    let mut parser = Parser {
        scanner: Scanner::new(text, string_result),
        tok: Tok::End,
        loaded: modules,
        depth: 0,
    };
    parser.advance();
    let result = if string_result {
        parser.string_root()
    } else {
        parser.root()
    };
    let error2 = parser.scanner.error2.take();
    let error = match result {
        Ok(()) => None,
        Err(Stop::Syntax(m)) | Err(Stop::Action(m)) => Some(m),
        Err(Stop::Abort) => None,
    };
    match (error, error2) {
        (Some(e), Some(e2)) => Err(format!("{e}: {e2}")),
        (Some(e), None) => Err(e),
        (None, Some(e2)) => Err(e2),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(e: &str) -> Result<(), String> {
        check(e, &LoadedModules::builtin())
    }

    /// String expressions as `ErrorDocument` and `SetHandler` give them, with the
    /// messages the real `apache2 -t` (2.4) prints after its prefix.
    #[test]
    fn string_expressions() {
        let string = |e: &str| check_string(e, &LoadedModules::builtin());
        for ok in [
            "",
            "/errors/404.php?uri=%{REQUEST_URI}",
            "\"Sorry: 100% of $5 {gone} 'quoted' \"twice\"",
            "\"%{tolower:%{HTTP_HOST}} is down",
            "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost",
            "a\\tb\\101",
        ] {
            assert_eq!(string(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            string("/404.php?u=%{REQUEST_URL}"),
            Err("Variable 'REQUEST_URL' does not exist".to_string())
        );
        assert_eq!(
            string("\"Not here: %{REQUEST_URI"),
            Err("syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated string or variable".to_string())
        );
        assert_eq!(
            string("/e?h=%{lowercase:%{HTTP_HOST}}"),
            Err("Function 'lowercase' does not exist".to_string())
        );
        assert_eq!(string("\"oops \\9"), Err("Bad escape sequence".to_string()));
    }

    /// Each line: expression, then httpd's message (empty for accepted), as the real
    /// `apache2 -t` (2.4) prints them after "Cannot parse condition clause: ".
    const CASES: &[(&str, &str)] = &[
        ("%{HTTP_HOST}", "syntax error, unexpected $end"),
        ("%{HTTP_HOST} ==", "syntax error, unexpected $end"),
        (
            "%{HTTP_HOST} == 'a' 'b'",
            "syntax error, unexpected T_STR_BEGIN, expecting $end",
        ),
        ("%{HTTP_HOST} == 'a' &&", "syntax error, unexpected $end"),
        ("!", "syntax error, unexpected $end"),
        (
            "( true",
            "syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'",
        ),
        (
            "( true false",
            "syntax error, unexpected T_FALSE, expecting T_OP_OR or T_OP_AND or ')'",
        ),
        (
            "true false",
            "syntax error, unexpected T_FALSE, expecting $end",
        ),
        ("foo", "syntax error, unexpected $end, expecting '('"),
        ("foo(", "syntax error, unexpected $end"),
        (
            "foo('a'",
            "syntax error, unexpected $end, expecting T_OP_CONCAT or ')'",
        ),
        (
            "foo('a' 'b'",
            "syntax error, unexpected T_STR_BEGIN, expecting T_OP_CONCAT or ')'",
        ),
        ("%{}", "syntax error, unexpected T_VAR_END, expecting T_ID"),
        (
            "%{env:}",
            "syntax error, unexpected T_VAR_END, expecting T_ERROR or T_STRING or T_REGEX_BACKREF or T_VAR_BEGIN",
        ),
        (
            "%{HTTP_HOST} -in",
            "syntax error, unexpected $end, expecting T_ID or '{'",
        ),
        ("%{HTTP_HOST} -in {", "syntax error, unexpected $end"),
        (
            "%{HTTP_HOST} -in { 'a'",
            "syntax error, unexpected $end, expecting '}' or ','",
        ),
        (
            "%{HTTP_HOST} -in { 'a' 'b' }",
            "syntax error, unexpected T_STR_BEGIN, expecting '}' or ','",
        ),
        ("%{HTTP_HOST} -in { 'a', }", "syntax error, unexpected '}'"),
        (
            "%{HTTP_HOST} =~",
            "syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I",
        ),
        (
            "%{HTTP_HOST} =~ 'a'",
            "syntax error, unexpected T_STR_BEGIN, expecting T_REGEX or T_REGEX_I",
        ),
        (
            "%{HTTP_HOST} =~ /a/ x",
            "syntax error, unexpected T_ID, expecting $end",
        ),
        ("-z", "syntax error, unexpected $end"),
        (
            "-z 'a' 'b'",
            "syntax error, unexpected T_STR_BEGIN, expecting $end",
        ),
        ("-zz 'a'", "syntax error, unexpected T_OP_BINARY"),
        ("'a' -nope 'b'", "Binary operator '-nope' does not exist"),
        (
            "%{HTTP_HOST} == 'a' )",
            "syntax error, unexpected ')', expecting $end",
        ),
        (")", "syntax error, unexpected ')'"),
        ("'a' . 'b'", "syntax error, unexpected $end"),
        (
            "%{HTTP HOST}",
            "syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Invalid character in variable name ' '",
        ),
        (
            "%{HTTP_HOST",
            "syntax error, unexpected T_ERROR, expecting T_VAR_END or ':': Unterminated string or variable",
        ),
        ("'abc", "Unterminated string or variable"),
        ("\"abc\\9\"", "Bad escape sequence"),
        ("\"abc\\777\"", "Escape sequence out of bound"),
        ("#", "Parse error near '#'"),
        ("==", "syntax error, unexpected T_OP_STR_EQ"),
        (
            "1 == 1 == 1",
            "syntax error, unexpected T_OP_STR_EQ, expecting $end",
        ),
        ("%{tolower:a} == 'a'", ""),
        ("%{nofunc:a} == 'a'", "Function 'nofunc' does not exist"),
        (
            "%{HTTP_HOST} -in nofunc('a')",
            "List-returning function 'nofunc' does not exist",
        ),
        (
            "%{SSL_PROTOCOL} == 'a'",
            "Variable 'SSL_PROTOCOL' does not exist",
        ),
        ("$1 == 'a'", ""),
        ("m#a# == 'b'", "syntax error, unexpected T_REGEX"),
        ("'a' =~ m#a#", ""),
        ("'a' =~ m#(#", "Failed to compile regular expression"),
        (
            "'a' =~ /a",
            "syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I",
        ),
        ("-R '1.2.3.4/33'", "parsing of subnet/netmask failed"),
        ("-R 'x'", "parsing of subnet/netmask failed"),
        (
            "%{HTTP_HOST} -ipmatch 'x'",
            "parsing of subnet/netmask failed",
        ),
        (
            "%{HTTP_HOST} -strmatch 'x' 'y'",
            "syntax error, unexpected T_STR_BEGIN, expecting $end",
        ),
        ("true && (false || !true)", ""),
        ("'a' -eq 'b'", ""),
        ("%{REQUEST_URI} =~ m#^/app(/|$)#", ""),
        (
            "-R '10.0.0.0/8' || -R '192.168.1' || %{REMOTE_ADDR} -ipmatch '::1/128'",
            "",
        ),
        ("%{HTTP:X-Forwarded-Proto} == 'https'", ""),
        ("-R 10", "-R requires subnet/netmask as constant argument"),
        ("-R ''", "parsing of subnet/netmask failed"),
        ("-T %{HTTPS}", ""),
        (
            "%{HTTP_HOST} -in split('a')",
            "List-returning function 'split' does not exist",
        ),
        (
            "'a' =~ m_x_",
            "syntax error, unexpected T_ID, expecting T_REGEX or T_REGEX_I",
        ),
        ("%{env:%{HTTP_HOST}}", "syntax error, unexpected $end"),
        ("file('/x') == ''", ""),
        (
            "'%{HTTP_HOST}\\9' == 'a'",
            "syntax error, unexpected T_ERROR, expecting T_STRING or T_REGEX_BACKREF or T_STR_END or T_VAR_BEGIN: Bad escape sequence",
        ),
        ("%{req:X-Forwarded-Proto} == 'https'", ""),
        (
            "%{HTTP_HOST} in {'a', 'b'} and !(%{REQUEST_URI} =~ /x/i)",
            "",
        ),
    ];

    #[test]
    fn messages_are_httpds() {
        let mut failures = Vec::new();
        for (expr, expected) in CASES {
            let got = run(expr).err().unwrap_or_default();
            if got != *expected {
                failures.push(format!(
                    "{expr:?}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn module_names_exist_when_their_module_is_loaded() {
        let mut modules = LoadedModules::builtin();
        modules.load(module("mod_ssl").expect("mod_ssl"));
        assert!(check("%{SSL_PROTOCOL} == 'TLSv1.3'", &modules).is_ok());
        assert!(check("'a' -in PeerExtList('1.2')", &modules).is_ok());
    }

    #[test]
    fn hostile_expressions_end_quickly() {
        let deep = "(".repeat(100_000);
        assert_eq!(run(&deep), Err("memory exhausted".to_string()));
        let nots = "!".repeat(1_000_000) + "true";
        assert_eq!(run(&nots), Ok(()));
        let chain = "true && ".repeat(200_000) + "true";
        assert_eq!(run(&chain), Ok(()));
        let vars = "%{env:".repeat(100_000);
        assert!(run(&vars).is_err());
        assert!(run("\u{1b}[31m").is_err());
    }
}
