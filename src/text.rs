//! Plain-text helpers shared by the whole engine: line and column lookup, line boundaries, and the
//! decoding rules for input bytes (BOM, NUL bytes, invalid UTF-8).

use std::ops::Range;

/// Byte offsets of line starts, for turning a byte offset into `line:col` (both 1-based).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

fn memchr_iter(needle: u8, hay: &[u8]) -> impl Iterator<Item = usize> + '_ {
    hay.iter()
        .enumerate()
        .filter(move |(_, b)| **b == needle)
        .map(|(i, _)| i)
}

/// Start of the line that contains `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// End of the line that contains `offset`, including its line terminator (or the end of text).
pub fn line_end_inclusive(text: &str, offset: usize) -> usize {
    text.as_bytes()[offset.min(text.len())..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The lines of `text`, each as a byte range without its terminator (`\n` or `\r\n`).
pub fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let nl = bytes[pos..].iter().position(|&b| b == b'\n');
        let (end, next) = match nl {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        pos = next;
        let end = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some(start..end)
    })
}

/// The line terminator the file uses: CRLF when its first line ends in CRLF, else LF.
pub fn detect_eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

pub const BOM: &str = "\u{feff}";

/// Why bytes could not be read as a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A NUL byte: this is a binary file.
    Binary { line: usize, col: usize },
    /// Not valid UTF-8.
    NotUtf8 { line: usize, col: usize },
}

/// Decodes input bytes: rejects binary files and invalid UTF-8, and splits off a UTF-8 BOM.
/// Returns `(has_bom, text_without_bom)`.
pub fn decode(bytes: &[u8]) -> Result<(bool, &str), DecodeError> {
    let pos_to_line_col = |pos: usize| {
        let before = &bytes[..pos];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = pos
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        (line, col)
    };
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let (line, col) = pos_to_line_col(pos);
        return Err(DecodeError::Binary { line, col });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, col) = pos_to_line_col(e.valid_up_to());
        DecodeError::NotUtf8 { line, col }
    })?;
    match text.strip_prefix(BOM) {
        Some(rest) => Ok((true, rest)),
        None => Ok((false, text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "ab\ncd\r\nef";
        let idx = LineIndex::new(t);
        assert_eq!(idx.line_col(t, 0), (1, 1));
        assert_eq!(idx.line_col(t, 4), (2, 2));
        assert_eq!(idx.line_col(t, 8), (3, 2));
    }

    #[test]
    fn line_ranges_strip_crlf() {
        let t = "a\r\nbb\nc";
        let v: Vec<_> = line_ranges(t).map(|r| &t[r]).collect();
        assert_eq!(v, ["a", "bb", "c"]);
    }

    #[test]
    fn decode_reports_positions() {
        assert_eq!(
            decode(b"FROM a\nRUN \0"),
            Err(DecodeError::Binary { line: 2, col: 5 })
        );
        assert_eq!(
            decode(b"FROM a\nRUN \xff"),
            Err(DecodeError::NotUtf8 { line: 2, col: 5 })
        );
        assert_eq!(decode("\u{feff}FROM a".as_bytes()), Ok((true, "FROM a")));
    }
}
