//! expand_inputs: directories, globs, dedup, determinism, and problem entries.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use tamis_io::{expand_inputs, read, reason, Compression, Format, InputFile, ReadOptions};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A directory tree with supported, unsupported and hidden files.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let line = b"{\"text\":\"x\"}\n";
    write(&d.join("b.jsonl.gz"), &gzip(line));
    write(&d.join("a.jsonl"), line);
    write(&d.join("sub/c.jsonl.zst"), &zstd(line));
    write(&d.join("sub/deeper/d.txt"), b"plain text");
    write(&d.join("f.json"), line);
    write(&d.join("g.NDJSON"), line);
    write(&d.join("notes.md"), b"# not input");
    write(&d.join("data.orc"), b"PAR1");
    write(&d.join(".hidden.jsonl"), line);
    write(&d.join(".cache/e.jsonl"), line);
    write(&d.join(".out.jsonl.tmp-1-0"), line);
    dir
}

fn rel(files: &[InputFile], root: &Path) -> Vec<String> {
    files
        .iter()
        .map(|f| f.path.strip_prefix(root).map_or_else(|_| s(&f.path), s))
        .collect()
}

#[test]
fn directory_is_walked_recursively_and_sorted() {
    let dir = tree();
    let files = expand_inputs(&[s(dir.path())]);
    assert_eq!(
        rel(&files, dir.path()),
        [
            "a.jsonl",
            "b.jsonl.gz",
            "f.json",
            "g.NDJSON",
            "sub/c.jsonl.zst",
            "sub/deeper/d.txt"
        ]
    );
    let kinds: Vec<(Format, Compression)> =
        files.iter().map(|f| (f.format, f.compression)).collect();
    assert_eq!(
        kinds,
        [
            (Format::Jsonl, Compression::None),
            (Format::Jsonl, Compression::Gzip),
            (Format::Jsonl, Compression::None),
            (Format::Jsonl, Compression::None),
            (Format::Jsonl, Compression::Zstd),
            (Format::Text, Compression::None),
        ]
    );
    assert!(files.iter().all(|f| f.issue.is_none() && f.size.is_some()));
    // Paths stay under the directory as given.
    assert!(files.iter().all(|f| f.path.starts_with(dir.path())));
    // Every file reads back without problems.
    for f in &files {
        let records: Vec<_> = read(f, &ReadOptions::default()).collect();
        assert_eq!(records.len(), 1);
        assert!(records[0].is_doc(), "{}", f.path.display());
    }
}

#[test]
fn globs() {
    let dir = tree();
    let d = s(dir.path());
    let files = expand_inputs(&[format!("{d}/*.jsonl*")]);
    assert_eq!(rel(&files, dir.path()), ["a.jsonl", "b.jsonl.gz"]);

    let files = expand_inputs(&[format!("{d}/**/*.zst")]);
    assert_eq!(rel(&files, dir.path()), ["sub/c.jsonl.zst"]);

    // A glob matching a directory expands it; unsupported matches are skipped silently.
    let files = expand_inputs(&[format!("{d}/s?b"), format!("{d}/[fn]*")]);
    assert_eq!(
        rel(&files, dir.path()),
        ["f.json", "sub/c.jsonl.zst", "sub/deeper/d.txt"]
    );
}

#[test]
fn glob_without_match_and_invalid_glob_are_reported() {
    let dir = tree();
    let d = s(dir.path());
    let none = format!("{d}/*.orc.gz");
    let only_unsupported = format!("{d}/*.md");
    let invalid = format!("{d}/[.jsonl");
    let files = expand_inputs(&[none.clone(), only_unsupported.clone(), invalid.clone()]);
    let got: Vec<(String, &str)> = files
        .iter()
        .map(|f| (s(&f.path), f.issue.as_ref().expect("issue").reason))
        .collect();
    let mut want = vec![
        (none.clone(), reason::NO_MATCH),
        (only_unsupported, reason::NO_MATCH),
        (invalid, reason::INVALID_GLOB),
    ];
    want.sort();
    assert_eq!(got, want);
    // The reader turns each into exactly one quarantined record naming the pattern.
    let f = files.iter().find(|f| s(&f.path) == none).expect("entry");
    let records: Vec<_> = read(f, &ReadOptions::default()).collect();
    assert_eq!(records.len(), 1);
    let q = bad(&records[0]);
    assert_eq!(
        (q.reason, q.loc.file.as_str()),
        (reason::NO_MATCH, none.as_str())
    );
    assert!(q.message.contains("matched nothing"), "{}", q.message);
}

#[test]
fn empty_directory_and_missing_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let missing = dir.path().join("missing.jsonl");
    let files = expand_inputs(&[s(&empty), s(&missing)]);
    let got: Vec<(PathBuf, &str)> = files
        .iter()
        .map(|f| (f.path.clone(), f.issue.as_ref().expect("issue").reason))
        .collect();
    assert_eq!(
        got,
        [
            (empty, reason::NO_MATCH),
            (missing, reason::UNREADABLE_PATH)
        ]
    );
}

#[test]
fn explicit_unsupported_file_is_reported() {
    let dir = tree();
    let md = dir.path().join("notes.md");
    let files = expand_inputs(&[s(&md)]);
    assert_eq!(files.len(), 1);
    let records: Vec<_> = read(&files[0], &ReadOptions::default()).collect();
    assert_eq!(bad(&records[0]).reason, reason::UNSUPPORTED_FORMAT);
}

#[test]
fn dedup_and_determinism() {
    let dir = tree();
    let d = s(dir.path());
    let a = format!("{d}/a.jsonl");
    let a2 = format!("{d}/./sub/../a.jsonl");
    let one = expand_inputs(&[a.clone(), d.clone(), a2.clone(), format!("{d}/*.jsonl")]);
    let two = expand_inputs(&[format!("{d}/*.jsonl"), a2, d.clone(), a]);
    assert_eq!(one, two);
    assert_eq!(one.len(), 6, "{:?}", rel(&one, dir.path()));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    let dir = tree();
    let d = dir.path();
    std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
    std::os::unix::fs::symlink(d.join("nowhere.jsonl"), d.join("dangling.jsonl")).expect("symlink");
    let files = expand_inputs(&[s(d)]);
    let dangling: Vec<&InputFile> = files.iter().filter(|f| f.issue.is_some()).collect();
    assert_eq!(dangling.len(), 1);
    assert!(dangling[0].path.ends_with("dangling.jsonl"));
    assert_eq!(
        dangling[0].issue.as_ref().map(|i| i.reason),
        Some(reason::UNREADABLE_PATH)
    );
    // Each real file once, despite the loop.
    assert_eq!(files.iter().filter(|f| f.issue.is_none()).count(), 6);
}

#[test]
fn relative_paths_stay_relative() {
    // expand_inputs keeps the spelling it was given; ids of text documents use it.
    let files = expand_inputs(&["does/not/exist.txt"]);
    assert_eq!(files[0].path, Path::new("does/not/exist.txt"));
    assert_eq!(files[0].display_path(), "does/not/exist.txt");
}
