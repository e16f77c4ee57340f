//! Hostile arguments never make the Apache grammar functions panic: random text made
//! of the characters httpd's parsers react to (quotes, backslashes, `:` `/` `|` `=` `$`
//! `[` `]` `>` `~`, digits, blanks, non-ASCII and U+FFFD from lossy decoding) through
//! tokenizing, argument counts, context checks, every handler proxylint reproduces and
//! the URL parser.

use proptest::prelude::*;

use proxylint::apache::grammar::{
    self, ContextStack, HandlerState, LoadedModules, args, check_directive, check_section_end,
    proxy,
};

fn hostile() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        r#"([a-zA-Z0-9 \t"'\\:/|=$\[\]>~<.*?%{}#,+-]|é|\u{fffd}|unix:|balancer://|http://|fcgi://|proxy:){0,40}"#,
    )
    .expect("strategy")
}

/// Directives whose handlers proxylint reproduces, and a few of each argument kind.
const NAMES: &[&str] = &[
    "ProxyPass",
    "ProxyPassMatch",
    "BalancerMember",
    "ProxySet",
    "<Proxy",
    "<ProxyMatch",
    "<Directory",
    "<DirectoryMatch",
    "<Location",
    "<Files",
    "<If",
    "<Else",
    "<Limit",
    "<LimitExcept",
    "<RequireAll",
    "<VirtualHost",
    "Listen",
    "ListenBacklog",
    "ServerName",
    "Define",
    "KeepAliveTimeout",
    "ProxyTimeout",
    "ProxyRemote",
    "ProxyRemoteMatch",
    "ProxyHCTemplate",
    "ProxyHCExpr",
    "Alias",
    "RewriteRule",
    "RewriteCond",
    "ProxyVia",
    "ProxyPreserveHost",
    "AddType",
    "ProxyPassReverse",
    "Port",
];

fn everything() -> LoadedModules {
    LoadedModules::everything()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn tokenizing_never_panics(text in hostile()) {
        let words = args::words(&text);
        let argv = args::argv(&text);
        prop_assert!(argv.len() <= args::MAX_ARGV);
        prop_assert!(words.len() <= argv.len() + 1);
        let _ = args::rewrite_args(&text);
    }

    #[test]
    fn handlers_never_panic(text in hostile(), tags in proptest::collection::vec(0usize..6, 0..4)) {
        let loaded = everything();
        let mut state = HandlerState::new(&loaded);
        let mut ctx = ContextStack::new();
        for t in tags {
            let tag = ["<VirtualHost", "<Location", "<Directory", "<Proxy", "<Limit", "<If"][t];
            ctx.push(tag, &text);
        }
        for name in NAMES {
            for def in grammar::defs(name) {
                let _ = check_directive(def, &ctx, &text, &mut state);
                if def.section {
                    let _ = check_section_end(def, &ctx, &text, &mut state);
                }
            }
        }
    }

    #[test]
    fn urls_never_panic(text in hostile()) {
        let _ = proxy::uri_parse(&text);
        let _ = proxy::de_socketfy(&text);
        let _ = proxy::define_worker(&text, false, "/run");
        let _ = proxy::define_worker(&text, true, "/run");
        let _ = proxy::define_balancer(&text, Some(&text));
        let _ = proxy::fnmatch_test(&text);
        let _ = grammar::handlers::check_listen(&text);
        let _ = grammar::handlers::check_server_name(&text);
    }

    #[test]
    fn lookups_never_panic(text in hostile()) {
        let _ = grammar::lookup(&text, &LoadedModules::builtin());
        let mut loaded = LoadedModules::builtin();
        let _ = loaded.load_module(&text, &text);
        let _ = loaded.if_module(&text);
        let _ = loaded.if_directive(&text);
    }
}
