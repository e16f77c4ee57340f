//! What a run checks against: nginx version, enabled rules and their severities, the
//! thresholds of the 502/504 rules, excluded files, the fail level. Filled from
//! defaults, then `proxylint.toml` ([`Settings::from_file`], found by [`discover`]),
//! then command-line flags (src/cli.rs). Reads the configuration file only.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use foldhash::HashMap;
use serde::{Deserialize, Deserializer};

use crate::Error;
use crate::diagnostic::Severity;
use crate::nginx::grammar::{DEFAULT_VERSION, Version};
use crate::nginx::values::{parse_size, parse_time};

/// Name of the configuration file searched upward from the linted file.
pub const CONFIG_FILE: &str = "proxylint.toml";

/// Limits the NGX1xx rules compare against. Times in milliseconds, sizes in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// NGX102: `*_read_timeout` and `*_send_timeout` below this are too low.
    pub min_read_timeout_ms: i64,
    /// NGX102: `*_connect_timeout` below this is too low.
    pub min_connect_timeout_ms: i64,
    /// NGX103: `*_connect_timeout` above this has no effect (Linux's default SYN
    /// retries give up after about 127 s).
    pub max_connect_timeout_ms: i64,
    /// NGX104: `*_buffer_size` (and a `*_buffers` buffer) below this is too small.
    pub min_buffer_size: i64,
    /// NGX116: `worker_connections` below this is too low for a proxy.
    pub min_worker_connections: i64,
    /// NGX114: ports that conventionally speak plain HTTP, TLS, FastCGI, gRPC/HTTP2.
    pub http_ports: Vec<u16>,
    pub tls_ports: Vec<u16>,
    pub fastcgi_ports: Vec<u16>,
}

impl Default for Thresholds {
    fn default() -> Self {
        let ports = crate::nginx::grammar::conventional_ports();
        Thresholds {
            min_read_timeout_ms: 10_000,
            min_connect_timeout_ms: 1_000,
            max_connect_timeout_ms: 127_000,
            min_buffer_size: 4096,
            min_worker_connections: 512,
            http_ports: ports.http,
            tls_ports: ports.tls,
            fastcgi_ports: ports.fastcgi,
        }
    }
}

/// Where the nginx version checked against comes from, for the summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    /// Neither configured nor found: the current stable; why no nginx was asked, or
    /// what asking gave.
    Default(Option<String>),
    /// `--nginx-version`.
    Option,
    /// `nginx-version` in this proxylint.toml.
    File(PathBuf),
    /// `binary -v` reported `reported`; checked as the nearest version the tables know.
    Detected { binary: PathBuf, reported: Version },
}

