//! Decoding of the fastText model file (`.bin` and quantized `.ftz`), following the writers in
//! fastText's src/fasttext.cc (`saveModel`: magic, version, args, dictionary, input matrix, output
//! matrix), src/args.cc (`Args::save`), src/dictionary.cc (`Dictionary::save`),
//! src/densematrix.cc, src/quantmatrix.cc and src/productquantizer.cc (`save`). Everything is
//! little-endian, as written by fastText on the platforms it supports.
//!
//! This module only decodes and checks sizes; the cross-checks between sections (dimensions,
//! row counts, label counts) live in `model.rs`, where the pieces meet.

use crate::error::FormatError;

pub(crate) const MAGIC: i32 = 793_712_314;
pub(crate) const VERSION: i32 = 12;
/// Centroids per sub-quantizer: fastText's product quantizer always uses 8-bit codes.
pub(crate) const KSUB: usize = 256;

/// A decoding failure and the byte offset where it was detected.
pub(crate) type Fail = (usize, FormatError);

/// A bounds-checked cursor. Every read names what it is reading, so a truncated file reports
/// "truncated: input matrix codes needs N more bytes" rather than a bare EOF.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The file offset of `buf[0]`: positions and errors are file offsets.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader::at(buf, 0)
    }

    /// A reader of `buf`, which starts at file offset `base`.
    pub(crate) fn at(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    pub(crate) fn pos(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn invalid(&self, at: usize, msg: impl Into<String>) -> Fail {
        (at, FormatError::Invalid(msg.into()))
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Fail> {
        let have = self.remaining();
        if n > have {
            return Err((
                self.pos(),
                FormatError::Truncated {
                    what,
                    need: n,
                    have,
                },
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Fail> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, Fail> {
        self.array(what).map(i32::from_le_bytes)
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, Fail> {
        self.array(what).map(i64::from_le_bytes)
    }

    pub(crate) fn f64(&mut self, what: &'static str) -> Result<f64, Fail> {
        self.array(what).map(f64::from_le_bytes)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Fail> {
        self.array::<1>(what).map(|a| a[0])
    }

    /// A C++ `bool` written with `out.write(&b, sizeof(bool))`: one byte, 0 or 1.
    pub(crate) fn bool(&mut self, what: &'static str) -> Result<bool, Fail> {
        let at = self.pos();
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.invalid(at, format!("{what}: boolean byte is {b}, not 0 or 1"))),
        }
    }

    /// A NUL-terminated string (`Dictionary::save` writes the word then `out.put(0)`).
    pub(crate) fn cstr(&mut self, what: &'static str) -> Result<&'a [u8], Fail> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == 0) {
            Some(n) => {
                let s = &rest[..n];
                self.pos += n + 1;
                Ok(s)
            }
            None => Err((
                self.pos(),
                FormatError::Truncated {
                    what,
                    need: rest.len() + 1,
                    have: rest.len(),
                },
            )),
        }
    }

    /// `count` little-endian f32s; the size is checked before anything is allocated, so a
    /// corrupt row count cannot make us reserve gigabytes.
    pub(crate) fn f32s(&mut self, count: usize, what: &'static str) -> Result<Vec<f32>, Fail> {
        let bytes = count.checked_mul(4).ok_or_else(|| {
            self.invalid(
                self.pos(),
                format!("{what}: {count} floats overflow the address space"),
            )
        })?;
        let s = self.take(bytes, what)?;
        Ok(s.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// `fasttext::Args` as saved (src/args.cc `Args::save`): twelve `int`s and a `double`.
#[derive(Debug, Clone)]
pub(crate) struct RawArgs {
    pub dim: i32,
    pub word_ngrams: i32,
    pub loss: i32,
    pub model: i32,
    pub bucket: i32,
    pub minn: i32,
    pub maxn: i32,
}

pub(crate) fn read_header(r: &mut Reader<'_>) -> Result<i32, Fail> {
    let magic = r.i32("magic number")?;
    if magic != MAGIC {
        return Err((0, FormatError::BadMagic { found: magic }));
    }
    let version = r.i32("format version")?;
    // fastText accepts any version <= 12; 11 is the last older format with the same layout
    // (it only changes the meaning of maxn, see `Model`), earlier ones are not worth guessing.
    if version != VERSION && version != 11 {
        return Err((4, FormatError::UnsupportedVersion { found: version }));
    }
    Ok(version)
}

pub(crate) fn read_args(r: &mut Reader<'_>) -> Result<RawArgs, Fail> {
    let dim = r.i32("args.dim")?;
    let _ws = r.i32("args.ws")?;
    let _epoch = r.i32("args.epoch")?;
    let _min_count = r.i32("args.minCount")?;
    let _neg = r.i32("args.neg")?;
    let word_ngrams = r.i32("args.wordNgrams")?;
    let loss = r.i32("args.loss")?;
    let model = r.i32("args.model")?;
    let bucket = r.i32("args.bucket")?;
    let minn = r.i32("args.minn")?;
    let maxn = r.i32("args.maxn")?;
    let _lr_update_rate = r.i32("args.lrUpdateRate")?;
    let _t = r.f64("args.t")?;
    Ok(RawArgs {
        dim,
        word_ngrams,
        loss,
        model,
        bucket,
        minn,
        maxn,
    })
}

/// One dictionary entry (`fasttext::entry` minus the subwords, which are recomputed, and the
/// type, which the reader checks: words first, then labels).
pub(crate) struct RawEntry<'a> {
    pub word: &'a [u8],
    pub count: i64,
}

pub(crate) struct RawDict<'a> {
    pub nwords: usize,
    pub nlabels: usize,
    pub entries: Vec<RawEntry<'a>>,
    /// `pruneidx_size_`: -1 = not pruned, 0 = every n-gram pruned, > 0 = the map below.
    pub pruneidx_size: i64,
    pub pruneidx: Vec<(i32, i32)>,
}

pub(crate) fn read_dict<'a>(r: &mut Reader<'a>) -> Result<RawDict<'a>, Fail> {
    let at = r.pos();
    let size = r.i32("dictionary size")?;
    let nwords = r.i32("dictionary nwords")?;
    let nlabels = r.i32("dictionary nlabels")?;
    let _ntokens = r.i64("dictionary ntokens")?;
    let pruneidx_size = r.i64("dictionary pruneidx_size")?;
    if size < 0
        || nwords < 0
        || nlabels < 0
        || i64::from(nwords) + i64::from(nlabels) != i64::from(size)
    {
        return Err(r.invalid(
            at,
            format!("dictionary sizes disagree: size {size}, nwords {nwords}, nlabels {nlabels}"),
        ));
    }
    if pruneidx_size < -1 {
        return Err(r.invalid(at, format!("dictionary pruneidx_size is {pruneidx_size}")));
    }
    let (nwords, nlabels) = (nwords as usize, nlabels as usize);
    // Each entry takes at least 10 bytes (NUL, count, type): a cheap bound before reserving.
    let mut entries = Vec::with_capacity((nwords + nlabels).min(r.remaining() / 10));
    for i in 0..nwords + nlabels {
        let at = r.pos();
        let word = r.cstr("dictionary word")?;
        let count = r.i64("dictionary word count")?;
        let ty = r.u8("dictionary entry type")?;
        let is_label = match ty {
            0 => false,
            1 => true,
            t => return Err(r.invalid(at, format!("dictionary entry {i} has type {t}"))),
        };
        // fastText's getLabel(i) is words_[nwords + i]: words must come first, then labels.
        if is_label != (i >= nwords) {
            return Err(r.invalid(
                at,
                format!(
                    "dictionary entry {i} is a {}, but entries 0..{nwords} must be words and the \
                     rest labels",
                    if is_label { "label" } else { "word" }
                ),
            ));
        }
        entries.push(RawEntry { word, count });
    }
    let mut pruneidx = Vec::new();
    if pruneidx_size > 0 {
        let n = usize::try_from(pruneidx_size).unwrap_or(usize::MAX);
        if n > r.remaining() / 8 {
            return Err((
                r.pos(),
                FormatError::Truncated {
                    what: "dictionary pruneidx",
                    need: n.saturating_mul(8),
                    have: r.remaining(),
                },
            ));
        }
        pruneidx.reserve(n);
        for _ in 0..n {
            let at = r.pos();
            let from = r.i32("pruneidx key")?;
            let to = r.i32("pruneidx value")?;
            if from < 0 || to < 0 {
                return Err(r.invalid(at, format!("pruneidx entry {from} -> {to} is negative")));
            }
            pruneidx.push((from, to));
        }
    }
    Ok(RawDict {
        nwords,
        nlabels,
        entries,
        pruneidx_size,
        pruneidx,
    })
}

/// fastText's `ProductQuantizer` (src/productquantizer.cc): `nsubq` sub-quantizers of `dsub`
/// dimensions each (the last one `lastdsub`), 256 centroids each, laid out as `get_centroids`
/// expects.
#[derive(Debug, Clone)]
pub(crate) struct Pq {
    pub dim: usize,
    pub nsubq: usize,
    pub dsub: usize,
    pub lastdsub: usize,
    pub centroids: Vec<f32>,
}

impl Pq {
    /// Offset of centroid `code` of sub-quantizer `m` (`ProductQuantizer::get_centroids`).
    #[inline]
    pub(crate) fn offset(&self, m: usize, code: u8) -> usize {
        if m == self.nsubq - 1 {
            m * KSUB * self.dsub + code as usize * self.lastdsub
        } else {
            (m * KSUB + code as usize) * self.dsub
        }
    }

    /// Centroid `code` of sub-quantizer `m`: `dsub` values (`lastdsub` for the last one).
    #[inline]
    pub(crate) fn centroid(&self, m: usize, code: u8) -> &[f32] {
        let d = if m == self.nsubq - 1 {
            self.lastdsub
        } else {
            self.dsub
        };
        let off = self.offset(m, code);
        &self.centroids[off..off + d]
    }
}

fn read_pq(r: &mut Reader<'_>, what: &'static str) -> Result<Pq, Fail> {
    let at = r.pos();
    let dim = r.i32("product quantizer dim")?;
    let nsubq = r.i32("product quantizer nsubq")?;
    let dsub = r.i32("product quantizer dsub")?;
    let lastdsub = r.i32("product quantizer lastdsub")?;
    let ok = dim > 0
        && nsubq > 0
        && dsub > 0
        && lastdsub > 0
        && lastdsub <= dsub
        && i64::from(nsubq - 1) * i64::from(dsub) + i64::from(lastdsub) == i64::from(dim);
    if !ok {
        return Err(r.invalid(
            at,
            format!(
                "{what}: inconsistent product quantizer (dim {dim}, nsubq {nsubq}, dsub {dsub}, \
                 lastdsub {lastdsub})"
            ),
        ));
    }
    let (dim, nsubq, dsub, lastdsub) = (
        dim as usize,
        nsubq as usize,
        dsub as usize,
        lastdsub as usize,
    );
    let centroids = r.f32s(dim * KSUB, "product quantizer centroids")?;
    Ok(Pq {
        dim,
        nsubq,
        dsub,
        lastdsub,
        centroids,
    })
}

/// A matrix as stored: dense rows of f32 (src/densematrix.cc) or product-quantized codes
/// (src/quantmatrix.cc), with an optional quantized norm per row.
#[derive(Debug, Clone)]
pub(crate) enum RawMatrix {
    Dense {
        rows: usize,
        cols: usize,
        data: Vec<f32>,
    },
    Quant {
        rows: usize,
        cols: usize,
        codes: Vec<u8>,
        pq: Pq,
        /// Per-row norm codes and the one-dimensional quantizer they index (`-qnorm`).
        norms: Option<(Vec<u8>, Pq)>,
    },
}

fn dims(r: &mut Reader<'_>, what: &'static str) -> Result<(usize, usize), Fail> {
    let at = r.pos();
    let m = r.i64("matrix rows")?;
    let n = r.i64("matrix columns")?;
    if m < 0 || n <= 0 || m.checked_mul(n).is_none() {
        return Err(r.invalid(at, format!("{what}: bad shape {m} x {n}")));
    }
    Ok((m as usize, n as usize))
}

/// The shape of a dense matrix, its floats left unread (the caller streams them).
pub(crate) fn dense_shape(r: &mut Reader<'_>, what: &'static str) -> Result<(usize, usize), Fail> {
    dims(r, what)
}

pub(crate) fn read_dense(r: &mut Reader<'_>, what: &'static str) -> Result<RawMatrix, Fail> {
    let (rows, cols) = dims(r, what)?;
    let data = r.f32s(rows * cols, what)?;
    Ok(RawMatrix::Dense { rows, cols, data })
}

pub(crate) fn read_quant(r: &mut Reader<'_>, what: &'static str) -> Result<RawMatrix, Fail> {
    let qnorm = r.bool("quantized matrix qnorm flag")?;
    let (rows, cols) = dims(r, what)?;
    let at = r.pos();
    let codesize = r.i32("quantized matrix code size")?;
    let codes = r
        .take(codesize.max(0) as usize, "quantized matrix codes")?
        .to_vec();
    let pq = read_pq(r, what)?;
    if pq.dim != cols || codesize < 0 || codes.len() != rows.saturating_mul(pq.nsubq) {
        return Err(r.invalid(
            at,
            format!(
                "{what}: {rows} x {cols} matrix with {codesize} code bytes and a quantizer of \
                 dim {} x {} sub-quantizers",
                pq.dim, pq.nsubq
            ),
        ));
    }
    let norms = if qnorm {
        let norm_codes = r.take(rows, "quantized matrix norm codes")?.to_vec();
        let at = r.pos();
        let npq = read_pq(r, what)?;
        if npq.dim != 1 {
            return Err(r.invalid(at, format!("{what}: norm quantizer has dim {}", npq.dim)));
        }
        Some((norm_codes, npq))
    } else {
        None
    };
    Ok(RawMatrix::Quant {
        rows,
        cols,
        codes,
        pq,
        norms,
    })
}

impl RawMatrix {
    pub(crate) fn rows(&self) -> usize {
        match self {
            RawMatrix::Dense { rows, .. } | RawMatrix::Quant { rows, .. } => *rows,
        }
    }

    pub(crate) fn cols(&self) -> usize {
        match self {
            RawMatrix::Dense { cols, .. } | RawMatrix::Quant { cols, .. } => *cols,
        }
    }
}
