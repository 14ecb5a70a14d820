//! Capture mode (`*_capture_maxbytes`): output between
//! `<!--XSUPERVISOR:BEGIN-->` and `<!--XSUPERVISOR:END-->` is kept out of
//! the log and becomes one PROCESS_COMMUNICATION event
//! (`spec/events.md` §6).
//!
//! [`CaptureScanner`] splits a channel's chunks into what goes to the log
//! and what is captured, holding back only a possible token prefix at the
//! end of a chunk (4.3 also holds back any buffer no longer than a token,
//! which can delay short lines indefinitely; we don't). The capture buffer
//! is bounded as 4.3 bounds it: appending n bytes beyond the maximum first
//! drops the oldest n bytes.

const BEGIN: &[u8] = b"<!--XSUPERVISOR:BEGIN-->";
const END: &[u8] = b"<!--XSUPERVISOR:END-->";

/// What a chunk turned into, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Output for the log file, syslog and events as usual.
    Log(Vec<u8>),
    /// A completed capture: the payload of one PROCESS_COMMUNICATION event.
    Comm(Vec<u8>),
}

pub struct CaptureScanner {
    max: usize,
    capturing: bool,
    /// Bytes that may be the start of a token, waiting for more data.
    held: Vec<u8>,
    buffer: Vec<u8>,
}

impl CaptureScanner {
    pub fn new(max: usize) -> CaptureScanner {
        CaptureScanner {
            max,
            capturing: false,
            held: Vec::new(),
            buffer: Vec::new(),
        }
    }

    /// Splits one chunk.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Piece> {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut rest: &[u8] = &data;
        loop {
            let token = if self.capturing { END } else { BEGIN };
            match find(rest, token) {
                Some(at) => {
                    self.emit(&rest[..at], &mut out);
                    if self.capturing {
                        out.push(Piece::Comm(std::mem::take(&mut self.buffer)));
                    }
                    self.capturing = !self.capturing;
                    rest = &rest[at + token.len()..];
                }
                None => {
                    let keep = prefix_at_end(rest, token);
                    let (now, later) = rest.split_at(rest.len() - keep);
                    self.emit(now, &mut out);
                    self.held = later.to_vec();
                    return out;
                }
            }
        }
    }

    /// At end of output: whatever was held back is plain output after all.
    pub fn finish(&mut self) -> Vec<Piece> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        self.emit(&held, &mut out);
        out
    }

    fn emit(&mut self, data: &[u8], out: &mut Vec<Piece>) {
        if data.is_empty() {
            return;
        }
        if self.capturing {
            if self.buffer.len() + data.len() > self.max {
                let drop = data.len().min(self.buffer.len());
                self.buffer.drain(..drop);
            }
            self.buffer.extend_from_slice(data);
        } else {
            out.push(Piece::Log(data.to_vec()));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The length of the longest proper prefix of `token` that `data` ends with.
fn prefix_at_end(data: &[u8], token: &[u8]) -> usize {
    (1..token.len())
        .rev()
        .find(|&n| data.ends_with(&token[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(s: &str) -> Piece {
        Piece::Log(s.as_bytes().to_vec())
    }

    fn comm(s: &str) -> Piece {
        Piece::Comm(s.as_bytes().to_vec())
    }

    #[test]
    fn captured_text_leaves_the_log() {
        let mut c = CaptureScanner::new(1000);
        let out = c.feed(b"before <!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END--> after\n");
        assert_eq!(out, [log("before "), comm("secret"), log(" after\n")]);
    }

    #[test]
    fn tokens_split_across_chunks() {
        let mut c = CaptureScanner::new(1000);
        assert_eq!(c.feed(b"a<!--XSUPER"), [log("a")]);
        assert_eq!(c.feed(b"VISOR:BEGIN-->x"), Vec::<Piece>::new());
        assert_eq!(c.feed(b"y<!--XSUPERVISOR:E"), Vec::<Piece>::new());
        assert_eq!(c.feed(b"ND-->z"), [comm("xy"), log("z")]);
        // A false start is released with the next chunk, or at the end.
        assert_eq!(c.feed(b"<!--"), Vec::<Piece>::new());
        assert_eq!(c.finish(), [log("<!--")]);
    }

    #[test]
    fn short_output_is_not_held_back() {
        let mut c = CaptureScanner::new(1000);
        assert_eq!(c.feed(b"hi\n"), [log("hi\n")]);
    }

    #[test]
    fn the_buffer_drops_oldest_bytes_per_chunk() {
        let mut c = CaptureScanner::new(4);
        c.feed(b"<!--XSUPERVISOR:BEGIN-->abc");
        c.feed(b"de");
        assert_eq!(c.feed(b"<!--XSUPERVISOR:END-->"), [comm("cde")]);
    }
}
