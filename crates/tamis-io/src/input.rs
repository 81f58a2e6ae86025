//! Turning command-line inputs (files, directories, globs) into a sorted list of input files.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::record::reason;

/// How a file's content is split into documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One JSON object per line (`.jsonl`, `.json`, `.ndjson`).
    Jsonl,
    /// The whole file is one document (`.txt`).
    Text,
    /// A web archive: WARC (`.warc`, Common Crawl's `.warc.wet` text extracts) or ARC (`.arc`);
    /// one document per HTML response or WET conversion record.
    Archive,
    /// Apache Parquet (`.parquet`) with datatrove's columns `text`, `id`, `metadata`; its
    /// compression is inside the file.
    Parquet,
}

/// The compression layer of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// The file-name suffix this compression adds: `""`, `".gz"` or `".zst"`.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// Short name for messages and stats (`none`, `gzip`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression named by the last extension of `path` (case-insensitive).
    pub fn from_path(path: &Path) -> Compression {
        split_name(path).map_or(Compression::None, |(_, c)| c)
    }

    /// The compression whose magic bytes start `head`, if any.
    ///
    /// Recognises gzip (`1f 8b`), zstd frames (`28 b5 2f fd`) and zstd skippable frames
    /// (`5? 2a 4d 18`), which some tools put first to carry metadata. Plain JSONL or UTF-8 text
    /// can never start with these bytes (they are control or invalid UTF-8 sequences), so a match
    /// is trustworthy.
    pub fn from_magic(head: &[u8]) -> Option<Compression> {
        match head {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            [b0, 0x2a, 0x4d, 0x18, ..] if b0 & 0xf0 == 0x50 => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Why an input entry cannot be read; the reader turns it into one quarantined record so the
/// run continues and the problem shows up in the quarantine file and the stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputIssue {
    /// One of the [`reason`] constants (`unreadable_path`, `no_match`, `invalid_glob`,
    /// `unsupported_format`).
    pub reason: &'static str,
    pub message: String,
}

/// One input file, as found by [`expand_inputs`] or named directly with [`InputFile::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as given or as joined under a given directory (relative stays relative).
    pub path: PathBuf,
    pub format: Format,
    /// From the file name. The reader checks it against the file's magic bytes and follows the
    /// bytes when they clearly name another compression.
    pub compression: Compression,
    /// Size on disk (compressed), when known; for progress bars and sharding.
    pub size: Option<u64>,
    /// Set when the entry stands for a problem (missing path, glob without matches, ...).
    pub issue: Option<InputIssue>,
}

impl InputFile {
    /// An input named explicitly: format and compression from its extension, size from `stat`.
    /// A missing path or an unknown extension becomes an entry with an [`InputIssue`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => Self::problem(
                path,
                reason::UNREADABLE_PATH,
                "is a directory (pass it to expand_inputs to read the files inside)".to_owned(),
            ),
            Ok(m) => Self::regular(path, &m),
            Err(e) => Self::problem(path, reason::UNREADABLE_PATH, e.to_string()),
        }
    }

    /// An input with an explicit format and compression, without touching the file system;
    /// for callers that know better than the file name (e.g. a `--format` flag).
    pub fn with_format(path: impl Into<PathBuf>, format: Format, compression: Compression) -> Self {
        Self {
            path: path.into(),
            format,
            compression,
            size: None,
            issue: None,
        }
    }

    /// Format and compression from the name alone; unknown extensions become an issue.
    /// A path `metadata` says is no directory: its format from its name if it is a regular
    /// file; a problem if it is a FIFO, socket or device, which opening could block on forever
    /// (a FIFO waits for a writer) or read without end.
    fn regular(path: PathBuf, m: &fs::Metadata) -> Self {
        if !m.is_file() {
            return Self::problem(
                path,
                reason::UNREADABLE_PATH,
                "is not a regular file (a FIFO, socket or device); not opened".to_owned(),
            );
        }
        let mut f = Self::from_name(path);
        f.size = Some(m.len());
        f
    }

    fn from_name(path: PathBuf) -> Self {
        match split_name(&path) {
            Some((Some(format), compression)) => Self::with_format(path, format, compression),
            _ => {
                let msg = format!(
                    "unsupported extension (expected {} optionally followed by .gz or .zst)",
                    SUPPORTED_FORMATS.join(", ")
                );
                Self::problem(path, reason::UNSUPPORTED_FORMAT, msg)
            }
        }
    }

    fn problem(path: PathBuf, reason: &'static str, message: String) -> Self {
        // Keep what the name says, for reporting; the reader never opens a problem entry.
        let (format, compression) =
            split_name(&path).map_or((None, Compression::None), |(f, c)| (f, c));
        Self {
            path,
            format: format.unwrap_or(Format::Jsonl),
            compression,
            size: None,
            issue: Some(InputIssue { reason, message }),
        }
    }

    /// The path as a string for ids and locations (lossy for non-UTF-8 names).
    pub fn display_path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// Whether the file name has an extension a reader handles.
    pub fn is_supported(path: &Path) -> bool {
        matches!(split_name(path), Some((Some(_), _)))
    }
}

