//! Reading the protocol's lines with a bound: a peer that writes without a
//! newline (a broken child, `head -c 3G /dev/zero | tvp worker`) costs at
//! most [`MAX_LINE`] bytes of memory and gets a protocol error, never an
//! allocation failure.
//!
//! [`LineBuffer`] holds the bytes read so far and cuts them into lines,
//! looking at each byte once (a peer trickling bytes costs linear time, not
//! quadratic). [`LineReader`] does the reading for a blocking stream (the
//! pool's reader threads, `tvp worker`'s stdin); the parent's poll loop
//! ([`super::child`]) feeds a buffer itself.

use std::io::{self, Read};

/// The longest line the protocol allows, newline excluded. A request holds
/// a job (a workload name, a size, a few options such as a temp dir); a
/// reply a checksum or an error message: a few hundred bytes. One MiB is
/// far past either.
pub const MAX_LINE: usize = 1 << 20;

/// [`MAX_LINE`] in words: "1 MiB".
pub fn describe_bound(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// What the next line of a stream is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A whole line, without its newline (lossy UTF-8).
    Line(String),
    /// More than [`MAX_LINE`] bytes with no newline: the start of them.
    TooLong(String),
    /// End of input after the bytes shown, with no newline.
    Truncated(String),
    /// End of input after the last whole line.
    Eof,
}

/// Bytes read from one stream and not yet returned as lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Where the next line starts in `buf`.
    start: usize,
    /// `buf[start..scanned]` holds no newline: the next scan starts here.
    scanned: usize,
}

/// How much of a line an error shows.
const SHOWN: usize = 80;

impl LineBuffer {
    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            // Drop what was returned already, at most once per half the
            // buffer: each byte is moved a bounded number of times.
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole line, [`Next::TooLong`] once [`MAX_LINE`] bytes have
    /// come with no newline, or `None` until more bytes come.
    pub fn next_line(&mut self) -> Option<Next> {
        let unscanned = &self.buf[self.scanned..];
        match unscanned.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let end = self.scanned + i;
                let line = String::from_utf8_lossy(&self.buf[self.start..end]).into_owned();
                self.start = end + 1;
                self.scanned = self.start;
                Some(Next::Line(line))
            }
            None => {
                self.scanned = self.buf.len();
                (self.pending().len() > MAX_LINE).then(|| Next::TooLong(self.shown()))
            }
        }
    }

    /// What the stream's end means after the lines returned: [`Next::Eof`]
    /// or [`Next::Truncated`].
    pub fn at_eof(&self) -> Next {
        if self.pending().is_empty() {
            Next::Eof
        } else {
            Next::Truncated(self.shown())
        }
    }

    /// Bytes after the last whole line.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The start of the pending bytes, for an error message.
    fn shown(&self) -> String {
        String::from_utf8_lossy(self.pending())
            .chars()
            .take(SHOWN)
            .collect()
    }
}

/// Lines from a blocking stream, each at most [`MAX_LINE`] bytes.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: LineBuffer,
    done: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: LineBuffer::default(),
            done: false,
        }
    }

    /// Blocks until the next line, the end of input, or a line too long.
    /// After [`Next::TooLong`], [`Next::Truncated`] or [`Next::Eof`] the
    /// stream is done: every later call returns [`Next::Eof`].
    pub fn next_line(&mut self) -> io::Result<Next> {
        if self.done {
            return Ok(Next::Eof);
        }
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(next) = self.buf.next_line() {
                self.done = matches!(next, Next::TooLong(_));
                return Ok(next);
            }
            let n = match self.inner.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.done = true;
                return Ok(self.buf.at_eof());
            }
            self.buf.push(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_whole_and_in_order_whatever_the_reads() {
        let mut buf = LineBuffer::default();
        let mut lines = Vec::new();
        for piece in [&b"ab"[..], b"c\nde", b"\n\nf", b"g\n"] {
            buf.push(piece);
            while let Some(Next::Line(l)) = buf.next_line() {
                lines.push(l);
            }
        }
        assert_eq!(lines, ["abc", "de", "", "fg"]);
        assert_eq!(buf.at_eof(), Next::Eof);
        buf.push(b"{\"checksum\":");
        assert_eq!(buf.next_line(), None);
        assert_eq!(buf.at_eof(), Next::Truncated("{\"checksum\":".into()));
    }

    #[test]
    fn a_stream_without_newlines_stops_at_the_bound() {
        // An endless stream of zeros, as `tr -d '\n' </dev/zero` writes.
        let zeros = io::repeat(b'0');
        let mut reader = LineReader::new(zeros);
        match reader.next_line().unwrap() {
            Next::TooLong(shown) => assert_eq!(shown, "0".repeat(SHOWN)),
            other => panic!("expected TooLong, got {other:?}"),
        }
        assert!(reader.buf.buf.len() <= MAX_LINE + 8192);
        assert_eq!(reader.next_line().unwrap(), Next::Eof);
    }

    #[test]
    fn a_line_of_exactly_the_bound_is_allowed() {
        let mut text = "x".repeat(MAX_LINE);
        text.push('\n');
        let mut reader = LineReader::new(text.as_bytes());
        assert_eq!(
            reader.next_line().unwrap(),
            Next::Line("x".repeat(MAX_LINE))
        );
        assert_eq!(reader.next_line().unwrap(), Next::Eof);
    }

    #[test]
    fn many_short_lines_keep_the_buffer_small() {
        let text = "0123456789\n".repeat(100_000);
        let mut reader = LineReader::new(text.as_bytes());
        let mut count = 0;
        while let Next::Line(l) = reader.next_line().unwrap() {
            assert_eq!(l, "0123456789");
            count += 1;
        }
        assert_eq!(count, 100_000);
        assert!(reader.buf.buf.capacity() < 64 * 1024);
    }
}
