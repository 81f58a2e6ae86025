//! The sizes of a Parquet column chunk's pages, read from their headers alone.
//!
//! A page is the unit of compression: a reader must inflate a whole page to get any of its
//! rows, and a writer may put a thousand 1 MiB rows in one page (pyarrow checks the page size
//! only every `write_batch_size` = 1,024 values), so a file of a few KB can hold a 1 GiB page.
//! The arrow reader allocates the page's declared size before it decodes anything; tamis reads
//! the headers first and refuses a row group with a page over its limit.
//!
//! Page headers are Thrift structs in the compact protocol (Apache Parquet,
//! `src/main/thrift/parquet.thrift`, `PageHeader`: field 2 `uncompressed_page_size`, field 3
//! `compressed_page_size`; Apache Thrift, `doc/specs/thrift-compact-protocol.md`). This reads
//! those two fields and skips the rest, so that nothing here depends on the `parquet` crate's
//! deprecated Thrift types.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// A header longer than this (page statistics can hold long values) is not looked at.
const MAX_HEADER: usize = 16 << 20;

/// The largest page of the column chunk at `start..start + len`: its offset and uncompressed
/// size. `None` when a header cannot be read (the arrow reader then reports the damage).
pub(crate) fn largest_page(file: &mut File, start: u64, len: u64) -> Option<(u64, u64)> {
    let end = start.checked_add(len)?;
    let mut pos = start;
    let mut largest: Option<(u64, u64)> = None;
    while pos < end {
        let (header_len, uncompressed, compressed) = read_header(file, pos, end - pos)?;
        if largest.is_none_or(|(_, size)| uncompressed > size) {
            largest = Some((pos, uncompressed));
        }
        pos = pos.checked_add(header_len)?.checked_add(compressed)?;
    }
    largest
}

