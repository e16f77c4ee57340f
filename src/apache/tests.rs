//! The reader's rules end to end: in-memory trees loaded as httpd reads them, each
//! test checking the problem `apache2 -t` prints first (message, file and line) or
//! its silence. The messages and lines were taken from the real `apache2 -t` (2.4).

use std::path::{Path, PathBuf};

use super::ast::NodeKind;
use super::loader::{Config, Entry, LoadOptions, RootKind, SnippetContext, discover, load};
use super::report::{Kind, Phase, first_problem};
use crate::source::SourceMap;
use crate::vfs::Memory;

const ROOT: &str = "/srv/httpd";

/// The lines every main configuration of these tests starts with: an MPM and the
/// modules most cases use.
const BASE: &str = "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
Listen 80
";

fn tree(files: &[(&str, &str)]) -> Memory {
    let mut fs = Memory::new();
    fs.add_dir(ROOT);
    for (name, text) in files {
        fs.add_file(Path::new(ROOT).join(name), *text);
    }
    fs
}

fn load_tree(files: &[(&str, &str)], opts: &LoadOptions) -> (Config, SourceMap) {
    let fs = tree(files);
    let mut sources = SourceMap::new();
    let entry = Entry::Main {
        path: PathBuf::from(ROOT).join(files[0].0),
        server_root: Some(PathBuf::from(ROOT)),
    };
    let config = load(&fs, &mut sources, &entry, opts).expect("loads");
    (config, sources)
}

/// (message, file name as httpd prints it without the root, line) of the first
/// refusal; `None` when httpd accepts.
fn first(files: &[(&str, &str)]) -> Option<(String, String, u32)> {
    first_with(files, &LoadOptions::default())
}

fn first_with(files: &[(&str, &str)], opts: &LoadOptions) -> Option<(String, String, u32)> {
    let (config, _) = load_tree(files, opts);
    let p = first_problem(&config.problems)?;
    let printed = p.refused.as_ref().and_then(|r| r.printed.clone());
    Some(match printed {
        Some(at) => (
            p.message.clone(),
            at.file
                .strip_prefix(&format!("{ROOT}/"))
                .unwrap_or(&at.file)
                .to_string(),
            at.line,
        ),
        None => (p.message.clone(), String::new(), 0),
    })
}

fn main(body: &str) -> String {
    format!("{BASE}{body}")
}

fn err(message: &str, file: &str, line: u32) -> Option<(String, String, u32)> {
    Some((message.to_string(), file.to_string(), line))
}

#[test]
fn a_clean_configuration_is_accepted() {
    let conf =
        main("ServerName example.org\n<Directory /var/www>\n  Require all granted\n</Directory>\n");
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn closing_tag_must_match_the_innermost_section() {
    let conf = main("<VirtualHost *:80>\n<Location /a>\n</VirtualHost>\n</Location>\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "Expected </Location> but saw </VirtualHost>",
            "httpd.conf",
            7
        )
    );
}

#[test]
fn unclosed_sections_are_named_at_the_outermost_line() {
    let conf = main("<VirtualHost *:80>\n<Directory /a>\n");
    let (config, _) = load_tree(&[("httpd.conf", &conf)], &LoadOptions::default());
    let p = first_problem(&config.problems).expect("refused");
    assert_eq!(p.message, "<Directory> was not closed.");
    assert_eq!(
        p.refused
            .as_ref()
            .and_then(|r| r.printed.as_ref())
            .map(|p| p.line),
        Some(5)
    );
    let messages: Vec<&str> = config.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(messages.contains(&"<VirtualHost> was not closed."));
}

#[test]
fn stray_and_unterminated_closing_tags() {
    assert_eq!(
        first(&[("httpd.conf", &main("</Directory>\n"))]),
        err(
            "</Directory> without matching <Directory> section",
            "httpd.conf",
            5
        )
    );
    assert_eq!(
        first(&[("httpd.conf", &main("<Directory /x>\n</Directory\n"))]),
        err(
            "</Directory> directive missing closing '>'",
            "httpd.conf",
            6
        )
    );
}

