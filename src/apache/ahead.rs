//! A large file's logical lines, split on another core ahead of the reader.
//!
//! Splitting a file into logical lines ([`LineReader`]: line ends, continuations,
//! trimming, decoding) and finding the definitions of each line's name (lowercasing,
//! hashing: [`grammar::candidates`]) are half of what the reader does per line, and
//! depend on nothing the reader learns, so for a large file a helper thread runs the
//! same [`LineReader`] over the same bytes and hands the lines over in batches, with
//! their names' candidates, while the reader builds nodes from the previous ones. The
//! lines and their order are exactly those of a [`LineReader`] read in place: each
//! carries the reader's position after it, and when the reader asks with another length
//! limit (a `<Macro>` body is read with httpd's 8 KiB one) it drops the helper and goes
//! on in place from there.
//!
//! Touches only the file's bytes; no state of the reader.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::grammar::{self, Candidates};
use super::text::{LineReader, Logical, MAX_LINE, TooLong, directive_word, next_word};

/// Files smaller than this are split in place: a thread would not start before the
/// reader is done with them.
pub const AHEAD_BYTES: usize = 256 * 1024;

/// Lines per batch: the first batches are short, so that the reader waits little for
/// the first lines; later ones long, so that handing them over costs next to nothing.
const FIRST_BATCH: usize = 64;
const BATCH: usize = 2048;

/// Batches the helper may hold ready before it waits for the reader: it never runs
/// more than this many lines ahead of a reader that stopped early (a node cap).
const BATCHES_AHEAD: usize = 8;

/// One line as [`LineReader::next_line`] gave it, its name's candidates, and the
/// reader's state after it.
type Item = (Result<(Logical, Option<Candidates>), TooLong>, usize, u32);

/// Lines handed over at once; each is taken out as the reader reads it, and the
/// emptied buffer goes back to the helper for another batch (fresh buffers on the
/// helper's side were fresh pages to fault in: half of its time).
type Batch = Vec<Option<Item>>;

/// The logical lines of one file's bytes.
pub struct Lines {
    /// Where reading stands; reads in place once there is no helper.
    local: LineReader,
    ahead: Option<Ahead>,
}

struct Ahead {
    batches: Receiver<Batch>,
    /// Emptied batches, back to the helper.
    spent: Sender<Batch>,
    batch: Batch,
    next: usize,
}

impl Lines {
    /// Lines of `text`, split ahead on another core when `text` is large and the
    /// process may use more than one.
    pub fn new(text: &Arc<[u8]>) -> Self {
        let ahead = (text.len() >= AHEAD_BYTES && crate::cores::another_core()).then(|| {
            let (tx, rx) = sync_channel(BATCHES_AHEAD);
            let (spent, reuse) = channel();
            let text = Arc::clone(text);
            // Detached: it ends when the lines are done or the reader stops asking.
            drop(crate::cores::spawn_beside(move || {
                split(&text, &tx, &reuse)
            }));
            Ahead {
                batches: rx,
                spent,
                batch: Vec::new(),
                next: 0,
            }
        });
        Lines {
            local: LineReader::new(),
            ahead,
        }
    }

    /// [`LineReader::next_line`] on the file's bytes `text` with length limit `limit`,
    /// with the candidates of the line's name when the helper found them.
    pub fn next_line(
        &mut self,
        text: &[u8],
        limit: usize,
    ) -> Option<Result<(Logical, Option<Candidates>), TooLong>> {
        if limit != MAX_LINE {
            // The helper splits with the file limit: from here on, in place.
            self.ahead = None;
        }
        let Some(ahead) = &mut self.ahead else {
            self.local.set_limit(limit);
            return Some(self.local.next_line(text)?.map(|l| (l, None)));
        };
        if ahead.next == ahead.batch.len() {
            let spent = std::mem::take(&mut ahead.batch);
            // The helper may be done already: then the buffer is simply dropped.
            let _ = ahead.spent.send(spent);
            // An error: the helper has split every line (or died: the lines it sent
            // are all there are; it cannot fail but by a bug, and then the file reads
            // as shorter rather than not at all).
            ahead.batch = ahead.batches.recv().ok()?;
            ahead.next = 0;
        }
        let item = ahead.batch.get_mut(ahead.next).and_then(Option::take);
        ahead.next += 1;
        let (line, offset, number) = item?;
        self.local.resume(offset, number);
        Some(line)
    }

