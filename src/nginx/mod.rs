//! nginx configuration language: tokenizer, parser with include loading, directive
//! table, value parsers and the handlers' parameter checks.

pub mod ast;
pub mod detect;
pub mod grammar;
pub mod handlers;
pub mod lexer;
pub mod loader;
pub mod model;
pub mod parser;
pub mod regex;
pub mod report;
pub mod url;
pub mod values;