#[test]
fn reading_errors_come_before_earlier_walk_errors() {
    let conf = main("ServerAdmin\n<Directory /x>\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err("<Directory> was not closed.", "httpd.conf", 6)
    );
}

#[test]
fn walk_errors_name_the_directive_line() {
    let conf = main("ServerName a\nServerAdmin\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "ServerAdmin takes one argument, The email address of the server administrator",
            "httpd.conf",
            6
        )
    );
    assert_eq!(
        first(&[("httpd.conf", &main("<Foo bar>\n</Foo>\n"))]),
        err(
            "Invalid command '<Foo', perhaps misspelled or defined by a module not included in the server configuration",
            "httpd.conf",
            5
        )
    );
}

#[test]
fn continuation_lines_report_their_last_line() {
    let conf = main("ServerAdmin \\\n  a \\\n  b\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "ServerAdmin takes one argument, The email address of the server administrator",
            "httpd.conf",
            7
        )
    );
}

#[test]
fn a_hash_after_a_directive_is_an_argument() {
    let conf = main("ServerName example.org # the site\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "ServerName takes one argument, The hostname and port of the server",
            "httpd.conf",
            5
        )
    );
    // Raw-argument directives keep it.
    let conf = main(
        "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\nRewriteRule ^/a$ /b [R] # moved\n",
    );
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn names_are_case_insensitive_and_quoted_arguments_unquoted() {
    let conf = main(
        "servername \"example.org\"\n<virtualhost *:80>\nDOCUMENTROOT '/var/www/a b'\n</VIRTUALHOST>\n",
    );
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn variables_expand_before_tokenising() {
    let conf = main("Define SITE \"example.org x\"\nServerName ${SITE}\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "ServerName takes one argument, The hostname and port of the server",
            "httpd.conf",
            6
        )
    );
    let conf = main("Define D Directory\n<${D} /x>\n</Directory>\n");
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn undefined_variables_are_warned_and_kept() {
    let conf = main("ServerName ${NOPE}\n");
    let (config, sources) = load_tree(&[("httpd.conf", &conf)], &LoadOptions::default());
    assert!(first_problem(&config.problems).is_none());
    let warning = config
        .problems
        .iter()
        .find(|p| p.kind == Kind::UndefinedVariable)
        .expect("AH00111");
    assert_eq!(warning.message, "Config variable ${NOPE} is not defined");
    assert_eq!(
        sources.get(warning.span.file).snippet(warning.span),
        "${NOPE}"
    );
}

#[test]
fn undefine_removes_a_define() {
    let conf = main(
        "Define A\nUnDefine A\n<IfDefine A>\nNoSuchDirective\n</IfDefine>\n<IfDefine !A>\nServerName ok\n</IfDefine>\n",
    );
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn define_names_must_not_hold_a_colon() {
    assert_eq!(
        first(&[("httpd.conf", &main("Define a:b 1\n"))]),
        err("Variable name must not contain ':'", "httpd.conf", 5)
    );
}

#[test]
fn false_conditionals_are_skipped_unread() {
    let conf = main(
        "<IfModule mod_nope.c>\nNoSuch directive ${UNDEFINED}\n<Location>\n</Location>\n</IfModule>\n",
    );
    let (config, _) = load_tree(&[("httpd.conf", &conf)], &LoadOptions::default());
    assert!(config.problems.is_empty(), "{:?}", config.problems);
}

#[test]
fn skipped_bodies_still_match_their_tags() {
    let conf = main("<IfModule mod_nope.c>\n<Directory /x>\n</IfModule>\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err("Expected </Directory> but saw </IfModule>", "httpd.conf", 5)
    );
    let conf = main("<IfModule mod_nope.c>\nServerName a\n</IfModul>\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err("Expected </IfModule> but saw </IfModul>", "httpd.conf", 5)
    );
    let conf = main("<IfModule mod_nope.c>\nServerName a\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "Expected </IfModule> before end of configuration",
            "httpd.conf",
            5
        )
    );
}

#[test]
fn true_conditionals_are_spliced_and_closed_silently_at_the_end() {
    let conf = main("<IfModule mod_alias.c>\nServerName a\n");
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
    let conf = main("<IfModule mod_alias.c>\nServerAdmin\n</IfModule>\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "ServerAdmin takes one argument, The email address of the server administrator",
            "httpd.conf",
            6
        )
    );
    // The closing line must be exactly `</IfModule>`.
    let conf = main("<IfModule mod_alias.c>\nServerName a\n</IfModule> x\n");
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "</IfModule> without matching <IfModule> section",
            "httpd.conf",
            7
        )
    );
}