    /// The source offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.local.offset()
    }
}

/// The helper: every line of `text`, in batches, until the end or until the reader
/// hangs up.
fn split(text: &[u8], tx: &SyncSender<Batch>, reuse: &Receiver<Batch>) {
    let mut lines = LineReader::new();
    let mut size = FIRST_BATCH;
    loop {
        let mut batch = reuse.try_recv().unwrap_or_default();
        batch.clear();
        batch.reserve(size);
        while batch.len() < size {
            let Some(line) = lines.next_line(text) else {
                break;
            };
            let line = line.map(|l| {
                let candidates = name_candidates(&l.text.text);
                (l, candidates)
            });
            batch.push(Some((line, lines.offset(), lines.line)));
        }
        let done = batch.len() < size;
        if batch.is_empty() || tx.send(batch).is_err() || done {
            return;
        }
        size = (size * 4).min(BATCH);
    }
}

/// The candidates of the directive a line names, as the reader will ask for them
/// (`None` for a comment or a line without a word).
fn name_candidates(line: &str) -> Option<Candidates> {
    if line.starts_with('#') {
        return None;
    }
    let (word, _) = next_word(line, &mut 0)?;
    let (name, _) = directive_word(&word);
    (!name.is_empty()).then(|| grammar::candidates(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line a reader in place gives, with the same numbers and positions,
    /// whatever the limits asked along the way.
    #[test]
    fn lines_ahead_are_the_lines_in_place() {
        let mut src = String::new();
        for i in 0..40_000 {
            match i % 7 {
                0 => src.push_str("ServerName a \\\n  b\n"),
                1 => src.push_str("\t# comment\r\n"),
                2 => src.push_str(&format!("Line{i} \"x y\"\n")),
                3 => src.push('\n'),
                4 => src.push_str(&"x".repeat(9000)),
                _ => src.push_str(&format!("  ProxyPass /{i} http://b/\n")),
            }
        }
        let text: Arc<[u8]> = Arc::from(src.into_bytes().into_boxed_slice());
        assert!(text.len() >= AHEAD_BYTES);
        for switch in [None, Some(10_000usize)] {
            let mut ahead = Lines::new(&text);
            let mut local = LineReader::new();
            let mut n = 0usize;
            let mut handed = 0usize;
            loop {
                let limit = match switch {
                    Some(at) if n >= at => 8192,
                    _ => MAX_LINE,
                };
                local.set_limit(limit);
                let want = local.next_line(&text);
                let got = ahead.next_line(&text, limit);
                let (got, candidates) = match got {
                    Some(Ok((l, c))) => (Some(Ok(l)), c),
                    Some(Err(e)) => (Some(Err(e)), None),
                    None => (None, None),
                };
                assert_eq!(got, want, "line {n}");
                // The candidates handed over are those the reader would look up.
                if let (Some(c), Some(Ok(l))) = (candidates, &want) {
                    let (word, _) = next_word(&l.text.text, &mut 0).expect("a word");
                    assert_eq!(c, grammar::candidates(directive_word(&word).0));
                    handed += 1;
                }
                assert_eq!(ahead.offset(), local.offset());
                if want.is_none() {
                    break;
                }
                n += 1;
            }
            match switch {
                // 40,000 lines, those cut at 9,000 bytes joined to the next.
                None => assert!(n > 30_000 && handed > 15_000, "{n} {handed}"),
                // The first 9,000-byte line past the switch is too long, and ends it.
                Some(at) => assert!((at..at + 8).contains(&n), "{n}"),
            }
        }
    }

    /// A reader that stops early leaves the helper waiting on a full channel, not
    /// splitting the rest: dropping the lines ends it.
    #[test]
    fn a_reader_that_stops_ends_the_helper() {
        let text: Arc<[u8]> = Arc::from("Directive x\n".repeat(200_000).into_bytes());
        let mut lines = Lines::new(&text);
        assert!(lines.next_line(&text, MAX_LINE).is_some());
        drop(lines);
        // Nothing to join: the point is that this returns and nothing panics.
    }
}