impl VersionSource {
    /// The source in one word, for machine-readable output.
    pub fn key(&self) -> &'static str {
        match self {
            VersionSource::Default(_) => "default",
            VersionSource::Option => "option",
            VersionSource::File(_) => "config",
            VersionSource::Detected { .. } => "nginx -v",
        }
    }

    /// "nginx 1.22.1 (`/usr/sbin/nginx -v`)": `used` and where it comes from.
    pub fn describe(&self, used: Version) -> String {
        let why = match self {
            VersionSource::Default(None) => {
                "the current stable release; set --nginx-version to yours".to_string()
            }
            VersionSource::Default(Some(why)) => {
                format!("the current stable release: {why}; set --nginx-version to yours")
            }
            VersionSource::Option => "--nginx-version".to_string(),
            VersionSource::File(path) => {
                format!("nginx-version in {}", crate::source::display_name(path))
            }
            VersionSource::Detected { binary, reported } if *reported == used => {
                format!(
                    "`{} -v`",
                    crate::source::printable(&binary.to_string_lossy())
                )
            }
            VersionSource::Detected { binary, reported } => format!(
                "`{} -v` says {reported}, outside proxylint's tables: the nearest they know",
                crate::source::printable(&binary.to_string_lossy())
            ),
        };
        format!("nginx {used} ({why})")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub nginx_version: Version,
    /// Where `nginx_version` comes from.
    pub nginx_version_from: VersionSource,
    /// NGINX Plus directives are known.
    pub plus: bool,
    /// Only these rule codes run (all when empty).
    pub select: Vec<String>,
    /// These rule codes do not run.
    pub ignore: Vec<String>,
    /// Per-rule severity overrides, by upper-case code.
    pub severity: HashMap<String, Severity>,
    pub thresholds: Thresholds,
    /// Addresses the backends are known to listen on (`unix:/run/php/php8.2-fpm.sock`,
    /// `127.0.0.1:9000`), for the rules that compare pass targets with them.
    pub backends: Vec<String>,
    /// Lowest severity that makes the exit code 1; `None`: no finding does
    /// (`--exit-zero`, `fail-level = "none"`).
    pub fail_level: Option<Severity>,
    /// Files not to lint (as entries) and whose findings are dropped (as includes):
    /// absolute patterns, matched against canonical paths.
    pub exclude: Vec<glob::Pattern>,
    /// Third-party modules the target nginx has besides what `load_module` loads
    /// (`--modules`, `modules = [...]`), by module name; `None` when not said.
    pub modules: Option<Vec<&'static str>>,
    /// The httpd version Apache configurations are checked against (`[apache] version`).
    pub apache_version: Version,
    /// Where `apache_version` comes from (httpd is never asked: `Default` or set).
    pub apache_version_from: VersionSource,
    /// Where included paths of the target machine are found here (`--include-root`,
    /// `[include] roots`): a repository's copy of /etc/nginx.
    pub include_roots: Vec<IncludeRoot>,
}

/// An absolute directory of the machine a configuration is for, and where its files are
/// read from instead (`/etc/nginx` = `./nginx` in a repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeRoot {
    pub from: PathBuf,
    pub to: PathBuf,
}

impl IncludeRoot {
    /// `path` under this root's `to`, when it is under its `from`.
    pub fn map(&self, path: &Path) -> Option<PathBuf> {
        path.strip_prefix(&self.from)
            .ok()
            .map(|rest| self.to.join(rest))
    }
}

/// Where `path` is read from: mapped by the root with the longest `from` that contains
/// it, else itself.
pub fn map_include(roots: &[IncludeRoot], path: &Path) -> Option<PathBuf> {
    roots
        .iter()
        .filter_map(|r| Some((r.from.components().count(), r.map(path)?)))
        .max_by_key(|(depth, _)| *depth)
        .map(|(_, mapped)| mapped)
}

/// An include root `FROM=TO`: FROM an absolute path as the configuration names it, TO
/// where those files are here (relative paths against `base`).
pub fn include_root(from: &str, to: &str, base: &Path) -> Result<IncludeRoot, String> {
    let from_path = Path::new(from);
    if !from_path.is_absolute() {
        return Err(format!(
            "include root \"{from}\" must be an absolute path, as the configuration names it (e.g. /etc/nginx)"
        ));
    }
    if to.is_empty() {
        return Err(format!("include root \"{from}\" maps to an empty path"));
    }
    // Components drop `.` and trailing slashes: `./nginx/` is `nginx`.
    Ok(IncludeRoot {
        from: from_path.components().collect(),
        to: base.join(to).components().collect(),
    })
}

/// A `--include-root FROM=TO` value; TO relative to the working directory.
pub fn parse_include_root(s: &str) -> Result<IncludeRoot, String> {
    let Some((from, to)) = s.split_once('=') else {
        return Err(format!(
            "invalid include root \"{s}\": expected FROM=TO, e.g. /etc/nginx=./nginx"
        ));
    };
    let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
    include_root(from, to, &cwd)
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            nginx_version: DEFAULT_VERSION,
            nginx_version_from: VersionSource::Default(None),
            plus: false,
            select: Vec::new(),
            ignore: Vec::new(),
            severity: HashMap::default(),
            thresholds: Thresholds::default(),
            backends: Vec::new(),
            fail_level: Some(Severity::Warning),
            exclude: Vec::new(),
            modules: None,
            apache_version: crate::apache::grammar::DEFAULT_VERSION,
            apache_version_from: VersionSource::Default(None),
            include_roots: Vec::new(),
        }
    }
}