#[test]
fn ifmodule_sees_only_modules_loaded_so_far() {
    let conf = main(
        "<IfModule mod_rewrite.c>\nRewriteEngine on\n</IfModule>\n<IfModule !rewrite_module>\nNoSuch\n</IfModule>\nLoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n",
    );
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "Invalid command 'NoSuch', perhaps misspelled or defined by a module not included in the server configuration",
            "httpd.conf",
            9
        )
    );
}

#[test]
fn directives_of_modules_loaded_later_are_known_in_the_walk() {
    let conf = main(
        "RewriteEngine on\nLoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n",
    );
    assert_eq!(first(&[("httpd.conf", &conf)]), None);
}

#[test]
fn ifdefine_ifversion_ifdirective_ifsection_iffile() {
    let mut opts = LoadOptions {
        defines: vec!["PROD".to_string()],
        ..LoadOptions::default()
    };
    let conf = main(
        "<IfDefine PROD>\nServerName prod\n</IfDefine>\n<IfDefine !PROD>\nNoSuch\n</IfDefine>\n\
         <IfVersion >= 2.4>\nServerAdmin a@b\n</IfVersion>\n<IfVersion < 2.4.60>\nNoSuch\n</IfVersion>\n\
         <IfDirective Alias>\nAlias /a /b\n</IfDirective>\n<IfDirective !ProxyPass>\nServerAdmin x\n</IfDirective>\n\
         <IfSection Proxy>\nNoSuch\n</IfSection>\n<IfFile conf.d/x.conf>\nServerAdmin y\n</IfFile>\n<IfFile /nope>\nNoSuch\n</IfFile>\n",
    );
    let files = [("httpd.conf", conf.as_str()), ("conf.d/x.conf", "")];
    assert_eq!(first_with(&files, &opts), None);
    opts.version = crate::apache::grammar::Version(2, 4, 10);
    assert_eq!(first_with(&files, &opts).map(|e| e.2), Some(15));
}

#[test]
fn includes_read_files_in_place_with_wildcards() {
    let files = [
        (
            "httpd.conf",
            &*main("Include conf.d/*.conf\nIncludeOptional missing/*.conf\nInclude sites\n"),
        ),
        ("conf.d/b.conf", "ServerAdmin\n"),
        ("conf.d/a.conf", "ServerName a\n"),
        ("conf.d/.hidden.conf", "NoSuch\n"),
        ("sites/x.conf", "ServerAdmin x\n"),
    ];
    assert_eq!(
        first(&files),
        err(
            "ServerAdmin takes one argument, The email address of the server administrator",
            "conf.d/b.conf",
            1
        )
    );
    let (config, _) = load_tree(&files, &LoadOptions::default());
    let include = config
        .tree
        .nodes
        .iter()
        .find(|n| n.name == "Include")
        .expect("include node");
    assert!(matches!(&include.kind, NodeKind::Include { files } if files.len() == 2));
}

#[test]
fn include_errors_are_httpds() {
    assert_eq!(
        first(&[("httpd.conf", &main("Include nope.conf\n"))]),
        err(
            "Could not open configuration file /srv/httpd/nope.conf: No such file or directory",
            "httpd.conf",
            5
        )
    );
    assert_eq!(
        first(&[
            ("httpd.conf", &main("Include conf.d/*.conf\n")),
            ("conf.d/x.txt", "")
        ]),
        err(
            "Include/IncludeOptional: No matches for the wildcard '*.conf' in '/srv/httpd/conf.d', failing",
            "httpd.conf",
            5
        )
    );
    assert_eq!(
        first(&[(
            "httpd.conf",
            &main("IncludeOptional nope/*.conf\nIncludeOptional nope.conf\n")
        )]),
        None
    );
}

