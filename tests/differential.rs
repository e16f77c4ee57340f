//! Differential test: proxylint's verdict must be the real `nginx -t`'s.
//!
//! Every configuration of ../shared/corpus/nginx, and a few hundred seeded mutations
//! of the ones nginx accepts, is copied to a temp dir, given `load_module` lines for
//! the dynamic modules Debian ships, and checked by both the installed nginx and
//! proxylint (through the library, with the installed nginx's version). They agree when
//! both accept, or both refuse naming the same file and line (or both no line).
//!
//! Before the runs, the temp dir gets what the configurations expect of the host
//! ([`fixups`]), without adding or removing a line, so that nginx gets past it and the
//! rest of the file is compared too:
//! - files nginx opens while testing, when they are missing and inside the temp dir:
//!   a self-signed certificate (`ssl_certificate`, `ssl_trusted_certificate`,
//!   `ssl_client_certificate`, `ssl_crl`, their `proxy_`, `grpc_` and `uwsgi_`
//!   variants, `ssl_conf_command Certificate`) and its key (`*ssl_certificate_key`,
//!   `ssl_conf_command PrivateKey`), an EC pair where the file name has an `ec` word,
//!   else RSA, made once per run with the `openssl` CLI; a password file
//!   (`*ssl_password_file`); an OCSP response (`ssl_stapling_file`); an 80-byte
//!   ticket key (`ssl_session_ticket_key`); the data file a `geo` block includes;
//! - `load_module modules/NAME.so` relative to the prefix: a link to the installed
//!   module, when it is installed;
//! - `user NAME [GROUP];` naming a user or group this machine lacks: an existing one,
//!   of the same length where there is one, else padded with spaces.
//!
//! A disagreement is put in one of three categories by what nginx said: it depends on
//! DNS, it depends on the host's files or users, or it is proxylint's bug. The test
//! fails on any bug not listed in [`KNOWN_DIVERGENCES`], and on listed ones that have
//! gone away, so that the list only shrinks. `cargo test --test differential --
//! --nocapture` prints the summary table and every disagreement.
//!
//! Runs whenever nginx is installed; with `CI=true` a missing nginx, module or corpus
//! fails the test instead of skipping it.

#[path = "common/skip.rs"]
mod skip;

mod common;
// In a directory of its own: a file directly in tests/ would be a test crate.
#[path = "differential/fixups.rs"]
mod fixups;
#[path = "common/nginx.rs"]
mod nginx_t;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::mutate::{KINDS, Rng, mutate};
use fixups::Fixups;
use nginx_t::{find_nginx, modules_dir, nginx_version, run_nginx_t};
use proxylint::lint::{Input, LoadOptions, check, load};
use proxylint::nginx::report::first_error;
use proxylint::settings::Settings;

/// Disagreements that are proxylint's bugs, known and not fixed yet: case id (as the
/// summary prints it) and why they differ. Remove an entry when its fix lands; the
/// test fails when a listed case agrees, so the list cannot rot.
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[
    // Debian's nginx 1.22.1 differs from the directive table.
    (
        "nginx-tests/geo_volatile",
        "nginx 1.22 has no `volatile` in geo: `invalid number of the geo parameters`",
    ),
    (
        "nginx-tests/http_max_headers",
        "Debian's 1.22.1 has max_headers (backported); the table has it since 1.29.8",
    ),
    (
        "nginx-tests/proxy_ssl_certificate_empty",
        r#"nginx 1.22 has no empty proxy_ssl_certificate: "" names the conf dir, which is no certificate"#,
    ),
];