/// Whether `code` matches a selector: a full code (`NGX102`) or a prefix (`NGX1`,
/// `NGX`), case-insensitive.
fn matches(selector: &str, code: &str) -> bool {
    code.len() >= selector.len() && code[..selector.len()].eq_ignore_ascii_case(selector)
}

impl Settings {
    /// Whether a rule runs: selected and not ignored; an unsuppressible rule (NGX001)
    /// always runs.
    pub fn rule_enabled(&self, code: &str) -> bool {
        crate::rules::unsuppressible(code).is_some()
            || ((self.select.is_empty() || self.select.iter().any(|s| matches(s, code)))
                && !self.ignore.iter().any(|s| matches(s, code)))
    }

    /// Whether `exclude` names this file.
    pub fn excluded(&self, path: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        // Canonical paths, so `../conf/x.conf` and symlinked directories match too.
        let path = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf());
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        self.exclude
            .iter()
            .any(|p| p.matches_path_with(&path, options))
    }

    /// Defaults overridden by a `proxylint.toml`.
    pub fn from_file(path: &Path) -> Result<Settings, Error> {
        let error = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FileSettings =
            toml::from_str(&text).map_err(|e| error(e.to_string().trim_end().to_string()))?;
        let dir = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let sets_version = file.nginx_version.is_some()
            || file.nginx.as_ref().is_some_and(|t| t.version.is_some());
        let sets_apache = file.apache.as_ref().is_some_and(|t| t.version.is_some());
        let mut settings = file.apply(&dir, Settings::default()).map_err(error)?;
        if sets_version {
            settings.nginx_version_from = VersionSource::File(path.to_path_buf());
        }
        if sets_apache {
            settings.apache_version_from = VersionSource::File(path.to_path_buf());
        }
        Ok(settings)
    }

    /// Checks against the installed nginx when no version is configured: the version
    /// it reports, or the nearest the tables know.
    pub fn use_detected(&mut self, detected: crate::nginx::detect::Detected) {
        use crate::nginx::detect::Detected;
        if !matches!(self.nginx_version_from, VersionSource::Default(_)) {
            return;
        }
        match detected {
            Detected::Version { binary, version } => {
                self.nginx_version = crate::nginx::grammar::nearest_supported(version);
                self.nginx_version_from = VersionSource::Detected {
                    binary,
                    reported: version,
                };
            }
            Detected::Nothing(why) => self.nginx_version_from = VersionSource::Default(Some(why)),
        }
    }
}

/// The first `proxylint.toml` in `start` or a directory above it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// A `--select` value or `select` entry: a rule code or a prefix of some (`NGX1`).
/// A backend address: `unix:/path` or `host:port` (`[v6]:port`), as the backend listens.
pub fn parse_backend(s: &str) -> Result<String, String> {
    use crate::nginx::url::{ParseOptions, parse_addr};
    let bad =
        || format!("invalid backend address \"{s}\": expected unix:/path/to.sock or host:port");
    let addr = parse_addr(s, ParseOptions::default()).map_err(|_| bad())?;
    if !addr.unix && addr.port.is_none() {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// A `--modules` value or `modules` entry: the third-party modules it names (see
/// `Grammar::third_party_modules_named`); `none` names none (`--modules none`: the
/// target nginx has no third-party module).
pub fn parse_module(s: &str) -> Result<Vec<&'static str>, String> {
    let g = crate::nginx::grammar::grammar();
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let found = g.third_party_modules_named(s.trim());
    if !found.is_empty() {
        return Ok(found);
    }
    let names = g.third_party_module_names();
    let hint = crate::suggest::closest(s, names.iter().map(String::as_str), 0.85, 2).map_or_else(
        || format!(" (known: {})", names.join(", ")),
        |n| format!("; did you mean \"{n}\"?"),
    );
    Err(format!("unknown third-party module \"{s}\"{hint}"))
}

/// A `--fail-level` or `fail-level` value: the lowest severity that makes the exit code
/// 1, or `none` (`None`: findings never do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailLevel(pub Option<Severity>);

impl FromStr for FailLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(FailLevel(None)),
            s => s
                .parse()
                .map(|level| FailLevel(Some(level)))
                .map_err(|e: String| format!("{e}, or none")),
        }
    }
}

