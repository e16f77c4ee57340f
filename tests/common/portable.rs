//! Rendered findings that are identical in every checkout.

use std::path::PathBuf;

use proxylint::diagnostic::Diagnostic;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The findings with the checkout's absolute path (nginx quotes absolute paths in
/// its messages) replaced by `[ROOT]`. Done before rendering, not on the rendered
/// text: the graphical printer wraps at a fixed width, so the wrap points would
/// still depend on how long the checkout's path is.
pub fn portable(diags: &[Diagnostic]) -> Vec<Diagnostic> {
    let root = root().display().to_string();
    let fix = |text: &str| text.replace(&root, "[ROOT]");
    diags
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.message = fix(&d.message);
            d.help = d.help.as_deref().map(fix);
            for label in d.labels.iter_mut().chain(d.related.iter_mut()) {
                label.message = fix(&label.message);
            }
            d
        })
        .collect()
}
