//! HTML files on disk (`tamis extract`): finding them and reading them as text.

use std::io::Read;
use std::path::{Path, PathBuf};

/// A page that could not be read; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum HtmlFileError {
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid gzip data: {source}", .path.display())]
    Gzip {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: more than {limit} bytes (decompressed)", .path.display())]
    TooLarge { path: PathBuf, limit: usize },
}

/// Whether a file name looks like an HTML page (`.html`, `.htm`, `.xhtml`, `.shtml`, each
/// optionally `.gz`).
pub fn is_html_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".html", ".htm", ".xhtml", ".shtml"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The pages named by `inputs`: files as given (whatever their name), and the HTML files
/// under each directory, recursively; sorted by path within each directory.
pub fn html_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, HtmlFileError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| HtmlFileError::Read {
            path: input.clone(),
            source,
        })?;
        if !meta.is_dir() {
            out.push(input.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut dirs = vec![input.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|source| HtmlFileError::Read {
                path: dir.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| HtmlFileError::Read {
                    path: dir.clone(),
                    source,
                })?;
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if is_html_name(&entry.file_name().to_string_lossy()) {
                    found.push(path);
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// The text of an HTML file (gunzipped when its name ends in `.gz`), decoded from its BOM,
/// UTF-8, its `<meta charset>` or a detected encoding (see [`crate::http::decode_text`]).
/// Files over `max_bytes` (decompressed) are refused rather than read whole.
pub fn read_html(path: &Path, max_bytes: usize) -> Result<String, HtmlFileError> {
    let file = std::fs::File::open(path).map_err(|source| HtmlFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    } else {
        Box::new(file)
    };
    let mut raw = Vec::new();
    reader
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|source| {
            if gz {
                HtmlFileError::Gzip {
                    path: path.to_owned(),
                    source,
                }
            } else {
                HtmlFileError::Read {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
    if raw.len() > max_bytes {
        return Err(HtmlFileError::TooLarge {
            path: path.to_owned(),
            limit: max_bytes,
        });
    }
    Ok(crate::http::decode_text(&raw, None).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pages_and_decodes_them() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("b");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(dir.path().join("a.html"), "<p>caf\u{e9}</p>").unwrap();
        std::fs::write(
            sub.join("c.htm"),
            b"<meta charset=\"windows-1252\"><p>caf\xe9</p>",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a page").unwrap();
        let files = html_files(&[dir.path().to_owned()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().to_owned())
            .collect();
        assert_eq!(names, [PathBuf::from("a.html"), PathBuf::from("b/c.htm")]);
        assert!(read_html(&files[1], 1 << 20).unwrap().contains("café"));
        let err = read_html(&files[0], 4).unwrap_err().to_string();
        assert!(err.contains("a.html") && err.contains("4 bytes"), "{err}");
        assert!(html_files(&[dir.path().join("missing")]).is_err());
    }
}