pub fn parse_selector(s: &str) -> Result<String, String> {
    let code = s.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err("empty rule code".to_string());
    }
    if !crate::rules::all().any(|r| matches(&code, r.code)) {
        return Err(format!(
            "\"{s}\" matches no rule code (see `proxylint rules`)"
        ));
    }
    Ok(code)
}

/// An `--ignore` value or `ignore` entry: a selector, but never NGX001 itself.
pub fn parse_ignored(s: &str) -> Result<String, String> {
    let code = parse_selector(s)?;
    if let Some((rule, what)) = crate::rules::unsuppressible(&code) {
        return Err(format!(
            "{code} ({what}) cannot be ignored: {} such a file",
            rule.reads.refuser()
        ));
    }
    Ok(code)
}

/// A value read through its `FromStr`, so that a bad value is reported by toml with the
/// file's line and key.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Parsed<T>(T);

impl<'de, T> Deserialize<'de> for Parsed<T>
where
    T: FromStr,
    T::Err: Display,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Parsed).map_err(serde::de::Error::custom)
    }
}

macro_rules! parsed_by {
    ($name:ident, $doc:literal, $parse:expr) => {
        #[doc = $doc]
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        struct $name(String);

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $parse(s).map($name)
            }
        }
    };
}

/// `nginx-version`: a version the tables cover.
#[derive(PartialEq)]
struct SupportedVersion(Version);

impl FromStr for SupportedVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::nginx::grammar::parse_supported(s).map(SupportedVersion)
    }
}

parsed_by!(Selector, "An entry of `select`.", parse_selector);
parsed_by!(Backend, "An entry of `backends`.", parse_backend);
parsed_by!(Ignored, "An entry of `ignore`.", parse_ignored);
parsed_by!(
    RuleCode,
    "A key of `[rules]`: a full rule code.",
    |s: &str| {
        crate::rules::all()
            .find(|r| r.code.eq_ignore_ascii_case(s))
            .map(|r| r.code.to_string())
            .ok_or_else(|| format!("unknown rule code \"{s}\" (see `proxylint rules`)"))
    }
);

/// A time in nginx syntax (`500ms`, `10s`, `1m`), in milliseconds.
struct Millis(i64);

impl FromStr for Millis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_time(s, false).map(Millis).ok_or_else(|| {
            format!("invalid time \"{s}\": expected nginx syntax such as 500ms, 10s, 1m")
        })
    }
}

/// A size in nginx syntax (`4k`, `1m`), in bytes.
struct Bytes(i64);

impl FromStr for Bytes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_size(s).map(Bytes).ok_or_else(|| {
            format!("invalid size \"{s}\": expected nginx syntax such as 4096, 8k, 1m")
        })
    }
}

/// An entry of `modules`.
#[derive(PartialEq)]
struct ModuleNames(Vec<&'static str>);

/// `[apache] version`: parsed with httpd's spelling and message.
#[derive(PartialEq)]
struct ApacheVersion(Version);

impl FromStr for ApacheVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::apache::grammar::parse_version(s).map(ApacheVersion)
    }
}

impl FromStr for ModuleNames {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_module(s).map(ModuleNames)
    }
}

/// `[rules]` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Error,
    Warning,
    Info,
    Off,
}