/// Dynamic modules loaded into every configuration, in an order nginx accepts
/// (ndk before lua and set-misc, the stream module before stream-* modules), with
/// the Debian package providing each: the ones real configurations (and the corpus)
/// use, plus those nginx-full pulls in. A fixed list, so that the known divergences
/// are the same on every machine; the other Debian modules (modsecurity, nchan,
/// rtmp...) no corpus configuration uses, and modsecurity alone would add a third
/// to each nginx run.
const MODULES: &[(&str, &str)] = &[
    ("ndk_http_module.so", "libnginx-mod-http-ndk"),
    ("ngx_http_lua_module.so", "libnginx-mod-http-lua"),
    ("ngx_http_set_misc_module.so", "libnginx-mod-http-set-misc"),
    (
        "ngx_http_headers_more_filter_module.so",
        "libnginx-mod-http-headers-more-filter",
    ),
    ("ngx_http_geoip2_module.so", "libnginx-mod-http-geoip2"),
    (
        "ngx_http_brotli_filter_module.so",
        "libnginx-mod-http-brotli-filter",
    ),
    (
        "ngx_http_brotli_static_module.so",
        "libnginx-mod-http-brotli-static",
    ),
    ("ngx_http_js_module.so", "libnginx-mod-http-js"),
    ("ngx_http_echo_module.so", "libnginx-mod-http-echo"),
    (
        "ngx_http_subs_filter_module.so",
        "libnginx-mod-http-subs-filter",
    ),
    ("ngx_http_auth_pam_module.so", "libnginx-mod-http-auth-pam"),
    ("ngx_http_dav_ext_module.so", "libnginx-mod-http-dav-ext"),
    (
        "ngx_http_upstream_fair_module.so",
        "libnginx-mod-http-upstream-fair",
    ),
    ("ngx_stream_module.so", "libnginx-mod-stream"),
    ("ngx_stream_geoip2_module.so", "libnginx-mod-stream-geoip2"),
    ("ngx_stream_js_module.so", "libnginx-mod-stream-js"),
];

/// Mutations made of each configuration nginx accepts.
const MUTATIONS_PER_CONFIG: u64 = 5;
/// nginx runs at once: the CI machine has two cores, shared.
const PARALLEL: usize = 2;
/// The directory nginx-tests' configurations name (their %%TESTDIR%%); rewritten to
/// the case's prefix, where the files the tests write are copied.
const NGINX_TESTS_DIR: &str = "/tmp/nginx-test";

/// Skips (returns `None`) when a prerequisite is missing, except in CI where that is
/// a failure.
fn prerequisite<T>(found: Option<T>, what: &str) -> Option<T> {
    skip::require(found, "agreement with nginx -t", what)
}

struct Env {
    nginx: PathBuf,
    settings: Settings,
    /// `load_module` lines for the modules found, on one line.
    modules: String,
    fixups: Fixups,
}

fn environment() -> Option<(Env, PathBuf)> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/nginx");
    let corpus = prerequisite(
        corpus.is_dir().then_some(corpus),
        "../shared/corpus/nginx is missing",
    )?;
    let nginx = prerequisite(find_nginx(), "nginx is not installed")?;
    let version = nginx_version(&nginx);
    let modules_dir = modules_dir(&nginx);
    let modules_dir = modules_dir.as_path();
    let mut modules = String::new();
    let mut missing = Vec::new();
    for (so, package) in MODULES {
        let path = Path::new(modules_dir).join(so);
        if path.is_file() {
            modules.push_str(&format!("load_module {};", path.display()));
        } else {
            missing.push(*package);
        }
    }
    if !missing.is_empty() {
        // The known divergences were recorded with every module loaded.
        assert!(
            !skip::in_ci(),
            "CI=true but not installed: {}",
            missing.join(" ")
        );
        eprintln!("note: modules not installed: {}", missing.join(" "));
    }
    let fixups = Fixups::new(Path::new(modules_dir))
        .map_err(|e| eprintln!("cannot make the host fixups: {e}"))
        .ok();
    let fixups = prerequisite(fixups, "openssl cannot make the test certificates")?;
    let settings = Settings {
        nginx_version: version,
        plus: false,
        ..Default::default()
    };
    Some((
        Env {
            nginx,
            settings,
            modules,
            fixups,
        },
        corpus,
    ))
}

