//! The model's lists of exceptional directives (unresolved, data lines, malformed) and
//! its by-definition lookup are what the structural rules read instead of scanning
//! every directive: on every configuration of the repository's fixtures and of the
//! nginx corpora they must hold exactly what a scan of the whole tree finds, in the
//! same (reading) order.

#[path = "common/skip.rs"]
mod skip;

#[path = "common/files.rs"]
mod files;

use std::path::{Path, PathBuf};

use proxylint::lint::{self, Input, LoadOptions};
use proxylint::nginx::ast::NodeId;
use proxylint::nginx::grammar::{DirectiveDef, Kind};
use proxylint::nginx::model::{Config, Resolution};
use proxylint::settings::Settings;

type Pick = fn(&'static DirectiveDef) -> bool;

/// Predicates of the shapes the rules use: every definition, by name, by a flag of the
/// definition, by the block it takes.
const PICKS: &[(&str, Pick)] = &[
    ("every definition", |_| true),
    ("no definition", |_| false),
    ("server and location blocks", |def| {
        def.block && matches!(def.name, "server" | "location")
    }),
    ("deprecated or obsolete", |def| {
        def.deprecated || def.kind == Kind::Obsolete
    }),
    ("from a dynamic module", |def| def.so.is_some()),
    ("timeouts", |def| def.name.ends_with("_timeout")),
];

fn check(config: &Config, file: &Path) -> usize {
    let scan = |keep: &dyn Fn(NodeId) -> bool| -> Vec<NodeId> {
        config
            .directives()
            .map(|(id, _)| id)
            .filter(|&id| keep(id))
            .collect()
    };
    let unresolved = scan(&|id| {
        matches!(
            config.info(id).resolution,
            Resolution::Unknown | Resolution::NotAllowed(_) | Resolution::Unavailable(_)
        )
    });
    let ids = |it: &mut dyn Iterator<Item = NodeId>| it.collect::<Vec<_>>();
    assert_eq!(
        ids(&mut config.unresolved().map(|(id, _)| id)),
        unresolved,
        "unresolved directives of {}",
        file.display()
    );
    let data = scan(&|id| matches!(config.info(id).resolution, Resolution::Data));
    assert_eq!(
        ids(&mut config.data_lines().map(|(id, _)| id)),
        data,
        "data lines of {}",
        file.display()
    );
    let malformed = scan(&|id| config.def(id).is_some() && config.checked_def(id).is_none());
    assert_eq!(
        ids(&mut config.malformed().map(|(id, _, _)| id)),
        malformed,
        "malformed directives of {}",
        file.display()
    );
    for (what, pick) in PICKS {
        let want = scan(&|id| config.def(id).is_some_and(pick));
        let got: Vec<NodeId> = config
            .resolved_where(pick)
            .into_iter()
            .map(|(id, def, d)| {
                assert_eq!(config.def(id).map(|d| d.name), Some(def.name));
                assert_eq!(&*d.name.value, def.name);
                id
            })
            .collect();
        assert_eq!(got, want, "{what} in {}", file.display());
        let want = scan(&|id| config.checked_def(id).is_some_and(|(def, _)| pick(def)));
        let got: Vec<NodeId> = config
            .checked_where(pick)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(got, want, "well-formed {what} in {}", file.display());
    }
    unresolved.len() + data.len() + malformed.len()
}

fn check_all(files: &[PathBuf]) -> (usize, usize) {
    let settings = Settings::default();
    let (mut read, mut listed) = (0, 0);
    for file in files {
        // Hostile fixtures (binary, unreadable) may not load at all: nothing to compare.
        let Ok(ws) = lint::load(
            &[Input::File(file.clone())],
            &LoadOptions::default(),
            &settings,
        ) else {
            continue;
        };
        let Some(config) = ws.nginx() else { continue };
        read += 1;
        listed += check(config, file);
    }
    (read, listed)
}

#[test]
fn lists_match_a_scan_of_every_directive_in_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (read, listed) = check_all(&files::conf_files(&root));
    // The fixtures of NGX001-NGX004 and NGX024 alone list dozens: a check of empty lists
    // would prove nothing.
    assert!(
        read > 100 && listed > 50,
        "{read} configurations, {listed} listed"
    );
}

#[test]
fn lists_match_a_scan_of_every_directive_in_the_nginx_corpora() {
    let Some(corpus) = skip::shared("corpus/nginx", "model lists on the corpora") else {
        return;
    };
    let (read, listed) = check_all(&files::conf_files(&corpus));
    assert!(
        read > 500 && listed > 0,
        "{read} configurations, {listed} listed"
    );
}