/// proxylint.toml as written. Every key is optional; unknown keys are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileSettings {
    nginx_version: Option<Parsed<SupportedVersion>>,
    plus: Option<bool>,
    fail_level: Option<Parsed<FailLevel>>,
    select: Option<Vec<Parsed<Selector>>>,
    ignore: Option<Vec<Parsed<Ignored>>>,
    exclude: Option<Vec<Parsed<glob::Pattern>>>,
    rules: Option<BTreeMap<Parsed<RuleCode>, Level>>,
    thresholds: Option<FileThresholds>,
    backends: Option<Vec<Parsed<Backend>>>,
    modules: Option<Vec<Parsed<ModuleNames>>>,
    nginx: Option<FileNginx>,
    apache: Option<FileApache>,
    include: Option<FileInclude>,
}

/// `[include]`: `roots = { "/etc/nginx" = "./nginx" }`, relative to the file's directory.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInclude {
    roots: Option<BTreeMap<String, String>>,
}

/// `[nginx]`: what the nginx configurations are checked against. The top-level
/// `nginx-version`, `plus` and `modules` keys say the same and keep working.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileNginx {
    version: Option<Parsed<SupportedVersion>>,
    plus: Option<bool>,
    modules: Option<Vec<Parsed<ModuleNames>>>,
}

/// `[apache]`: what the Apache httpd configurations are checked against.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileApache {
    version: Option<Parsed<ApacheVersion>>,
}