/// One configuration to check with both.
#[derive(Clone)]
struct Case {
    corpus: &'static str,
    /// Unique name, as KNOWN_DIVERGENCES and the summary spell it.
    id: String,
    /// Directory copied for the run.
    dir: PathBuf,
    /// Where in the prefix the directory goes ("" or "conf").
    conf_subdir: &'static str,
    /// Main file, relative to `dir`.
    main: PathBuf,
    /// Replaces the main file's text (a mutation).
    text: Option<Vec<u8>>,
    /// Golden `nginx -t` output to check the harness against.
    expected: Option<PathBuf>,
    /// The files name nginx-tests' TESTDIR, to be rewritten to the prefix.
    testdir: bool,
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The words the `include` directives of a directory's files name, to tell a
/// directory's entry files from the ones it includes.
fn included_names(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let text = std::fs::read(entry.path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let mut words = text.split(|c: char| c.is_whitespace() || c == ';');
        while let Some(w) = words.next() {
            if w == "include"
                && let Some(arg) = words.find(|a| !a.is_empty())
            {
                names.insert(file_name(Path::new(arg)));
            }
        }
    }
    names
}

/// crossplane and go-crossplane: each case directory's nginx.conf, plus the other
/// `*.conf` files directly in it that nothing includes (standalone variants such as
/// if-expr/no-parens.conf); case directories holding only subdirectories
/// (includes-cycle/valid, /invalid) are cases each.
fn crossplane_cases(corpus: &'static str, root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut dirs: Vec<PathBuf> = sorted_entries(root)
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    let mut i = 0;
    while i < dirs.len() {
        let dir = dirs[i].clone();
        i += 1;
        let files: Vec<PathBuf> = sorted_entries(&dir)
            .into_iter()
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "conf"))
            .collect();
        if files.is_empty() {
            dirs.extend(sorted_entries(&dir).into_iter().filter(|p| p.is_dir()));
            continue;
        }
        let included = included_names(&dir);
        let rel = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
        for file in files {
            let name = file_name(&file);
            if included.contains(&name) {
                continue;
            }
            let id = if name == "nginx.conf" {
                format!("{corpus}/{rel}")
            } else {
                format!("{corpus}/{rel}/{name}")
            };
            cases.push(Case {
                corpus,
                id,
                dir: dir.clone(),
                conf_subdir: "",
                main: PathBuf::from(name),
                text: None,
                expected: None,
                testdir: false,
            });
        }
    }
    cases
}

/// nginx-t-oracle: every NAME.conf with a NAME.expected; the whole directory is the
/// conf dir (t1.conf and relinc.conf include files of conf.d/ and sub/).
fn oracle_cases(root: &Path) -> Vec<Case> {
    sorted_entries(root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "expected"))
        .filter(|p| p.with_extension("conf").is_file())
        .map(|expected| {
            let stem = expected
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Case {
                corpus: "nginx-t-oracle",
                id: format!("nginx-t-oracle/{stem}"),
                dir: root.to_path_buf(),
                conf_subdir: "conf",
                main: PathBuf::from(format!("{stem}.conf")),
                text: None,
                expected: Some(expected),
                testdir: false,
            }
        })
        .collect()
}

fn nginx_tests_cases(root: &Path) -> Vec<Case> {
    sorted_entries(root)
        .into_iter()
        .filter(|d| d.join("nginx.conf").is_file())
        .map(|dir| Case {
            corpus: "nginx-tests",
            id: format!("nginx-tests/{}", file_name(&dir)),
            dir,
            conf_subdir: "",
            main: PathBuf::from("nginx.conf"),
            text: None,
            expected: None,
            testdir: true,
        })
        .collect()
}

/// What one side said about a configuration.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Accept,
    /// Refused: the message and the place named (file relative to the prefix, line).
    Reject {
        message: String,
        at: Option<(String, usize)>,
    },
    /// The tool failed: nginx timed out or crashed, proxylint panicked or returned an error.
    Failed(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => write!(f, "accepts"),
            Verdict::Reject {
                message,
                at: Some((file, line)),
            } => write!(f, "{file}:{line}: {message}"),
            Verdict::Reject { message, at: None } => write!(f, "(no line): {message}"),
            Verdict::Failed(why) => write!(f, "FAILED: {why}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Agree,
    /// nginx could not resolve a name.
    Dns,
    /// nginx could not read a file that is not an include, or a user, group or module.
    HostFiles,
    /// proxylint is wrong.
    Bug,
}

struct Outcome {
    corpus: &'static str,
    id: String,
    nginx: Verdict,
    proxylint: Verdict,
    category: Category,
    /// nginx's first line differs from the golden output (a harness problem).
    golden_mismatch: Option<String>,
}

/// A place as the summary shows it: the path relative to the prefix, so that the
/// temp dir's name does not appear.
fn relative_place(prefix: &Path, path: &Path, line: usize) -> (String, usize) {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let prefix = std::fs::canonicalize(prefix).unwrap_or_else(|_| prefix.to_path_buf());
    let shown = canonical
        .strip_prefix(&prefix)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| canonical.display().to_string());
    (shown, line)
}

