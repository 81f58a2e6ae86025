//! Encoding of a dense supervised model as fastText's `.bin`, the inverse of `format.rs`:
//! src/fasttext.cc `FastText::saveModel` writes the magic and version (`signModel`), the
//! arguments (src/args.cc `Args::save`), the dictionary (src/dictionary.cc
//! `Dictionary::save`), the input-quantization flag, the input matrix
//! (src/densematrix.cc `DenseMatrix::save`), the `qout` flag and the output matrix. All
//! little-endian, C++ `bool`s as one byte.

use std::io::{self, Write};

use crate::format::{MAGIC, VERSION};

/// The `Args` fields fastText saves, in file order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SavedArgs {
    pub dim: i32,
    pub ws: i32,
    pub epoch: i32,
    pub min_count: i32,
    pub neg: i32,
    pub word_ngrams: i32,
    /// `loss_name`: 1 hs, 2 ns, 3 softmax, 4 ova.
    pub loss: i32,
    /// `model_name`: 3 for supervised.
    pub model: i32,
    pub bucket: i32,
    pub minn: i32,
    pub maxn: i32,
    pub lr_update_rate: i32,
    pub t: f64,
}

/// A dictionary entry as saved.
pub(crate) struct SavedEntry<'a> {
    pub word: &'a [u8],
    pub count: i64,
    pub is_label: bool,
}

/// A dense matrix as saved: `rows x cols` f32s, row-major.
pub(crate) struct SavedMatrix<'a> {
    pub rows: usize,
    pub cols: usize,
    pub data: &'a [f32],
}

/// Writes a complete unquantized model.
pub(crate) fn write_model<'a>(
    w: &mut impl Write,
    args: &SavedArgs,
    entries: impl ExactSizeIterator<Item = SavedEntry<'a>>,
    nwords: usize,
    ntokens: i64,
    input: SavedMatrix<'_>,
    output: SavedMatrix<'_>,
) -> io::Result<()> {
    w.write_all(&MAGIC.to_le_bytes())?;
    w.write_all(&VERSION.to_le_bytes())?;
    for v in [
        args.dim,
        args.ws,
        args.epoch,
        args.min_count,
        args.neg,
        args.word_ngrams,
        args.loss,
        args.model,
        args.bucket,
        args.minn,
        args.maxn,
        args.lr_update_rate,
    ] {
        w.write_all(&v.to_le_bytes())?;
    }
    w.write_all(&args.t.to_le_bytes())?;

    let size = entries.len();
    w.write_all(&(size as i32).to_le_bytes())?;
    w.write_all(&(nwords as i32).to_le_bytes())?;
    w.write_all(&((size - nwords) as i32).to_le_bytes())?;
    w.write_all(&ntokens.to_le_bytes())?;
    // `pruneidx_size_`: -1, a model that was never quantized with `-cutoff`.
    w.write_all(&(-1i64).to_le_bytes())?;
    for e in entries {
        w.write_all(e.word)?;
        w.write_all(&[0])?;
        w.write_all(&e.count.to_le_bytes())?;
        w.write_all(&[u8::from(e.is_label)])?;
    }

    w.write_all(&[0])?; // quant_: false
    write_dense(w, &input)?;
    w.write_all(&[0])?; // args.qout: false
    write_dense(w, &output)
}

fn write_dense(w: &mut impl Write, m: &SavedMatrix<'_>) -> io::Result<()> {
    debug_assert_eq!(m.data.len(), m.rows * m.cols);
    w.write_all(&(m.rows as i64).to_le_bytes())?;
    w.write_all(&(m.cols as i64).to_le_bytes())?;
    let mut buf = Vec::with_capacity(4 * 4096);
    for chunk in m.data.chunks(4096) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&buf)?;
    }
    Ok(())
}
