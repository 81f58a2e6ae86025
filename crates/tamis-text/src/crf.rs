//! CRFsuite models bundled zstd-compressed, loaded once and run by the `crfs` crate (a port of
//! CRFsuite's tagger, which python-crfsuite and sklearn-crfsuite wrap).

use std::io::Read;

use crfs::Model;

/// Decompresses a bundled model and keeps it for the life of the process.
pub(crate) fn load(compressed: &[u8]) -> Model<'static> {
    let mut bytes = Vec::new();
    zstd::stream::read::Decoder::new(compressed)
        .and_then(|mut d| d.read_to_end(&mut bytes))
        .expect("bundled CRFsuite model decodes");
    Model::new(bytes.leak()).expect("bundled CRFsuite model parses")
}
