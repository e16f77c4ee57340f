//! Every output format, on the same findings: `fixtures/printers/` (each severity, help,
//! related locations in another file, non-ASCII text before a finding, a message with
//! characters each format escapes) plus a stdin input whose name needs escaping.
//! Snapshots are in tests/snapshots/; the machine-readable formats are also parsed and
//! checked (SARIF against the OASIS schema in ../shared).

#[path = "common/skip.rs"]
mod skip;

use std::path::Path;

use proxylint::diagnostic::Diagnostic;
use proxylint::lint::{self, Input, LoadOptions};
use proxylint::printer::{self, Format, Report};
use proxylint::settings::Settings;
use proxylint::workspace::Workspace;
use serde_json::Value;

const FORMATS: &[(Format, &str)] = &[
    (Format::Full, "full"),
    (Format::Concise, "concise"),
    (Format::Json, "json"),
    (Format::Sarif, "sarif"),
    (Format::Github, "github"),
    (Format::Checkstyle, "checkstyle"),
];

#[path = "common/portable.rs"]
mod portable;
use portable::{portable, root};

fn lint(inputs: &[Input]) -> (Workspace, Vec<Diagnostic>) {
    let settings = Settings::default();
    let config = lint::load(inputs, &LoadOptions::default(), &settings).expect("inputs load");
    let diags = lint::check(&config, &settings);
    (config, diags)
}

/// The shared findings: the fixture and a stdin input named with `,` `:` `%` and a
/// space, which URIs and GitHub's properties must escape.
fn shared() -> (Workspace, Vec<Diagnostic>) {
    lint(&[
        Input::File(root().join("fixtures/printers/nginx.conf")),
        Input::Text {
            name: "stdin, 100%: a.conf".to_string(),
            text: b"events {}\nhttp { bogus on; }\n".to_vec(),
        },
    ])
}

fn render(format: Format, config: &Workspace, diags: &[Diagnostic]) -> String {
    let diags = portable(diags);
    let report = Report::new(config, &diags);
    let mut out = Vec::new();
    printer::print(format, &report, &mut out).expect("print");
    // The version changes with every release; absolute paths with every checkout.
    String::from_utf8(out)
        .expect("printers write UTF-8")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
        .replace(&root().display().to_string(), "[ROOT]")
}

#[test]
fn every_format_renders_the_shared_findings() {
    let (config, diags) = shared();
    for (format, name) in FORMATS {
        let mut out = render(*format, &config, &diags);
        if *format == Format::Sarif {
            // The rule descriptors carry every rule's documentation and the indexes
            // point into them, which change with each rule added;
            // `sarif_lists_every_rule_and_points_results_at_them` checks them instead.
            let mut log: Value = serde_json::from_str(&out).expect("valid JSON");
            let run = &mut log["runs"][0];
            run["tool"]["driver"]["rules"] = Value::from("[every rule]");
            for result in run["results"].as_array_mut().into_iter().flatten() {
                result["ruleIndex"] = Value::from("[index]");
            }
            out = serde_json::to_string_pretty(&log).expect("JSON");
        }
        insta::assert_snapshot!(*name, out);
    }
}

fn json(config: &Workspace, diags: &[Diagnostic]) -> Value {
    serde_json::from_str(&render(Format::Json, config, diags)).expect("valid JSON")
}