#[test]
fn sections_cannot_span_files() {
    let files = [
        (
            "httpd.conf",
            &*main("<VirtualHost *:80>\nInclude v.conf\n</VirtualHost>\n"),
        ),
        ("v.conf", "</VirtualHost>\n"),
    ];
    assert_eq!(
        first(&files),
        err(
            "</VirtualHost> without matching <VirtualHost> section",
            "v.conf",
            1
        )
    );
}

#[test]
fn include_cycles_fail_where_httpd_reaches_its_depth_limit() {
    let files = [
        ("httpd.conf", &*main("Include a.conf\n")),
        ("a.conf", "\nInclude b.conf\n"),
        ("b.conf", "Include a.conf\n"),
    ];
    assert_eq!(
        first(&files),
        err(
            "Exceeded maximum include depth of 128, There appears to be a recursion.",
            "b.conf",
            1
        )
    );
    let (config, _) = load_tree(&files, &LoadOptions::default());
    let p = first_problem(&config.problems).expect("cycle");
    assert_eq!(p.kind, Kind::IncludeCycle);
    assert_eq!(p.related.len(), 2);
    // A file including itself.
    assert_eq!(
        first(&[("httpd.conf", &main("Include httpd.conf\n"))]),
        err(
            "Exceeded maximum include depth of 128, There appears to be a recursion.",
            "httpd.conf",
            5
        )
    );
}

#[test]
fn server_root_resolves_relative_includes() {
    let files = [
        (
            "httpd.conf",
            &*main("ServerRoot /srv/httpd/other\nInclude x.conf\n"),
        ),
        ("other/x.conf", "ServerName x\n"),
    ];
    assert_eq!(first(&files), None);
    assert_eq!(
        first(&[("httpd.conf", &main("ServerRoot /nope\n"))]),
        err("ServerRoot must be a valid directory", "httpd.conf", 5)
    );
    // A given prefix stands when the directive names a directory that is not here.
    let opts = LoadOptions {
        prefix: Some(PathBuf::from(ROOT)),
        ..LoadOptions::default()
    };
    assert_eq!(
        first_with(
            &[
                (
                    "httpd.conf",
                    &main("ServerRoot /etc/httpd\nInclude x.conf\n")
                ),
                ("x.conf", "")
            ],
            &opts
        ),
        None
    );
}

#[test]
fn builtin_modules_cannot_be_loaded_on_debian() {
    assert_eq!(
        first(&[(
            "httpd.conf",
            &main("LoadModule log_config_module /usr/lib/apache2/modules/mod_log_config.so\n")
        )]),
        err(
            "module log_config_module is built-in and can't be loaded",
            "httpd.conf",
            5
        )
    );
}

#[test]
fn an_mpm_is_required() {
    let conf = "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\nServerName a\nServerAdmin\n";
    let (config, _) = load_tree(&[("httpd.conf", conf)], &LoadOptions::default());
    let p = first_problem(&config.problems).expect("refused");
    assert_eq!(p.message, "No MPM loaded.");
    assert_eq!(p.refused.as_ref().map(|r| r.phase), Some(Phase::AfterRead));
}

#[test]
fn a_configuration_loading_no_module_gets_debians_default_set() {
    let conf =
        "<IfModule mod_dir.c>\nDirectoryIndex index.html\n</IfModule>\nListen 80\nAlias /a /b\n";
    assert_eq!(first(&[("httpd.conf", conf)]), None);
}