/// The verdict in nginx's stderr: its first `[emerg]` line, `MESSAGE in FILE:LINE`,
/// or `[alert]`/`[crit]` line: after the syntax check nginx creates the shared memory
/// zones and reports an mmap() that fails as an alert.
fn nginx_verdict(stderr: &str, success: bool, prefix: &Path) -> Verdict {
    if success {
        return Verdict::Accept;
    }
    let levels = ["[emerg] ", "[alert] ", "[crit] "];
    let first = stderr
        .lines()
        .find_map(|l| levels.iter().find_map(|level| l.split_once(level)));
    let Some(emerg) = first else {
        let first = stderr.lines().next().unwrap_or("no output");
        return Verdict::Failed(format!("nginx failed without [emerg]: {first}"));
    };
    let message = emerg.1;
    let place = message.rsplit_once(" in ").and_then(|(text, place)| {
        let (file, line) = place.rsplit_once(':')?;
        Some((text, file, line.parse::<usize>().ok()?))
    });
    let prefix_text = prefix.display().to_string();
    let shown = |s: &str| s.replace(&prefix_text, "PREFIX");
    match place {
        Some((text, file, line)) => Verdict::Reject {
            message: shown(text),
            at: Some(relative_place(prefix, Path::new(file), line)),
        },
        None => Verdict::Reject {
            message: shown(message),
            at: None,
        },
    }
}

/// Runs `nginx -t` with its own prefix and error log; returns (stderr, success).
fn run_nginx(env: &Env, prefix: &Path, main: &Path, out: &Path) -> Result<(String, bool), String> {
    run_nginx_t(&env.nginx, prefix, main, out)
}