#[test]
fn json_follows_the_documented_schema() {
    let (config, diags) = shared();
    let doc = json(&config, &diags);
    assert_eq!(doc["version"], "[VERSION]");
    let findings = doc["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(findings.len(), diags.len());
    let keys = [
        "code",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
        "related",
    ];
    for f in findings {
        let mut got: Vec<&str> = f
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        got.sort_unstable();
        let mut want = keys.to_vec();
        want.sort_unstable();
        assert_eq!(got, want);
    }
    // Columns count characters: "café.example" has a two-byte é before the finding.
    let unknown = findings
        .iter()
        .find(|f| f["code"] == "NGX002" && f["file"] == "fixtures/printers/nginx.conf")
        .expect("the NGX002 finding");
    assert_eq!(unknown["name"], "unknown-directive");
    assert_eq!(unknown["severity"], "error");
    assert_eq!(
        (&unknown["line"], &unknown["column"]),
        (&10.into(), &38.into())
    );
    assert_eq!(unknown["end_column"], 60);
    assert!(unknown["help"].is_null() || unknown["help"].is_string());
    let duplicate = findings
        .iter()
        .find(|f| f["code"] == "NGX012")
        .expect("the NGX012 finding");
    assert_eq!(duplicate["file"], "fixtures/printers/upstreams.conf");
    let related = &duplicate["related"][0];
    assert_eq!(related["file"], "fixtures/printers/nginx.conf");
    assert_eq!(
        (&related["line"], &related["column"]),
        (&6.into(), &14.into())
    );
    assert_eq!(related["message"], "first defined here");
    let summary = &doc["summary"];
    assert_eq!(summary["errors"], 4);
    assert_eq!(summary["warnings"], 1);
    assert_eq!(summary["infos"], 1);
    assert_eq!(summary["files"], 3);
}

/// The OASIS schema, with the two `]?$` typos of the official file fixed (an unmatched
/// `]` that strict regex engines refuse; the intent is an optional `-XX` region).
fn sarif_schema() -> Option<Value> {
    let path = skip::shared(
        "reference/sarif-schema-2.1.0.json",
        "SARIF schema validation",
    )?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let typo = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(typo).count(), 2, "the schema's typos moved");
    let fixed = text.replace(typo, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    Some(serde_json::from_str(&fixed).expect("schema is JSON"))
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let Some(schema) = sarif_schema() else { return };
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let (config, diags) = shared();
    for diags in [&diags[..], &[]] {
        let log: Value =
            serde_json::from_str(&render(Format::Sarif, &config, diags)).expect("valid JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

#[test]
fn sarif_lists_every_rule_and_points_results_at_them() {
    let (config, diags) = shared();
    let log: Value = serde_json::from_str(&render(Format::Sarif, &config, &diags)).expect("JSON");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), proxylint::rules::all().count());
    for rule in rules {
        for key in ["id", "name", "shortDescription", "fullDescription", "help"] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## Example"))
        );
    }
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uriBaseId"], "%SRCROOT%");
    }
    let uris: Vec<&str> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(uris.contains(&"stdin%2C%20100%25%3A%20a.conf"), "{uris:?}");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
}

#[test]
fn github_escapes_properties_and_data() {
    let (config, diags) = shared();
    let out = render(Format::Github, &config, &diags);
    assert!(
        out.contains("::error file=stdin%2C 100%25%3A a.conf,line=2,col=8,"),
        "{out}"
    );
    assert!(
        out.contains(r#"unknown directive "weird<&%25,:"'>directive""#),
        "{out}"
    );
    assert!(out.contains("::notice file="), "{out}");
    assert!(
        !out.contains("GitHub shows"),
        "no summary below the cap: {out}"
    );
}

#[test]
fn github_says_how_many_annotations_it_cannot_show() {
    let text: String = std::iter::once("events {}\nhttp {\n".to_string())
        .chain((0..12).map(|i| format!("    bogus_{i} on;\n")))
        .chain(std::iter::once("}\n".to_string()))
        .collect();
    let (config, diags) = lint(&[Input::Text {
        name: "many.conf".to_string(),
        text: text.into_bytes(),
    }]);
    let out = render(Format::Github, &config, &diags);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "::notice::proxylint found 12 error findings; GitHub shows 10 annotations per severity, so 2 are only in this log"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        12
    );
}

#[test]
fn checkstyle_is_well_formed_and_keeps_messages_intact() {
    let (config, diags) = shared();
    let out = render(Format::Checkstyle, &config, &diags);
    let doc = roxmltree::Document::parse(&out).expect("well-formed XML");
    let files: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("file"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(
        files,
        [
            "fixtures/printers/nginx.conf",
            "fixtures/printers/upstreams.conf",
            "stdin, 100%: a.conf"
        ]
    );
    let messages: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .filter_map(|n| n.attribute("message"))
        .collect();
    assert_eq!(messages.len(), diags.len());
    assert!(messages.contains(&r#"unknown directive "weird<&%,:"'>directive""#));
    assert!(messages.iter().any(|m| m.contains("\nhelp: ")));
}

#[test]
fn no_findings_gives_empty_but_valid_documents() {
    let (config, _) = lint(&[Input::File(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/printers/upstreams.conf"),
    )]);
    let doc = json(&config, &[]);
    assert_eq!(doc["diagnostics"], Value::Array(Vec::new()));
    assert_eq!(doc["summary"]["errors"], 0);
    let xml = render(Format::Checkstyle, &config, &[]);
    roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(render(Format::Github, &config, &[]), "");
}
