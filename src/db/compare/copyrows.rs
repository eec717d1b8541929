//! PostgreSQL's streamed rows as `COPY (SELECT ...) TO STDOUT` text: one line a row,
//! values split by tabs, `\N` for NULL, backslash escapes for backslash and control
//! characters. The values are the type's output text, as the simple query protocol
//! sends them, without building a row object per row in the driver (that cost the
//! client about as much as the MD5 of the row).

use std::ops::Range;

/// One line's values: ranges into `text` (the unescaped line), None for NULL.
#[derive(Default)]
pub(crate) struct Line {
    text: Vec<u8>,
    values: Vec<Option<Range<usize>>>,
}

impl Line {
    /// Reads `line` (without its newline).
    pub(crate) fn parse(&mut self, line: &[u8]) {
        self.text.clear();
        self.values.clear();
        for field in line.split(|&b| b == b'\t') {
            if field == b"\\N" {
                self.values.push(None);
                continue;
            }
            let start = self.text.len();
            unescape(field, &mut self.text);
            self.values.push(Some(start..self.text.len()));
        }
    }

    /// Value `i` (None: NULL); Err: the line has no such value.
    pub(crate) fn value(&self, i: usize) -> Result<Option<&[u8]>, sqlx::Error> {
        match self.values.get(i) {
            Some(Some(r)) => Ok(self.text.get(r.clone())),
            Some(None) => Ok(None),
            None => Err(sqlx::Error::Protocol(format!(
                "a COPY line has {} values, not {}",
                self.values.len(),
                i + 1
            ))),
        }
    }
}

/// COPY's text escapes undone (`\\`, `\n`, `\t`, ...: what COPY TO writes).
fn unescape(field: &[u8], out: &mut Vec<u8>) {
    if !field.contains(&b'\\') {
        out.extend_from_slice(field);
        return;
    }
    let mut it = field.iter().copied();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'v') => out.push(0x0b),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
}

/// Splits a stream's chunks into lines (a literal newline always ends a row: newlines
/// in values are escaped), whatever the chunks' boundaries.
#[derive(Default)]
pub(crate) struct Lines {
    carry: Vec<u8>,
}

impl Lines {
    /// Calls `each` for every complete line of `chunk`; keeps an unfinished tail.
    pub(crate) fn feed<E>(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        while let Some(p) = rest.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                each(&rest[..p])?;
            } else {
                self.carry.extend_from_slice(&rest[..p]);
                let line = std::mem::take(&mut self.carry);
                each(&line)?;
                self.carry = line;
                self.carry.clear();
            }
            rest = &rest[p + 1..];
        }
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    /// Whether a line was left unfinished (the stream was cut short).
    pub(crate) fn pending(&self) -> bool {
        !self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_nulls_tabs_and_escapes() {
        let mut l = Line::default();
        l.parse(b"1\t\\N\ta\\tb\\\\c\\nd\t");
        assert_eq!(l.value(0).ok(), Some(Some(&b"1"[..])));
        assert_eq!(l.value(1).ok(), Some(None));
        assert_eq!(l.value(2).ok(), Some(Some(&b"a\tb\\c\nd"[..])));
        assert_eq!(l.value(3).ok(), Some(Some(&b""[..])));
        assert!(l.value(4).is_err());
    }

    #[test]
    fn lines_are_whole_whatever_the_chunks() {
        let mut lines = Lines::default();
        let mut got: Vec<Vec<u8>> = Vec::new();
        for chunk in [&b"ab\ncd"[..], b"e\n", b"f", b"\ng\n"] {
            lines
                .feed::<()>(chunk, |l| {
                    got.push(l.to_vec());
                    Ok(())
                })
                .ok();
        }
        assert_eq!(
            got,
            vec![
                b"ab".to_vec(),
                b"cde".to_vec(),
                b"f".to_vec(),
                b"g".to_vec()
            ]
        );
        assert!(!lines.pending());
    }
}
