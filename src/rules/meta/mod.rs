//! Rules about proxylint's own suppression comments (PXL codes). Their findings come
//! from the suppression filter (src/suppress.rs), not from the model.

pub mod pxl001_unused_suppression;

use super::Rule;

pub static RULES: &[&Rule] = &[&pxl001_unused_suppression::RULE];
