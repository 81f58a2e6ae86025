//! fastText's tokeniser as the trainer uses it: `Dictionary::readWord` over a seekable stream
//! (src/dictionary.cc), with the stream state that `Dictionary::reset` and the per-thread
//! `utils::seek` (src/utils.cc) depend on.

use std::io::{self, Read, Seek, SeekFrom};

use crate::dict::{is_space, EOS};

const BUF_SIZE: usize = 1 << 16;

/// A buffered byte stream that hands out fastText tokens.
pub(crate) struct WordReader<R> {
    src: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// `std::ios::eof()`: set when a read hit the end of the stream, cleared by a seek.
    eof: bool,
}

impl<R: Read + Seek> WordReader<R> {
    pub(crate) fn new(src: R) -> WordReader<R> {
        WordReader {
            src,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
        }
    }

    /// The stream's size in bytes (`utils::size`).
    pub(crate) fn size(&mut self) -> io::Result<u64> {
        let end = self.src.seek(SeekFrom::End(0))?;
        self.seek(0)?;
        Ok(end)
    }

    /// `utils::seek`: clear the state and move to `pos`.
    pub(crate) fn seek(&mut self, pos: u64) -> io::Result<()> {
        self.src.seek(SeekFrom::Start(pos))?;
        self.pos = 0;
        self.len = 0;
        self.eof = false;
        Ok(())
    }

    /// `Dictionary::reset`: once a read has hit the end, start again from the beginning. This
    /// is how every training thread loops over its epochs.
    pub(crate) fn reset(&mut self) -> io::Result<()> {
        if self.eof {
            self.seek(0)?;
        }
        Ok(())
    }

    /// Refills the buffer; false at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            match self.src.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// `Dictionary::readWord`: skips separators (space, `\n`, `\r`, `\t`, `\v`, `\f`, NUL), then
    /// reads up to the next one. A `\n` met before any byte of a token is the token `</s>`; a
    /// `\n` ending a token is left in the stream (`sungetc`) so that the next call returns
    /// `</s>`. Returns false when the stream ends before a token starts; a token cut by the end
    /// of the stream is returned, and either way the end-of-stream state is set.
    pub(crate) fn read_word(&mut self, word: &mut Vec<u8>) -> io::Result<bool> {
        word.clear();
        loop {
            if self.pos == self.len && !self.fill()? {
                self.eof = true;
                return Ok(!word.is_empty());
            }
            let chunk = &self.buf[self.pos..self.len];
            if word.is_empty() {
                match chunk.iter().position(|&c| !is_space(c) || c == b'\n') {
                    None => {
                        self.pos = self.len;
                        continue;
                    }
                    Some(i) if chunk[i] == b'\n' => {
                        self.pos += i + 1;
                        word.extend_from_slice(EOS);
                        return Ok(true);
                    }
                    Some(i) => self.pos += i,
                }
            }
            let chunk = &self.buf[self.pos..self.len];
            match chunk.iter().position(|&c| is_space(c)) {
                Some(i) => {
                    word.extend_from_slice(&chunk[..i]);
                    // consume the separator unless it is the `\n` put back for `</s>`
                    self.pos += i + usize::from(chunk[i] != b'\n');
                    return Ok(true);
                }
                None => {
                    word.extend_from_slice(chunk);
                    self.pos = self.len;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn words(text: &[u8]) -> Vec<String> {
        let mut r = WordReader::new(Cursor::new(text.to_vec()));
        let mut w = Vec::new();
        let mut out = Vec::new();
        while r.read_word(&mut w).unwrap() {
            out.push(String::from_utf8(w.clone()).unwrap());
        }
        assert!(r.eof);
        out
    }

    #[test]
    fn tokens_and_end_of_line() {
        assert_eq!(
            words(b"  a\tbc\n\nd\r\x0be \0f"),
            ["a", "bc", "</s>", "</s>", "d", "e", "f"]
        );
        assert_eq!(words(b"x\n"), ["x", "</s>"]);
        assert_eq!(words(b" \n "), ["</s>"]);
        assert!(words(b"").is_empty());
    }

    #[test]
    fn reset_rewinds_only_after_the_end() {
        let mut r = WordReader::new(Cursor::new(b"a b".to_vec()));
        let mut w = Vec::new();
        assert!(r.read_word(&mut w).unwrap());
        r.reset().unwrap();
        assert!(r.read_word(&mut w).unwrap());
        assert_eq!(w, b"b");
        assert!(!r.read_word(&mut w).unwrap());
        r.reset().unwrap();
        assert!(r.read_word(&mut w).unwrap());
        assert_eq!(w, b"a");
    }

    #[test]
    fn tokens_span_buffer_refills() {
        let mut text = vec![b'x'; BUF_SIZE + 10];
        text.extend_from_slice(b" y");
        let w = words(&text);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].len(), BUF_SIZE + 10);
    }
}