const SUPPORTED_FORMATS: &[&str] = &[
    ".jsonl", ".json", ".ndjson", ".txt", ".warc", ".wet", ".arc", ".parquet",
];

/// Splits a file name into (format, compression) by its last one or two extensions,
/// case-insensitively: `a.jsonl.zst` -> (Jsonl, Zstd). `None` when the path has no UTF-8 name.
fn split_name(path: &Path) -> Option<(Option<Format>, Compression)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (rest, compression) = if let Some(r) = name.strip_suffix(".gz") {
        (r, Compression::Gzip)
    } else if let Some(r) = name.strip_suffix(".zst") {
        (r, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = [
        (".jsonl", Format::Jsonl),
        (".json", Format::Jsonl),
        (".ndjson", Format::Jsonl),
        (".txt", Format::Text),
        (".warc", Format::Archive),
        (".wet", Format::Archive),
        (".arc", Format::Archive),
        (".parquet", Format::Parquet),
    ]
    .into_iter()
    .find_map(|(ext, f)| rest.ends_with(ext).then_some(f));
    Some((format, compression))
}

/// Expands command-line inputs into the files to read.
///
/// * an existing file is taken as is (an unknown extension becomes an `unsupported_format`
///   entry, since the user asked for that file by name);
/// * a directory is walked recursively, keeping only files with a supported extension and
///   skipping hidden entries (names starting with `.`, which is also where [`crate::JsonlWriter`]
///   keeps its unfinished temp files), following symlinks but never entering a directory twice;
/// * a path that does not exist but contains `*`, `?` or `[` is a glob pattern (`**` recurses;
///   as in a shell, wildcards do not match a leading `.`); its matches are treated like the
///   files and directories above, except that files with unsupported extensions are skipped
///   silently.
///
/// The result is sorted by path and deduplicated (two spellings of one file are read once), so
/// the same command line always reads the same files in the same order. Problems never panic or
/// abort: a missing or unreadable path, an invalid glob, or a glob or directory that yields no
/// file becomes an entry with an [`InputIssue`], which the reader reports as one quarantined
/// record.
pub fn expand_inputs(inputs: &[impl AsRef<str>]) -> Vec<InputFile> {
    let mut out = Vec::new();
    for input in inputs {
        let s = input.as_ref();
        let path = Path::new(s);
        let before = out.len();
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut visited = HashSet::new();
                walk_dir(path, &mut out, &mut visited);
                if out.len() == before {
                    out.push(InputFile::problem(
                        path.to_path_buf(),
                        reason::NO_MATCH,
                        format!(
                            "directory holds no file with a supported extension ({})",
                            SUPPORTED_FORMATS.join(", ")
                        ),
                    ));
                }
            }
            Ok(_) => out.push(InputFile::new(path)),
            Err(_) if is_glob(s) => expand_glob(s, &mut out),
            Err(e) => out.push(InputFile::problem(
                path.to_path_buf(),
                reason::UNREADABLE_PATH,
                e.to_string(),
            )),
        }
    }
    sort_dedup(out)
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn expand_glob(pattern: &str, out: &mut Vec<InputFile>) {
    // Like a shell, `*` does not match a leading dot: hidden files (and our writer's temp
    // files) are only read when the pattern names the dot explicitly.
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    let paths = match glob::glob_with(pattern, options) {
        Ok(p) => p,
        Err(e) => {
            out.push(InputFile::problem(
                PathBuf::from(pattern),
                reason::INVALID_GLOB,
                e.to_string(),
            ));
            return;
        }
    };
    let before = out.len();
    let mut matched = 0usize;
    let mut visited = HashSet::new();
    for entry in paths {
        matched += 1;
        match entry {
            Ok(p) => match fs::metadata(&p) {
                Ok(m) if m.is_dir() => walk_dir(&p, out, &mut visited),
                Ok(m) => {
                    if InputFile::is_supported(&p) {
                        out.push(InputFile::regular(p, &m));
                    }
                }
                Err(e) => out.push(InputFile::problem(
                    p,
                    reason::UNREADABLE_PATH,
                    e.to_string(),
                )),
            },
            Err(e) => {
                let p = e.path().to_path_buf();
                out.push(InputFile::problem(
                    p,
                    reason::UNREADABLE_PATH,
                    e.error().to_string(),
                ));
            }
        }
    }
    if out.len() == before {
        let message = if matched == 0 {
            "glob pattern matched nothing".to_owned()
        } else {
            format!("glob pattern matched {matched} paths but no file with a supported extension")
        };
        out.push(InputFile::problem(
            PathBuf::from(pattern),
            reason::NO_MATCH,
            message,
        ));
    }
}