#[test]
fn macros_expand_with_their_lines_and_names() {
    let conf = main(
        "LoadModule macro_module /usr/lib/apache2/modules/mod_macro.so\n<Macro VHost $name>\n# c\n\nServerAdmin $name\nNoSuch $name\n</Macro>\nUse VHost example.org\n",
    );
    assert_eq!(
        first(&[("httpd.conf", &conf)]),
        err(
            "Invalid command 'NoSuch', perhaps misspelled or defined by a module not included in the server configuration",
            "macro 'vhost' (defined on line 6 of \"/srv/httpd/httpd.conf\") used on line 12 of \"/srv/httpd/httpd.conf\"",
            3
        )
    );
    let (config, sources) = load_tree(&[("httpd.conf", &conf)], &LoadOptions::default());
    let p = first_problem(&config.problems).expect("refused");
    // The span is the line in the macro's body.
    assert_eq!(sources.get(p.span.file).snippet(p.span), "NoSuch");
}

#[test]
fn macro_errors_are_mod_macros() {
    let load = "LoadModule macro_module /usr/lib/apache2/modules/mod_macro.so\n";
    assert_eq!(
        first(&[("httpd.conf", &main(&format!("{load}Use X\n")))]),
        err("no macro defined before Use", "httpd.conf", 6)
    );
    assert_eq!(
        first(&[(
            "httpd.conf",
            &main(&format!(
                "{load}<Macro M $a>\nServerName $a\n</Macro>\nUse M\n"
            ))
        )]),
        err(
            "macro 'm' (defined on line 6 of \"/srv/httpd/httpd.conf\") used with 0 arguments instead of 1",
            "httpd.conf",
            9
        )
    );
    assert_eq!(
        first(&[(
            "httpd.conf",
            &main(&format!("{load}<Macro M>\nUse M\n</Macro>\nUse M\n"))
        )]),
        err(
            "recursive use of macro 'm' is invalid",
            "macro 'm' (defined on line 6 of \"/srv/httpd/httpd.conf\") used on line 9 of \"/srv/httpd/httpd.conf\"",
            1
        )
    );
}

#[test]
fn if_expressions_are_parsed_and_else_placed() {
    assert_eq!(
        first(&[("httpd.conf", &main("<If \"%{HTTP_HOST} == \">\n</If>\n"))]),
        err(
            "Cannot parse condition clause: syntax error, unexpected $end",
            "httpd.conf",
            5
        )
    );
    assert_eq!(
        first(&[("httpd.conf", &main("<Else>\n</Else>\n"))]),
        err(
            "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope",
            "httpd.conf",
            5
        )
    );
    let ok = main(
        "<If \"-R '10.0.0.0/8'\">\n</If>\n<ElseIf \"%{HTTPS} == 'on'\">\n</ElseIf>\n<Else>\n</Else>\n",
    );
    assert_eq!(first(&[("httpd.conf", &ok)]), None);
}

#[test]
fn line_too_long_is_a_reading_error() {
    let long = format!("{}ServerName {}\n", main(""), "a".repeat(17 << 20));
    let (config, _) = load_tree(&[("httpd.conf", &long)], &LoadOptions::default());
    let p = first_problem(&config.problems).expect("refused");
    assert_eq!(
        p.message,
        "Error reading /srv/httpd/httpd.conf at line 5: Line too long"
    );
}

#[test]
fn debian_envvars_set_the_environment() {
    let fs = {
        let mut fs = Memory::new();
        fs.add_file(
            "/etc/apache2/apache2.conf",
            format!("{BASE}User ${{APACHE_RUN_USER}}\nErrorLog ${{APACHE_LOG_DIR}}/error.log\n"),
        );
        fs.add_file(
            "/etc/apache2/envvars",
            "export APACHE_RUN_USER=www-data\nexport APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n",
        );
        fs
    };
    let mut sources = SourceMap::new();
    let entry = discover(&fs, Path::new("/etc/apache2")).expect("found");
    let config = load(&fs, &mut sources, &entry, &LoadOptions::default()).expect("loads");
    assert_eq!(
        config.envvars.as_deref(),
        Some(Path::new("/etc/apache2/envvars"))
    );
    assert!(
        config
            .problems
            .iter()
            .all(|p| p.kind != Kind::UndefinedVariable),
        "{:?}",
        config.problems
    );
}