/// (header length, uncompressed size, compressed size) of the page header at `pos`.
fn read_header(file: &mut File, pos: u64, room: u64) -> Option<(u64, u64, u64)> {
    let mut want = 4096usize;
    loop {
        let n = want.min(usize::try_from(room).unwrap_or(usize::MAX));
        let mut buf = vec![0u8; n];
        file.seek(SeekFrom::Start(pos)).ok()?;
        let got = read_full(file, &mut buf).ok()?;
        buf.truncate(got);
        match page_header(&buf) {
            Parsed::Header(h) => return Some(h),
            Parsed::Short if got == n && n < MAX_HEADER && (n as u64) < room => want = n * 8,
            Parsed::Short | Parsed::Invalid => return None,
        }
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

enum Parsed {
    Header((u64, u64, u64)),
    /// The bytes end inside the header.
    Short,
    Invalid,
}

/// Thrift compact protocol types.
mod ty {
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
}

/// Nesting deeper than this is not a page header.
const MAX_DEPTH: usize = 32;

struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

/// Why a value could not be read.
enum Stop {
    Short,
    Invalid,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, Stop> {
        let b = *self.buf.get(self.at).ok_or(Stop::Short)?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Stop> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Stop::Invalid)
    }

    fn zigzag(&mut self) -> Result<i64, Stop> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn skip(&mut self, n: u64) -> Result<(), Stop> {
        let n = usize::try_from(n).map_err(|_| Stop::Short)?;
        if self.buf.len() - self.at < n {
            return Err(Stop::Short);
        }
        self.at += n;
        Ok(())
    }

    /// Skips one value of type `t` (`t` as a list element: booleans take a byte).
    fn skip_value(&mut self, t: u8, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Invalid);
        }
        match t {
            ty::TRUE | ty::FALSE | ty::BYTE => self.skip(1),
            ty::I16 | ty::I32 | ty::I64 => self.varint().map(drop),
            ty::DOUBLE => self.skip(8),
            ty::BINARY => {
                let n = self.varint()?;
                self.skip(n)
            }
            ty::LIST | ty::SET => {
                let head = self.byte()?;
                let n = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                for _ in 0..n {
                    self.skip_value(head & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            ty::MAP => {
                let n = self.varint()?;
                if n > 0 {
                    let kinds = self.byte()?;
                    for _ in 0..n {
                        self.skip_value(kinds >> 4, depth + 1)?;
                        self.skip_value(kinds & 0x0f, depth + 1)?;
                    }
                }
                Ok(())
            }
            ty::STRUCT => self.fields(depth + 1, |_, _, _| Ok(false)).map(drop),
            _ => Err(Stop::Invalid),
        }
    }

    /// Reads a struct's fields up to its stop byte; `visit(cursor, id, type)` reads a field's
    /// value itself and returns `true`, or returns `false` to have it skipped.
    fn fields(
        &mut self,
        depth: usize,
        mut visit: impl FnMut(&mut Self, i64, u8) -> Result<bool, Stop>,
    ) -> Result<(), Stop> {
        let mut id = 0i64;
        loop {
            let head = self.byte()?;
            if head == 0 {
                return Ok(());
            }
            let t = head & 0x0f;
            id = match head >> 4 {
                0 => self.zigzag()?,
                delta => id + i64::from(delta),
            };
            // Booleans are their type in a field header: nothing follows.
            if t == ty::TRUE || t == ty::FALSE {
                continue;
            }
            if !visit(self, id, t)? {
                self.skip_value(t, depth)?;
            }
        }
    }
}

fn page_header(buf: &[u8]) -> Parsed {
    let mut c = Cursor { buf, at: 0 };
    let (mut uncompressed, mut compressed) = (None, None);
    let res = c.fields(0, |c, id, t| {
        if t != ty::I32 || !(2..=3).contains(&id) {
            return Ok(false);
        }
        let v = u64::try_from(c.zigzag()?).map_err(|_| Stop::Invalid)?;
        if id == 2 {
            uncompressed = Some(v);
        } else {
            compressed = Some(v);
        }
        Ok(true)
    });
    match (res, uncompressed, compressed) {
        (Ok(()), Some(u), Some(c_len)) => Parsed::Header((c.at as u64, u, c_len)),
        (Ok(()), _, _) | (Err(Stop::Invalid), _, _) => Parsed::Invalid,
        (Err(Stop::Short), _, _) => Parsed::Short,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact-protocol i32 field `id` (after field `prev`) holding `v`.
    fn i32_field(prev: i64, id: i64, v: i64) -> Vec<u8> {
        let mut out = vec![(((id - prev) as u8) << 4) | ty::I32];
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let b = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    #[test]
    fn reads_the_sizes_and_skips_the_rest() {
        let mut h = i32_field(0, 1, 0); // type: DATA_PAGE
        h.extend(i32_field(1, 2, 1 << 30)); // uncompressed: 1 GiB
        h.extend(i32_field(2, 3, 4000)); // compressed
                                         // Field 5, a struct holding a binary (statistics-like), a list and a bool, then stop.
        h.push((2 << 4) | ty::STRUCT);
        h.push((1 << 4) | ty::BINARY);
        h.push(3);
        h.extend_from_slice(b"abc");
        h.push((1 << 4) | ty::LIST);
        h.push((2 << 4) | ty::I32);
        h.extend_from_slice(&[2, 4]);
        h.push((1 << 4) | ty::TRUE);
        h.push(0);
        h.push(0);
        let len = h.len() as u64;
        h.extend_from_slice(b"page bytes follow");
        assert!(
            matches!(page_header(&h), Parsed::Header((l, u, c)) if (l, u, c) == (len, 1 << 30, 4000))
        );
        // Cut anywhere inside the header: too short, never a wrong answer.
        for cut in 0..len as usize {
            assert!(
                matches!(page_header(&h[..cut]), Parsed::Short),
                "cut at {cut}"
            );
        }
        // A header without its sizes, or with an unknown type, is not one.
        assert!(matches!(page_header(&[0]), Parsed::Invalid));
        assert!(matches!(page_header(&[0x1d, 0]), Parsed::Invalid));
    }
}