/// proxylint's verdict on the file, through the library as the CLI runs it.
fn proxylint_verdict(settings: &Settings, main: &Path, prefix: &Path) -> Verdict {
    let run = || -> Result<Verdict, String> {
        let config = load(
            &[Input::File(main.to_path_buf())],
            &LoadOptions::default(),
            settings,
        )
        .map_err(|e| format!("load error: {e}"))?;
        let diags = check(&config, settings);
        Ok(match first_error(&config.sources, &diags) {
            None => Verdict::Accept,
            Some((d, at)) => Verdict::Reject {
                message: format!("{} {}", d.code, d.message)
                    .replace(&prefix.display().to_string(), "PREFIX"),
                at: at.map(|span| {
                    let file = config.sources.get(span.file);
                    relative_place(prefix, &file.path, file.line_col(span.start).0)
                }),
            },
        })
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => Verdict::Failed(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Verdict::Failed(format!("panic: {what}"))
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Replaces every occurrence of `from` in the files below `dir`, byte-wise (some
/// corpus files are not UTF-8).
fn rewrite_tree(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
    let finder = memchr::memmem::Finder::new(from.as_bytes());
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read(entry.path())?;
        let mut out = Vec::with_capacity(text.len());
        let mut last = 0;
        for at in finder.find_iter(&text) {
            out.extend_from_slice(&text[last..at]);
            out.extend_from_slice(to.as_bytes());
            last = at + from.len();
        }
        if last > 0 {
            out.extend_from_slice(&text[last..]);
            std::fs::write(entry.path(), out)?;
        }
    }
    Ok(())
}

/// Is a refusal caused by the host rather than the configuration's text? The
/// fixups make what the configurations name inside the prefix, so what is left is a
/// file that is not there (outside the prefix: a GeoIP database, a module...), an
/// OpenSSL engine this machine lacks, a user or group the fixups could not replace,
/// the file-descriptor limit (the include-cycle cases), or memory nginx cannot
/// allocate (a cache or zone of petabytes). A file that is there and that nginx
/// refuses (a directory named as a certificate) is the configuration's error, and
/// so is a missing include. `line_text` is the line nginx names.
fn host_dependent(message: &str, line_text: &str) -> bool {
    const HOST: &[&str] = &[
        "No such file or directory",
        "ENGINE_by_id",
        "getpwnam(",
        "getgrnam(",
        "dlopen(",
        "(24: Too many open files)",
        "(12: Cannot allocate memory)",
        "(13: Permission denied)",
        "MMDB_open",
    ];
    let missing_include =
        line_text.trim_start().starts_with("include") && message.contains("(2: No such file");
    !missing_include && HOST.iter().any(|h| message.contains(h))
}

/// The text of line `line` of `file` (relative to the prefix).
fn line_text(prefix: &Path, file: &str, line: usize) -> String {
    let path = prefix.join(file);
    let text = std::fs::read(&path).unwrap_or_default();
    String::from_utf8_lossy(&text)
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .to_string()
}

fn classify(nginx: &Verdict, proxylint: &Verdict, prefix: &Path) -> Category {
    if same_place(nginx, proxylint) {
        return Category::Agree;
    }
    let Verdict::Reject { message, at } = nginx else {
        return Category::Bug;
    };
    if message.contains("host not found") {
        return Category::Dns;
    }
    let text = at
        .as_ref()
        .map(|(file, line)| line_text(prefix, file, *line))
        .unwrap_or_default();
    if host_dependent(message, &text) {
        Category::HostFiles
    } else {
        Category::Bug
    }
}

fn same_place(a: &Verdict, b: &Verdict) -> bool {
    match (a, b) {
        (Verdict::Reject { at: x, .. }, Verdict::Reject { at: y, .. }) => x == y,
        (Verdict::Accept, Verdict::Accept) => true,
        _ => false,
    }
}

/// nginx's first line must be the golden file's (CONFDIR = the prefix's conf dir).
/// The include-cycle case crashes or hits the fd limit at a depth that depends on
/// the process, so only the error is compared there.
fn golden_mismatch(expected: &Path, stderr: &str, confdir: &Path) -> Option<String> {
    let golden = std::fs::read_to_string(expected).ok()?;
    let golden = golden.replace("CONFDIR", &confdir.display().to_string());
    let want = golden.lines().find(|l| l.starts_with("nginx: "))?;
    // Warnings (e.g. about `user` when not run as root) may come first.
    let got = stderr.lines().find(|l| !l.contains("[warn]")).unwrap_or("");
    let fd_limit = "(24: Too many open files)";
    let ok = if want.contains(fd_limit) {
        got.contains(fd_limit)
    } else {
        got == want
    };
    (!ok).then(|| format!("expected {want:?}, nginx said {got:?}"))
}

fn run_case(env: &Env, case: &Case) -> Outcome {
    let tmp = tempfile::tempdir().expect("temp dir");
    let prefix = tmp.path().join("p");
    let confdir = prefix.join(case.conf_subdir);
    copy_dir(&case.dir, &confdir).expect("copy the case");
    let main = confdir.join(&case.main);
    if let Some(text) = &case.text {
        std::fs::write(&main, text).expect("write the mutation");
    }
    if case.testdir {
        rewrite_tree(&prefix, NGINX_TESTS_DIR, &prefix.display().to_string())
            .expect("rewrite TESTDIR");
    }
    let main_dir = main.parent().unwrap_or(&confdir);
    env.fixups
        .apply(&prefix, main_dir)
        .expect("apply the host fixups");
    // On the first line, without a newline: nginx's line numbers stay the corpus's.
    let mut text = env.modules.clone().into_bytes();
    text.extend(std::fs::read(&main).expect("read the main file"));
    std::fs::write(&main, text).expect("write the main file");

    let (nginx, stderr) = match run_nginx(env, &prefix, &main, tmp.path()) {
        Ok((stderr, success)) => (nginx_verdict(&stderr, success, &prefix), stderr),
        Err(why) => (Verdict::Failed(why), String::new()),
    };
    let proxylint = proxylint_verdict(&env.settings, &main, &prefix);
    let category = classify(&nginx, &proxylint, &prefix);
    let golden_mismatch = case
        .expected
        .as_ref()
        .and_then(|e| golden_mismatch(e, &stderr, &confdir));
    Outcome {
        corpus: case.corpus,
        id: case.id.clone(),
        nginx,
        proxylint,
        category,
        golden_mismatch,
    }
}

/// Runs the cases on [`PARALLEL`] threads; outcomes in the cases' order.
fn run_all(env: &Env, cases: &[Case]) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let outcome = run_case(env, case);
                    results.lock().expect("results").push((i, outcome));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

/// Seeded mutations of the configurations nginx accepted. Each configuration's
/// mutations depend only on its own name, so the set does not shift when another
/// configuration's verdict changes (a name that resolves in one place and not in
/// another).
fn mutation_cases(accepted: &[&Case]) -> Vec<Case> {
    let mut seen = BTreeSet::new();
    let mut cases = Vec::new();
    for base in accepted {
        let src = std::fs::read(base.dir.join(&base.main)).expect("read a corpus file");
        for n in 0..MUTATIONS_PER_CONFIG {
            let mut rng = Rng::for_name(&base.id, n);
            let kind = KINDS[rng.below(KINDS.len())];
            let Some(m) = mutate(&src, kind, &mut rng) else {
                continue;
            };
            let id = format!("{}: {}", base.id, m.description);
            if seen.insert(id.clone()) {
                cases.push(Case {
                    corpus: "mutations",
                    id,
                    text: Some(m.text),
                    // The golden output is the unmutated file's.
                    expected: None,
                    ..(*base).clone()
                });
            }
        }
    }
    cases
}

fn summary(outcomes: &[Outcome]) {
    let corpora = [
        "crossplane",
        "go-crossplane",
        "nginx-t-oracle",
        "nginx-tests",
        "mutations",
    ];
    println!(
        "\n{:<16} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "corpus", "cases", "agree", "dns", "host", "bug"
    );
    let count = |rows: &[&Outcome], c: Category| rows.iter().filter(|o| o.category == c).count();
    let line = |name: &str, rows: &[&Outcome]| {
        println!(
            "{:<16} {:>6} {:>6} {:>6} {:>6} {:>6}",
            name,
            rows.len(),
            count(rows, Category::Agree),
            count(rows, Category::Dns),
            count(rows, Category::HostFiles),
            count(rows, Category::Bug)
        );
    };
    for corpus in corpora {
        let rows: Vec<&Outcome> = outcomes.iter().filter(|o| o.corpus == corpus).collect();
        line(corpus, &rows);
    }
    let all: Vec<&Outcome> = outcomes.iter().collect();
    line("total", &all);
    let agree = count(&all, Category::Agree);
    let host = count(&all, Category::Dns) + count(&all, Category::HostFiles);
    let pct = |a: usize, n: usize| 100.0 * a as f64 / n.max(1) as f64;
    println!(
        "agreement: {agree}/{} = {:.1}% overall; {agree}/{} = {:.1}% excluding DNS and host-file cases",
        all.len(),
        pct(agree, all.len()),
        all.len() - host,
        pct(agree, all.len() - host)
    );
    let mut by_category: BTreeMap<Category, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.category != Category::Agree) {
        by_category.entry(o.category).or_default().push(o);
    }
    for (category, rows) in by_category {
        println!("\n{category:?}:");
        for o in rows {
            let new = category == Category::Bug && !KNOWN_DIVERGENCES.iter().any(|k| k.0 == o.id);
            println!(
                "  {}{}\n    nginx:     {}\n    proxylint: {}",
                if new { "[NEW] " } else { "" },
                o.id,
                o.nginx,
                o.proxylint
            );
        }
    }
}

#[test]
fn proxylint_agrees_with_nginx_t() {
    let Some((env, corpus)) = environment() else {
        return;
    };
    let started = Instant::now();
    let mut cases = crossplane_cases("crossplane", &corpus.join("crossplane"));
    cases.extend(crossplane_cases(
        "go-crossplane",
        &corpus.join("go-crossplane"),
    ));
    cases.extend(oracle_cases(&corpus.join("nginx-t-oracle")));
    cases.extend(nginx_tests_cases(&corpus.join("nginx-tests")));
    let mut outcomes = run_all(&env, &cases);
    let accepted: Vec<&Case> = cases
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| o.nginx == Verdict::Accept)
        .map(|(c, _)| c)
        .collect();
    let mutations = mutation_cases(&accepted);
    println!(
        "{} mutations of the {} configurations nginx accepts",
        mutations.len(),
        accepted.len()
    );
    outcomes.extend(run_all(&env, &mutations));
    summary(&outcomes);
    println!("\n{} runs in {:.1?}", outcomes.len(), started.elapsed());

    let mut problems = Vec::new();
    for o in &outcomes {
        if let Some(m) = &o.golden_mismatch {
            problems.push(format!(
                "{}: nginx differs from its golden output: {m}",
                o.id
            ));
        }
        if let Verdict::Failed(why) = &o.nginx {
            problems.push(format!("{}: nginx: {why}", o.id));
        }
    }
    let bugs: BTreeSet<&str> = outcomes
        .iter()
        .filter(|o| o.category == Category::Bug)
        .map(|o| o.id.as_str())
        .collect();
    let known: BTreeSet<&str> = KNOWN_DIVERGENCES.iter().map(|(id, _)| *id).collect();
    for id in bugs.difference(&known) {
        problems.push(format!(
            "{id}: proxylint disagrees with nginx (not in KNOWN_DIVERGENCES)"
        ));
    }
    for id in known.difference(&bugs) {
        problems.push(format!(
            "{id}: listed in KNOWN_DIVERGENCES but no longer a bug; remove it"
        ));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Where a case of [`REGEX_CASES`] goes in [`REGEX_TEMPLATE`].
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Http,
    Server,
    Location,
}

/// A configuration with one line to fill in each slot (a slot left empty is blank,
/// so lines keep their numbers).
const REGEX_TEMPLATE: &str = "events {}\nhttp {\n    HTTP\n    server {\n        listen 127.0.0.1:8080;\n        SERVER\n        location / {\n            proxy_pass http://127.0.0.1:3000;\n            LOCATION\n        }\n    }\n}\n";

/// Regular expressions in every place nginx compiles one, quoted and unquoted, with
/// `\)` and `{m,n}` quantifiers, and whether nginx accepts them (checked against the
/// installed nginx; proxylint must agree even where nginx is not installed). Issue 7
/// item 1: a quoted `if` pattern ending in `\)` lost its last `)`.
const REGEX_CASES: &[(Slot, &str, bool)] = &[
    (
        Slot::Server,
        r#"if ($query_string ~ "base64_(en|de)code\(.*\)") { return 403; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ "GLOBALS(=|\[|\%[0-9A-Z]{0,2})") { return 403; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ "mosConfig_[a-zA-Z_]{1,21}(=|\%3D)") { return 403; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ "base64_(en|de code\(.*\)") { return 403; }"#,
        false,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ sleep\(\d+\)) { return 403; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ ^/x() { return 403; }"#,
        false,
    ),
    (
        Slot::Server,
        r#"if ($query_string ~ ^/(a|b) ) { return 403; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"if ($query_string !~* "^[a-z]{3,1}$") { return 403; }"#,
        false,
    ),
    (
        Slot::Server,
        r#"location ~ "^/api/v[0-9]{1,2}/(.*\))$" { return 204; }"#,
        true,
    ),
    (
        Slot::Server,
        r#"location ~ "^/api/(v1|v2\)/" { return 204; }"#,
        false,
    ),
    (
        Slot::Server,
        r#"location ~*\.(png|gif)\)?$ { return 204; }"#,
        true,
    ),
    (Slot::Server, r#"location ~ *.php$ { return 204; }"#, false),
    (
        Slot::Server,
        r#"rewrite "^/old/\((.{1,64})\)$" /new/$1 last;"#,
        true,
    ),
    (Slot::Server, r#"rewrite ^/old/(.*\)$ /new/ last;"#, false),
    (
        Slot::Server,
        r#"server_name "~^(?<sub>[a-z]{2,10})\.example\.com$" ~^www\.(a|b)\.org$;"#,
        true,
    ),
    (
        Slot::Server,
        r#"server_name "~^[a-z]{3,1}\.example\.com$";"#,
        false,
    ),
    (
        Slot::Server,
        r#"valid_referers example.com "~\.example\.(com|org)\)?$" ~^partner\.test/;"#,
        true,
    ),
    (Slot::Server, r#"valid_referers "~^(partner\.test";"#, false),
    (
        Slot::Http,
        r#"map $http_user_agent $bot { "~*(googlebot|bingbot)\)?" 1; ~^curl/[0-9.]+$ 1; }"#,
        true,
    ),
    (
        Slot::Http,
        r#"map $http_user_agent $bot { "~^(bot|crawler\)" 1; }"#,
        false,
    ),
    (
        Slot::Http,
        r#"map $http_user_agent $bot { ~*^curl/[0-9.+ 1; }"#,
        false,
    ),
    (
        Slot::Http,
        r#"gzip_disable msie6 "MSIE [1-6]\.(?!.*SV1)" "Lynx/\d{1}\.";"#,
        true,
    ),
    (Slot::Http, r#"gzip_disable "MSIE [6-";"#, false),
    (
        Slot::Location,
        r#"fastcgi_split_path_info "^(.+?\.php)(/.{0,255})$";"#,
        true,
    ),
    (
        Slot::Location,
        r#"fastcgi_split_path_info ^(.+\.php)(/.+$;"#,
        false,
    ),
    (
        Slot::Location,
        r#"proxy_redirect "~^http://([a-z]{1,20})\.internal(:\d+)?/(.*)$" /$3;"#,
        true,
    ),
    (Slot::Location, r#"proxy_redirect ~*^http://(a /;"#, false),
    (
        Slot::Location,
        r#"proxy_cookie_path "~*^/app/(.{0,32})$" /$1;"#,
        true,
    ),
    (Slot::Location, r#"proxy_cookie_path "~*^/(app" /;"#, false),
    (
        Slot::Location,
        r#"proxy_cookie_domain "~\.internal\.(lan|local)$" example.com;"#,
        true,
    ),
    (
        Slot::Location,
        r#"proxy_cookie_domain ~*\.internal$ example.com;"#,
        false,
    ),
    (
        Slot::Location,
        r#"proxy_cookie_flags "~^session_[a-z]{4}\)?$" secure;"#,
        true,
    ),
    (
        Slot::Location,
        r#"proxy_cookie_flags "~session)" secure;"#,
        false,
    ),
];

/// The configuration of one regex case.
fn regex_case_text(slot: Slot, line: &str) -> String {
    let fill = |here: Slot| if here == slot { line } else { "" };
    REGEX_TEMPLATE
        .replace("HTTP", fill(Slot::Http))
        .replace("SERVER", fill(Slot::Server))
        .replace("LOCATION", fill(Slot::Location))
}

#[test]
fn regex_positions_agree_with_nginx_t() {
    let nginx = find_nginx();
    if nginx.is_none() {
        // proxylint's own verdicts are still checked below.
        skip::skip("regex cases against nginx -t", "nginx is not installed");
    }
    let mut settings = Settings::default();
    if let Some(nginx) = &nginx {
        settings.nginx_version = nginx_version(nginx);
    }
    let mut problems = Vec::new();
    for (i, &(slot, line, accepted)) in REGEX_CASES.iter().enumerate() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let prefix = tmp.path();
        let main = prefix.join("nginx.conf");
        std::fs::write(&main, regex_case_text(slot, line)).expect("write the case");
        let ours = proxylint_verdict(&settings, &main, prefix);
        let ours_accepts = ours == Verdict::Accept;
        let ngx020 =
            matches!(&ours, Verdict::Reject { message, .. } if message.starts_with("NGX020 "));
        if ours_accepts != accepted || (!accepted && !ngx020) {
            problems.push(format!(
                "case {i} `{line}`: expected {}, proxylint {ours}",
                if accepted { "accepted" } else { "NGX020" }
            ));
        }
        let Some(nginx) = &nginx else { continue };
        let out = prefix.join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        let (stderr, success) =
            run_nginx_t(nginx, prefix, &main, &out).unwrap_or_else(|e| panic!("{e}"));
        let theirs = nginx_verdict(&stderr, success, prefix);
        // Same verdict, same place, and proxylint's message is nginx's.
        let same_message = match (&theirs, &ours) {
            (Verdict::Reject { message: n, .. }, Verdict::Reject { message: p, .. }) => {
                p.strip_prefix("NGX020 ") == Some(n.as_str())
            }
            (Verdict::Accept, Verdict::Accept) => true,
            _ => false,
        };
        if !same_place(&theirs, &ours) || !same_message {
            problems.push(format!(
                "case {i} `{line}`: nginx {theirs}, proxylint {ours}"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