#[test]
fn discovery_finds_each_layout() {
    let mut fs = Memory::new();
    fs.add_file("/a/apache2.conf", "");
    fs.add_file("/b/conf/httpd.conf", "");
    fs.add_file("/c/httpd.conf", "");
    fs.add_file("/d/one.conf", "");
    fs.add_file("/d/two.conf", "");
    fs.add_dir("/e");
    assert!(
        matches!(discover(&fs, Path::new("/a")), Ok(Entry::Main { path, .. }) if path == Path::new("/a/apache2.conf"))
    );
    assert!(
        matches!(discover(&fs, Path::new("/b")), Ok(Entry::Main { path, server_root: Some(r) }) if path == Path::new("/b/conf/httpd.conf") && r == Path::new("/b"))
    );
    assert!(matches!(
        discover(&fs, Path::new("/c")),
        Ok(Entry::Main { .. })
    ));
    assert!(matches!(discover(&fs, Path::new("/d")), Ok(Entry::Snippets(s)) if s.len() == 2));
    assert!(discover(&fs, Path::new("/e")).is_err());
}

#[test]
fn snippets_get_an_inferred_or_forced_context() {
    let fs = {
        let mut fs = Memory::new();
        fs.add_file(
            "/s/vhost.conf",
            "ServerName a\nProxyPass / http://127.0.0.1:8080/\n",
        );
        fs.add_file("/s/dir.conf", "Require all granted\nOptions -Indexes\n");
        fs.add_file(
            "/s/site.conf",
            "<VirtualHost *:80>\nServerName a\n</VirtualHost>\n",
        );
        fs
    };
    let mut sources = SourceMap::new();
    let entry = Entry::Snippets(vec![
        PathBuf::from("/s/vhost.conf"),
        PathBuf::from("/s/dir.conf"),
        PathBuf::from("/s/site.conf"),
    ]);
    let config = load(&fs, &mut sources, &entry, &LoadOptions::default()).expect("loads");
    assert_eq!(
        config.kinds,
        vec![
            RootKind::Snippet(SnippetContext::ServerConfig),
            RootKind::Snippet(SnippetContext::Directory),
            RootKind::Snippet(SnippetContext::ServerConfig),
        ]
    );
    assert!(
        first_problem(&config.problems).is_none(),
        "{:?}",
        config.problems
    );
    let forced = LoadOptions {
        context: Some(SnippetContext::ServerConfig),
        ..LoadOptions::default()
    };
    let mut sources = SourceMap::new();
    let config = load(
        &fs,
        &mut sources,
        &Entry::Snippets(vec![PathBuf::from("/s/dir.conf")]),
        &forced,
    )
    .expect("loads");
    assert_eq!(
        first_problem(&config.problems).map(|p| p.message.as_str()),
        Some("Require not allowed here")
    );
}

#[test]
fn a_binary_file_is_said_once() {
    let mut garbage = vec![0u8, 1, 2, 0xff, b'<', b'\n'];
    for i in 0..2000u32 {
        garbage.extend_from_slice(&i.to_le_bytes());
        garbage.push(b'\n');
    }
    let fs = {
        let mut fs = tree(&[("httpd.conf", &main("Include blob.bin\n"))]);
        fs.add_file(Path::new(ROOT).join("blob.bin"), garbage);
        fs
    };
    let mut sources = SourceMap::new();
    let entry = Entry::Main {
        path: PathBuf::from(ROOT).join("httpd.conf"),
        server_root: None,
    };
    let config = load(&fs, &mut sources, &entry, &LoadOptions::default()).expect("loads");
    let in_blob: Vec<_> = config
        .problems
        .iter()
        .filter(|p| sources.get(p.span.file).name.ends_with("blob.bin"))
        .collect();
    assert_eq!(in_blob.len(), 1, "{in_blob:?}");
    assert!(in_blob[0].message.starts_with("binary file"));
    assert!(in_blob[0].refused.is_some());
}
