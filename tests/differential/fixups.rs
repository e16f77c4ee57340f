//! Host fixups: what the corpus configurations expect of the machine, made in the
//! case's temp dir so that `nginx -t` gets past it and both tools are compared on the
//! rest of the file. No line is added or removed, so nginx's line numbers stay the
//! corpus's.
//!
//! nginx-tests create their certificates, keys and password files at run time, and
//! go-crossplane's configurations run as users this machine lacks: without these
//! fixups nginx stops at the first of them and everything after it goes unchecked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::common::mutate::{Stmt, Tok, Token, edit, statements, tokenize};

/// What a file a directive names must hold for nginx to accept it.
#[derive(Clone, Copy)]
enum Content {
    /// PEM certificate. Also for CRL files: nginx loads them with
    /// `X509_LOOKUP_load_file`, which takes certificates as well as CRLs.
    Certificate,
    /// PEM private key of that certificate, unencrypted.
    Key,
    /// Passphrases, one a line; the keys are not encrypted, so any will do.
    Password,
    /// DER OCSP response.
    OcspResponse,
    /// Session ticket key: nginx wants 48 or 80 bytes.
    TicketKey,
    /// Data lines of a `geo` block, in its `ranges` form or not.
    GeoRanges,
    GeoNetworks,
}

/// The directives whose file nginx opens while testing the configuration. The
/// `auth_basic_user_file` and `*_by_lua_file` files are opened per request, so
/// nginx -t does not miss them and none are made.
const FILE_DIRECTIVES: &[(&str, Content)] = &[
    ("ssl_certificate", Content::Certificate),
    ("ssl_certificate_key", Content::Key),
    ("ssl_trusted_certificate", Content::Certificate),
    ("ssl_client_certificate", Content::Certificate),
    ("ssl_crl", Content::Certificate),
    ("ssl_password_file", Content::Password),
    ("ssl_stapling_file", Content::OcspResponse),
    ("ssl_session_ticket_key", Content::TicketKey),
    ("proxy_ssl_certificate", Content::Certificate),
    ("proxy_ssl_certificate_key", Content::Key),
    ("proxy_ssl_trusted_certificate", Content::Certificate),
    ("proxy_ssl_crl", Content::Certificate),
    ("proxy_ssl_password_file", Content::Password),
    ("grpc_ssl_certificate", Content::Certificate),
    ("grpc_ssl_certificate_key", Content::Key),
    ("grpc_ssl_trusted_certificate", Content::Certificate),
    ("grpc_ssl_crl", Content::Certificate),
    ("grpc_ssl_password_file", Content::Password),
    ("uwsgi_ssl_certificate", Content::Certificate),
    ("uwsgi_ssl_certificate_key", Content::Key),
    ("uwsgi_ssl_trusted_certificate", Content::Certificate),
    ("uwsgi_ssl_crl", Content::Certificate),
    ("uwsgi_ssl_password_file", Content::Password),
];

/// The `ssl_conf_command` directives, and the OpenSSL commands among theirs that
/// name a file. OpenSSL opens it as given, relative to nginx's working directory.
const CONF_COMMAND_DIRECTIVES: &[&str] = &[
    "ssl_conf_command",
    "proxy_ssl_conf_command",
    "grpc_ssl_conf_command",
    "uwsgi_ssl_conf_command",
];
const FILE_COMMANDS: &[(&str, Content)] = &[
    ("Certificate", Content::Certificate),
    ("PrivateKey", Content::Key),
];

/// An OCSP response with status "unauthorized" (SEQUENCE { ENUMERATED 6 }): the
/// smallest one `d2i_OCSP_RESPONSE_bio` reads.
const OCSP_RESPONSE: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x06];

struct Pair {
    certificate: Vec<u8>,
    key: Vec<u8>,
}

/// The material made once per test run and copied into every case that needs it.
pub struct Fixups {
    rsa: Pair,
    ec: Pair,
    /// Users of this machine, each with whether a group of the same name exists
    /// (what `user NAME;` without a group needs).
    users: BTreeMap<String, bool>,
    groups: BTreeSet<String>,
    /// Where the installed nginx keeps its dynamic modules.
    modules_dir: PathBuf,
}

