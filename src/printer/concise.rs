//! `path:line:col: severity[CODE] message`, one finding per line, for editors'
//! quickfix lists (`:cexpr`, `errorformat=%f:%l:%c: %m`) and grep. Messages are written
//! through [`printable`]: no control character of the input reaches the terminal.

use std::io::{self, Write};

use super::Report;
use crate::source::printable;

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in report.diagnostics {
        let message = printable(&d.message).replace('\n', " ");
        match d.span {
            Some(span) => {
                let (path, line, col) = report.location(span);
                writeln!(
                    out,
                    "{path}:{line}:{col}: {}[{}] {message}",
                    d.severity.as_str(),
                    d.code
                )?;
            }
            None => writeln!(out, "{}[{}] {message}", d.severity.as_str(), d.code)?,
        }
    }
    Ok(())
}