/// Recursive directory walk. `visited` holds canonical directory paths so symlink loops end.
fn walk_dir(dir: &Path, out: &mut Vec<InputFile>, visited: &mut HashSet<PathBuf>) {
    if let Ok(canon) = fs::canonicalize(dir) {
        if !visited.insert(canon) {
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push(InputFile::problem(
                dir.to_path_buf(),
                reason::UNREADABLE_PATH,
                e.to_string(),
            ));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push(InputFile::problem(
                    dir.to_path_buf(),
                    reason::UNREADABLE_PATH,
                    format!("error listing directory: {e}"),
                ));
                continue;
            }
        };
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_name().to_str().is_none() {
            // Its extension cannot be read as text, so it may be input: say so, never skip it.
            out.push(InputFile::problem(
                path,
                reason::UNREADABLE_PATH,
                "the file name is not valid UTF-8, so its format cannot be told; rename it"
                    .to_owned(),
            ));
            continue;
        }
        // `fs::metadata` follows symlinks, so a link to a file or directory counts as its target.
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_dir(&path, out, visited),
            Ok(m) => {
                if InputFile::is_supported(&path) {
                    out.push(InputFile::regular(path, &m));
                }
            }
            // A dangling symlink or a racing delete: only report it if it looked like input.
            Err(e) => {
                if InputFile::is_supported(&path) {
                    out.push(InputFile::problem(
                        path,
                        reason::UNREADABLE_PATH,
                        e.to_string(),
                    ));
                }
            }
        }
    }
}

/// Sort by path (component-wise, so `a/b` sorts with its directory) and drop later entries that
/// name the same file, compared by canonical path when the file exists.
fn sort_dedup(mut files: Vec<InputFile>) -> Vec<InputFile> {
    files.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then(a.issue.is_some().cmp(&b.issue.is_some()))
    });
    let mut seen = HashSet::new();
    files.retain(|f| {
        let key = if f.issue.is_none() {
            fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())
        } else {
            f.path.clone()
        };
        seen.insert((key, f.issue.as_ref().map(|i| i.reason)))
    });
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_format_and_compression() {
        let cases = [
            ("a.jsonl", Some(Format::Jsonl), Compression::None),
            ("a.JSONL.ZST", Some(Format::Jsonl), Compression::Zstd),
            ("dir/a.json.gz", Some(Format::Jsonl), Compression::Gzip),
            ("a.ndjson", Some(Format::Jsonl), Compression::None),
            ("a.txt.zst", Some(Format::Text), Compression::Zstd),
            ("a.csv", None, Compression::None),
            ("a.gz", None, Compression::Gzip),
        ];
        for (name, format, compression) in cases {
            let (f, c) = split_name(Path::new(name)).expect("has a name");
            assert_eq!((f, c), (format, compression), "{name}");
        }
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(
            Compression::from_magic(&[0x1f, 0x8b, 8]),
            Some(Compression::Gzip)
        );
        assert_eq!(
            Compression::from_magic(&[0x28, 0xb5, 0x2f, 0xfd]),
            Some(Compression::Zstd)
        );
        assert_eq!(
            Compression::from_magic(&[0x5a, 0x2a, 0x4d, 0x18]),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::from_magic(b"{\"te"), None);
        assert_eq!(Compression::from_magic(b""), None);
    }

    #[test]
    fn extensions() {
        assert_eq!(Compression::None.extension(), "");
        assert_eq!(Compression::Gzip.extension(), ".gz");
        assert_eq!(Compression::Zstd.extension(), ".zst");
    }
}