/// A self-signed certificate and its key, from the `openssl` CLI.
fn generate(dir: &Path, name: &str, key_args: &[&str]) -> Result<Pair, String> {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(key_args)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    Ok(Pair {
        certificate: read(&cert)?,
        key: read(&key)?,
    })
}

/// The first field of each line of an /etc database.
fn names(path: &str) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(':').next())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Does a file's name call for an EC key ("ec.crt", "ec-end-int.crt")?
fn wants_ec(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "ec" || w == "ecdsa")
}

/// `name` replaced by one of `candidates`: the same length where one exists, else a
/// shorter one padded with spaces, else the shortest, so that the columns after it
/// rarely move (lines never do).
fn replacement(name: &str, candidates: &[&String]) -> Option<Vec<u8>> {
    let same = candidates.iter().find(|c| c.len() == name.len());
    let shorter = candidates
        .iter()
        .filter(|c| c.len() < name.len())
        .max_by_key(|c| c.len());
    let shortest = candidates.iter().min_by_key(|c| c.len());
    let chosen = same.or(shorter).or(shortest)?;
    let mut out = chosen.as_bytes().to_vec();
    out.resize(out.len().max(name.len()), b' ');
    Some(out)
}

impl Fixups {
    pub fn new(modules_dir: &Path) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let rsa = generate(dir.path(), "rsa", &["-newkey", "rsa:2048"])?;
        let ec = generate(
            dir.path(),
            "ec",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        )?;
        let groups = names("/etc/group");
        let users = names("/etc/passwd")
            .into_iter()
            .map(|u| {
                let has_group = groups.contains(&u);
                (u, has_group)
            })
            .collect();
        Ok(Fixups {
            rsa,
            ec,
            users,
            groups,
            modules_dir: modules_dir.to_path_buf(),
        })
    }

    /// Makes the files the configurations below `prefix` name and lack, and gives
    /// their `user` directives an existing user and group. Relative file names are
    /// relative to `confdir`, the main file's directory, as nginx resolves them, or
    /// for OpenSSL's commands to `prefix`, nginx's working directory. Nothing outside
    /// `prefix` is touched.
    pub fn apply(&self, prefix: &Path, confdir: &Path) -> std::io::Result<()> {
        let files: Vec<PathBuf> = walkdir::WalkDir::new(prefix)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        for file in files {
            let src = std::fs::read(&file)?;
            let tokens = tokenize(&src);
            let mut edits = Vec::new();
            let stmts = statements(&tokens);
            let name_of = |s: &Stmt| {
                let t = tokens[s.words[0]];
                String::from_utf8_lossy(&src[t.start..t.end]).into_owned()
            };
            for stmt in &stmts {
                let word = |i: usize| {
                    let t = tokens[stmt.words[i]];
                    let text = String::from_utf8_lossy(&src[t.start..t.end]).into_owned();
                    text.trim_matches(|c| c == '"' || c == '\'').to_string()
                };
                let name = word(0);
                let simple = tokens[stmt.term].kind == Tok::Semi;
                let file_directive = FILE_DIRECTIVES.iter().find(|(d, _)| *d == name);
                if name == "user" {
                    edits.extend(self.user_edits(&src, &tokens, stmt));
                } else if let Some((_, content)) = file_directive
                    && stmt.words.len() == 2
                    && simple
                {
                    self.make_file(prefix, confdir, &word(1), *content)?;
                } else if CONF_COMMAND_DIRECTIVES.contains(&name.as_str())
                    && stmt.words.len() == 3
                    && simple
                    && let Some((_, content)) = FILE_COMMANDS.iter().find(|(c, _)| *c == word(1))
                {
                    self.make_file(prefix, prefix, &word(2), *content)?;
                } else if name == "load_module" && stmt.words.len() == 2 && simple {
                    self.link_module(prefix, &word(1))?;
                } else if name == "include"
                    && stmt.words.len() == 2
                    && simple
                    && stmt.parent.is_some_and(|p| name_of(&stmts[p]) == "geo")
                    && !word(1).contains(['*', '?', '['])
                {
                    // The geo base nginx-tests write before starting nginx (geo_binary).
                    let ranges = stmts
                        .iter()
                        .any(|s| s.parent == stmt.parent && name_of(s) == "ranges");
                    let content = if ranges {
                        Content::GeoRanges
                    } else {
                        Content::GeoNetworks
                    };
                    self.make_file(prefix, confdir, &word(1), content)?;
                }
            }
            if !edits.is_empty() {
                std::fs::write(&file, edit(&src, edits))?;
            }
        }
        Ok(())
    }

    /// `user NAME [GROUP];` with a user or group this machine lacks (nginx -t calls
    /// getpwnam and getgrnam): the missing name is replaced by an existing one.
    fn user_edits(
        &self,
        src: &[u8],
        tokens: &[Token],
        stmt: &Stmt,
    ) -> Vec<(usize, usize, Vec<u8>)> {
        let args: Vec<(&Token, &str)> = stmt.words[1..]
            .iter()
            .map(|&w| &tokens[w])
            .filter(|t| !t.quoted)
            .filter_map(|t| Some((t, std::str::from_utf8(&src[t.start..t.end]).ok()?)))
            .collect();
        if args.len() + 1 != stmt.words.len() {
            return Vec::new();
        }
        let mut edits = Vec::new();
        let mut replace = |(t, name): (&Token, &str), candidates: Vec<&String>| {
            if let Some(new) = replacement(name, &candidates) {
                edits.push((t.start, t.end, new));
            }
        };
        match args[..] {
            // Without a group nginx takes the group of the user's name.
            [user] if self.users.get(user.1) != Some(&true) => replace(
                user,
                self.users
                    .iter()
                    .filter(|(_, g)| **g)
                    .map(|(u, _)| u)
                    .collect(),
            ),
            [user, group] => {
                if !self.users.contains_key(user.1) {
                    replace(user, self.users.keys().collect());
                }
                if !self.groups.contains(group.1) {
                    replace(group, self.groups.iter().collect());
                }
            }
            _ => {}
        }
        edits
    }

    /// `load_module modules/NAME.so` (Debian's and Ubuntu's nginx.conf): relative to
    /// the prefix, where the installed module is linked if there is one.
    fn link_module(&self, prefix: &Path, arg: &str) -> std::io::Result<()> {
        let path = Path::new(arg);
        let installed = path.file_name().map(|n| self.modules_dir.join(n));
        let Some(installed) = installed.filter(|p| p.is_file()) else {
            return Ok(());
        };
        let link = prefix.join(path);
        if path.is_absolute()
            || path.components().any(|c| matches!(c, Component::ParentDir))
            || link.symlink_metadata().is_ok()
        {
            return Ok(());
        }
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::os::unix::fs::symlink(installed, link)
    }

    /// Writes `content` to the file `arg` names, relative to `base`, unless it exists.
    fn make_file(
        &self,
        prefix: &Path,
        base: &Path,
        arg: &str,
        content: Content,
    ) -> std::io::Result<()> {
        // Variables are resolved per request, data: and engine: are no files.
        if arg.is_empty()
            || arg.contains('$')
            || arg.starts_with("data:")
            || arg.starts_with("engine:")
        {
            return Ok(());
        }
        let path = base.join(arg);
        let inside = path.starts_with(prefix)
            && !path.components().any(|c| matches!(c, Component::ParentDir));
        if !inside || path.symlink_metadata().is_ok() {
            return Ok(());
        }
        let pair = if wants_ec(arg) { &self.ec } else { &self.rsa };
        let bytes: &[u8] = match content {
            Content::Certificate => &pair.certificate,
            Content::Key => &pair.key,
            Content::Password => b"secret\n",
            Content::OcspResponse => OCSP_RESPONSE,
            Content::TicketKey => &[0x5a; 80],
            Content::GeoRanges => b"127.0.0.0-127.0.0.255 loopback;\n",
            Content::GeoNetworks => b"127.0.0.0/24 loopback;\n",
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }
}