/// A setting that has a top-level key and a key in its dialect's table: either may be
/// given, both only when they agree.
fn either<T: PartialEq>(
    top: Option<T>,
    table: Option<T>,
    top_key: &str,
    table_key: &str,
) -> Result<Option<T>, String> {
    match (top, table) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "`{top_key}` and `{table_key}` disagree: keep one of them"
        )),
        (a, b) => Ok(b.or(a)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileThresholds {
    min_read_timeout: Option<Parsed<Millis>>,
    min_connect_timeout: Option<Parsed<Millis>>,
    max_connect_timeout: Option<Parsed<Millis>>,
    min_buffer_size: Option<Parsed<Bytes>>,
    min_worker_connections: Option<u32>,
    http_ports: Option<Vec<u16>>,
    tls_ports: Option<Vec<u16>>,
    fastcgi_ports: Option<Vec<u16>>,
}

impl FileSettings {
    /// `base` overridden by the file; `dir` is the file's directory (excluded paths are
    /// relative to it).
    fn apply(self, dir: &Path, mut base: Settings) -> Result<Settings, String> {
        let (nginx_version, plus, modules) = match self.nginx {
            Some(t) => (t.version, t.plus, t.modules),
            None => (None, None, None),
        };
        let nginx_version = either(
            self.nginx_version,
            nginx_version,
            "nginx-version",
            "[nginx] version",
        )?;
        if let Some(Parsed(SupportedVersion(v))) = nginx_version {
            base.nginx_version = v;
        }
        if let Some(plus) = either(self.plus, plus, "plus", "[nginx] plus")? {
            base.plus = plus;
        }
        if let Some(Parsed(ApacheVersion(v))) = self.apache.and_then(|a| a.version) {
            base.apache_version = v;
        }
        if let Some(Parsed(FailLevel(level))) = self.fail_level {
            base.fail_level = level;
        }
        if let Some(select) = self.select {
            base.select = select.into_iter().map(|Parsed(Selector(c))| c).collect();
        }
        if let Some(ignore) = self.ignore {
            base.ignore = ignore.into_iter().map(|Parsed(Ignored(c))| c).collect();
        }
        for Parsed(pattern) in self.exclude.unwrap_or_default() {
            // Matched against canonical paths, which have no `./` components.
            let relative = pattern.as_str().trim_start_matches("./");
            let absolute = if Path::new(relative).is_absolute() {
                relative.to_string()
            } else {
                format!(
                    "{}/{relative}",
                    glob::Pattern::escape(&dir.display().to_string())
                )
            };
            base.exclude.push(
                glob::Pattern::new(&absolute)
                    .map_err(|e| format!("exclude: invalid pattern \"{absolute}\": {e}"))?,
            );
        }
        for (Parsed(RuleCode(code)), level) in self.rules.unwrap_or_default() {
            if let Some((rule, what)) = crate::rules::unsuppressible(&code)
                && level != Level::Error
            {
                return Err(format!(
                    "[rules] {code}: {what} cannot be turned off or downgraded: {} such a file",
                    rule.reads.refuser()
                ));
            }
            let severity = match level {
                Level::Error => Severity::Error,
                Level::Warning => Severity::Warning,
                Level::Info => Severity::Info,
                Level::Off => {
                    base.ignore.push(code);
                    continue;
                }
            };
            base.severity.insert(code, severity);
        }
        if let Some(t) = self.thresholds {
            t.apply(&mut base.thresholds);
        }
        if let Some(backends) = self.backends {
            base.backends = backends.into_iter().map(|Parsed(Backend(b))| b).collect();
        }
        for (from, to) in self.include.and_then(|i| i.roots).unwrap_or_default() {
            base.include_roots
                .push(include_root(&from, &to, dir).map_err(|e| format!("[include] roots: {e}"))?);
        }
        if let Some(modules) = either(self.modules, modules, "modules", "[nginx] modules")? {
            base.modules = Some(
                modules
                    .into_iter()
                    .flat_map(|Parsed(ModuleNames(m))| m)
                    .collect(),
            );
        }
        Ok(base)
    }
}

impl FileThresholds {
    fn apply(self, t: &mut Thresholds) {
        if let Some(Parsed(Millis(v))) = self.min_read_timeout {
            t.min_read_timeout_ms = v;
        }
        if let Some(Parsed(Millis(v))) = self.min_connect_timeout {
            t.min_connect_timeout_ms = v;
        }
        if let Some(Parsed(Millis(v))) = self.max_connect_timeout {
            t.max_connect_timeout_ms = v;
        }
        if let Some(Parsed(Bytes(v))) = self.min_buffer_size {
            t.min_buffer_size = v;
        }
        if let Some(v) = self.min_worker_connections {
            t.min_worker_connections = i64::from(v);
        }
        if let Some(v) = self.http_ports {
            t.http_ports = v;
        }
        if let Some(v) = self.tls_ports {
            t.tls_ports = v;
        }
        if let Some(v) = self.fastcgi_ports {
            t.fastcgi_ports = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Settings, String> {
        let file: FileSettings = toml::from_str(text).map_err(|e| e.to_string())?;
        file.apply(Path::new("/"), Settings::default())
    }

    #[test]
    fn per_dialect_tables_and_the_top_level_keys_say_the_same() {
        let table =
            read("[nginx]\nversion = \"1.22.1\"\nplus = true\n[apache]\nversion = \"2.4.62\"\n")
                .expect("valid");
        assert_eq!(table.nginx_version, Version(1, 22, 1));
        assert!(table.plus);
        assert_eq!(table.apache_version, Version(2, 4, 62));
        let top = read("nginx-version = \"1.22.1\"\nplus = true\n").expect("valid");
        assert_eq!(top.nginx_version, table.nginx_version);
        assert_eq!(top.plus, table.plus);
        assert_eq!(
            Settings::default().apache_version,
            crate::apache::grammar::DEFAULT_VERSION
        );
        // Both spellings may be given when they agree.
        assert!(read("nginx-version = \"1.24\"\n[nginx]\nversion = \"1.24.0\"\n").is_ok());
    }

    #[test]
    fn disagreeing_spellings_and_unknown_keys_are_errors() {
        let err = read("nginx-version = \"1.24.0\"\n[nginx]\nversion = \"1.22.1\"\n")
            .expect_err("disagree");
        assert!(
            err.contains("`nginx-version` and `[nginx] version` disagree"),
            "{err}"
        );
        let err = read("[apache]\nversion = \"two\"\n").expect_err("bad version");
        assert!(
            err.contains("invalid Apache httpd version \"two\""),
            "{err}"
        );
        assert!(read("[apache]\nplus = true\n").is_err());
    }
}
