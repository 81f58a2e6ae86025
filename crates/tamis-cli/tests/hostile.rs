//! Hostile inputs: drive the `tamis` binary on inputs built to break a reader (bad bytes,
//! broken compression, decompression bombs, huge lines, pathological nesting, bad paths, a full
//! disk, path-like ids). Every run must end without a panic, with each fault quarantined (file,
//! line or offset, reason) or reported as a clear error, memory bounded, and
//! `read = kept + dropped + quarantined`. Big inputs are generated here, streamed to temp files.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;

/// Peak RSS allowed for any run here; the largest inputs decompress to 2 GiB.
const MAX_RSS_KB: u64 = 600 * 1024;

mod common;

use common::{out_args, pipeline_run, preset, run_ok, tamis, tamis_with_file_limit, try_run, Run};

/// Runs tamis under `/usr/bin/time` and returns its output and peak RSS in KiB; `None` (with a
/// note) where GNU time is not installed, in which case callers skip the memory assertion.
fn tamis_measured<S: AsRef<OsStr>>(args: &[S]) -> (Output, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("note: /usr/bin/time not found; peak RSS not checked");
        return (tamis(args), None);
    }
    let report = tempfile::NamedTempFile::new().unwrap();
    let o = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_tamis"))
        .args(args)
        .output()
        .expect("run tamis under /usr/bin/time");
    let text = std::fs::read_to_string(report.path()).unwrap();
    // GNU time prefixes "Command exited with non-zero status N" on failures.
    let kb = text.lines().last().and_then(|l| l.trim().parse().ok());
    (o, kb)
}

fn assert_rss_bounded(kb: Option<u64>, what: &str) {
    assert_rss_under(kb, what, MAX_RSS_KB / 1024);
}

/// Asserts a peak RSS (when measured) under `mib` MiB, and prints it.
fn assert_rss_under(kb: Option<u64>, what: &str, mib: u64) {
    if let Some(kb) = kb {
        eprintln!("{what}: peak RSS {} MiB", kb / 1024);
        assert!(
            kb < mib * 1024,
            "{what}: peak RSS {} MiB is over {mib} MiB",
            kb / 1024
        );
    }
}

/// [`run_ok`] under `/usr/bin/time`: the run, asserted successful, and its peak RSS in KiB
/// (see [`tamis_measured`]).
fn run_measured<S: AsRef<OsStr>>(
    cmd: &[S],
    inputs: &[&Path],
    out: &Path,
    extra: &[&str],
) -> (Run, Option<u64>) {
    let (output, kb) = tamis_measured(&out_args(cmd, inputs, out, extra));
    let run = Run {
        out: out.to_path_buf(),
        output,
    };
    assert!(run.output.status.success(), "{}", run.stderr());
    (run, kb)
}

/// The one quarantine record for the input file whose name ends with `name`.
fn fault_for<'a>(q: &'a [Value], name: &str) -> &'a Value {
    let hits: Vec<&Value> = q
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with(name))
        .collect();
    assert_eq!(hits.len(), 1, "quarantine records for {name}: {hits:?}");
    hits[0]
}

fn doc_line(id: &str, text: &str) -> String {
    let mut s = serde_json::json!({ "id": id, "text": text }).to_string();
    s.push('\n');
    s
}

/// Varied English-like text so compressed streams have real content to corrupt.
fn prose(n_docs: usize) -> String {
    let words = [
        "the", "river", "runs", "past", "old", "mill", "where", "children", "played", "and",
        "sang", "every", "summer", "evening", "under", "tall", "trees",
    ];
    (0..n_docs)
        .map(|i| {
            let text: Vec<&str> = (0..120)
                .map(|j| words[(i * 7 + j * j) % words.len()])
                .collect();
            doc_line(&format!("d{i}"), &format!("{}.", text.join(" ")))
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd_checked(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Streams `total` bytes made of `chunk` repeated into `w` (which compresses them).
fn pump(w: &mut impl Write, chunk: &[u8], total: u64) {
    let mut block = Vec::with_capacity(1 << 20);
    while block.len() + chunk.len() <= 1 << 20 {
        block.extend_from_slice(chunk);
    }
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        w.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("a.jsonl");
    let mut data = doc_line("ok", "Fine text.").into_bytes();
    let bad_at = data.len();
    data.extend_from_slice(b"{\"id\":\"u\",\"text\":\"caf\xc3\x28 \xff\"}\n");
    // An escaped NUL is valid JSON and must come through as text.
    data.extend_from_slice(doc_line("nul", "before\0after. More words here.").as_bytes());
    // A raw NUL inside a JSON string is a control character: invalid JSON, not a crash.
    data.extend_from_slice(b"{\"id\":\"rawnul\",\"text\":\"a\0b\"}\n");
    std::fs::write(&jsonl, &data).unwrap();
    let bad_txt = tmp.path().join("bad.txt");
    std::fs::write(&bad_txt, b"line one\nline \xe2\x82 two\n").unwrap();
    let nul_txt = tmp.path().join("nul.txt");
    std::fs::write(
        &nul_txt,
        b"text with \0 NUL \0\0 bytes\nand a second line\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let r = run_ok(
        &preset("fineweb-text"),
        &[&jsonl, &bad_txt, &nul_txt],
        &out,
        &[],
    );
    let s = r.balanced();
    assert_eq!(s["read"], 6);
    assert_eq!(s["quarantined"], 3);
    let q = r.records("quarantine");
    let utf8: Vec<&Value> = q.iter().filter(|r| r["reason"] == "invalid_utf8").collect();
    assert_eq!(utf8.len(), 2, "{q:?}");
    assert_eq!(utf8[0]["line"], 2);
    assert_eq!(utf8[0]["byte_offset"], bad_at as u64);
    assert!(utf8[0]["message"]
        .as_str()
        .unwrap()
        .contains("invalid UTF-8"));
    assert!(utf8[1]["file"].as_str().unwrap().ends_with("bad.txt"));
    assert_eq!(utf8[1]["line"], 2);
    assert_eq!(utf8[1]["byte_offset"], 14);
    let raw_nul = q.iter().find(|r| r["reason"] == "invalid_json").unwrap();
    assert_eq!(raw_nul["line"], 4);
    // Both NUL-bearing documents were filtered as text.
    let docs = r.documents();
    let texts: Vec<&str> = docs.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert!(
        texts.contains(&"before\0after. More words here."),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.starts_with("text with \0 NUL \0\0")));
}

#[test]
fn truncated_and_corrupt_gzip_and_zstd() {
    let tmp = tempfile::tempdir().unwrap();
    let body = prose(3000);
    let gz = gzip(body.as_bytes());
    let zs = zstd_checked(body.as_bytes());
    let flip = |mut b: Vec<u8>| {
        // Flip a run of bytes in the middle of the compressed data.
        let mid = b.len() / 2;
        for x in &mut b[mid..mid + 16] {
            *x ^= 0x5a;
        }
        b
    };
    let files = [
        ("trunc.jsonl.gz", gz[..gz.len() / 2].to_vec()),
        ("trunc.jsonl.zst", zs[..zs.len() / 2].to_vec()),
        ("corrupt.jsonl.gz", flip(gz.clone())),
        ("corrupt.jsonl.zst", flip(zs.clone())),
        ("header.jsonl.gz", gz[..5].to_vec()),
        ("notgz.jsonl.gz", body.as_bytes()[..1000].to_vec()),
    ];
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let out = tmp.path().join("out");
    let r = run_ok(&preset("fineweb-text"), &[&dir], &out, &[]);
    let s = r.balanced();
    let q = r.records("quarantine");
    let stream_fault = |r: &Value| {
        matches!(
            r["reason"].as_str().unwrap(),
            "truncated_input" | "decompress_error"
        )
    };
    for (name, _) in &files {
        let faults: Vec<&Value> = q
            .iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(name))
            .filter(|r| stream_fault(r))
            .collect();
        assert_eq!(faults.len(), 1, "{name}: {q:?}");
        assert!(!faults[0]["message"].as_str().unwrap().is_empty());
    }
    for name in ["trunc.jsonl.gz", "trunc.jsonl.zst"] {
        let f = fault_for(&q, name);
        assert_eq!(f["reason"], "truncated_input", "{f}");
        // Whole records before the cut were read, so the fault is well into the stream.
        assert!(f["byte_offset"].as_u64().unwrap() > 0, "{f}");
        assert!(f["line"].as_u64().unwrap() > 1, "{f}");
    }
    assert_eq!(
        fault_for(&q, "notgz.jsonl.gz")["reason"],
        "decompress_error"
    );
    // Records before each fault came through: more than the files' faults were read.
    assert!(s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() > 3000);
    // Dedup reads the same files the same way and quarantines the same faults.
    let d = run_ok(&["dedup"], &[&dir], &tmp.path().join("dedup"), &[]).balanced();
    assert_eq!(d["read"], s["read"]);
    assert_eq!(d["quarantined"], s["quarantined"]);
}

#[test]
fn zstd_bomb_of_one_byte_is_one_bounded_line_too_long() {
    let tmp = tempfile::tempdir().unwrap();
    let bomb = tmp.path().join("bomb.jsonl.zst");
    let total: u64 = 2 << 30;
    let mut e =
        zstd::stream::write::Encoder::new(std::fs::File::create(&bomb).unwrap(), 1).unwrap();
    pump(&mut e, b"a", total);
    e.finish().unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let out = tmp.path().join("out");
    let (r, rss) = run_measured(&preset("fineweb-text"), &[&bomb], &out, &[]);
    assert_rss_bounded(rss, "2 GiB zstd bomb");
    let s = r.balanced();
    assert_eq!(s["quarantined"], 1);
    let q = r.records("quarantine");
    assert_eq!(q[0]["reason"], "line_too_long");
    assert_eq!(q[0]["line"], 1);
    assert_eq!(q[0]["byte_offset"], 0);
    let msg = q[0]["message"].as_str().unwrap();
    assert!(msg.contains(&total.to_string()), "{msg}");
}

#[test]
fn gzip_bomb_of_valid_lines_stops_at_max_decompressed_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let bomb = tmp.path().join("lines.jsonl.gz");
    let line = doc_line("x", &"word ".repeat(200));
    let file = std::fs::File::create(&bomb).unwrap();
    let mut e = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    pump(&mut e, line.as_bytes(), 2 << 30);
    e.finish().unwrap();
    let out = tmp.path().join("out");
    let (r, rss) = run_measured(
        &preset("fineweb-text"),
        &[&bomb],
        &out,
        &["--max-decompressed-bytes", "8M"],
    );
    assert_rss_bounded(rss, "gzip bomb of valid lines");
    let s = r.balanced();
    let q = r.records("quarantine");
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0]["reason"], "decompressed_too_large");
    assert!(q[0]["message"]
        .as_str()
        .unwrap()
        .contains("max_decompressed_bytes = 8388608"));
    // Every whole line up to the cap was read as a document, and no more than one past it.
    let docs = s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap();
    let per_cap = (8u64 << 20) / line.len() as u64;
    assert!(
        docs >= per_cap && docs <= per_cap + 2,
        "{docs} vs {per_cap}"
    );
    assert_eq!(q[0]["line"].as_u64().unwrap(), docs + 1);
}

#[test]
fn line_of_200_mb_is_quarantined_with_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    f.write_all(b"{\"id\":\"big\",\"text\":\"").unwrap();
    pump(&mut f, b"lorem ipsum ", 200_000_000);
    f.write_all(b"\"}\n").unwrap();
    f.write_all(doc_line("after", "The line after the big one is read.").as_bytes())
        .unwrap();
    f.into_inner().unwrap().sync_all().unwrap();
    let big_txt = tmp.path().join("big.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big_txt).unwrap());
    pump(&mut f, b"lorem ipsum ", 200_000_000);
    drop(f);
    let out = tmp.path().join("out");
    let (r, rss) = run_measured(
        &preset("fineweb-text"),
        &[&big, &big_txt],
        &out,
        &["--max-record-bytes", "64M"],
    );
    assert_rss_bounded(rss, "200 MB line");
    let s = r.balanced();
    assert_eq!(s["read"], 3);
    let q = r.records("quarantine");
    let line = fault_for(&q, "big.jsonl");
    assert_eq!(line["reason"], "line_too_long");
    assert_eq!(line["line"], 1);
    assert!(line["message"]
        .as_str()
        .unwrap()
        .contains(&format!("line is {} bytes", 200_000_000 + 22)));
    // Only the start of the line is kept for the report.
    assert!(line["raw"].as_str().unwrap().len() <= 4096);
    assert_eq!(fault_for(&q, "big.txt")["reason"], "file_too_large");
}

#[test]
fn pathological_texts_are_ordinary_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("a.jsonl")).unwrap());
    // A million short lines in one document.
    f.write_all(doc_line("lines", &"ab\n".repeat(1_000_000)).as_bytes())
        .unwrap();
    // 100k nested unclosed tags: just text to the filters.
    f.write_all(doc_line("tags", &"<div><b>".repeat(50_000)).as_bytes())
        .unwrap();
    // 10 MB without a newline (and without a space: one huge "word").
    f.write_all(doc_line("nonl", &"abcdefghij".repeat(1_000_000)).as_bytes())
        .unwrap();
    // 10 MB of words without a newline.
    f.write_all(doc_line("words", &"word ".repeat(2_000_000)).as_bytes())
        .unwrap();
    // Deeply nested metadata: over serde_json's recursion limit, so invalid JSON, not a stack
    // overflow.
    let deep = format!(
        "{{\"id\":\"deep\",\"text\":\"t\",\"metadata\":{{\"m\":{}{}}}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    f.write_all(deep.as_bytes()).unwrap();
    let unclosed = format!(
        "{{\"id\":\"open\",\"text\":\"t\",\"m\":{}\n",
        "{\"a\":".repeat(100_000)
    );
    f.write_all(unclosed.as_bytes()).unwrap();
    drop(f);
    std::fs::write(dir.join("lines.txt"), "x\n".repeat(1_000_000)).unwrap();
    std::fs::write(dir.join("nonl.txt"), "y".repeat(10_000_000)).unwrap();
    let started = Instant::now();
    let out = tmp.path().join("out");
    let (r, rss) = run_measured(&preset("fineweb-text"), &[&dir], &out, &[]);
    // Reported, not asserted: timings depend on the machine.
    eprintln!("pathological texts: {:?}", started.elapsed());
    assert_rss_bounded(rss, "pathological texts");
    let s = r.balanced();
    assert_eq!(s["read"], 8);
    let q = r.records("quarantine");
    assert_eq!(q.len(), 2, "{q:?}");
    for (r, line) in q.iter().zip([5, 6]) {
        assert_eq!(r["reason"], "invalid_json");
        assert_eq!(r["line"], line);
    }
    assert!(q[0]["message"]
        .as_str()
        .unwrap()
        .contains("recursion limit"));
    // The line cleaner and its line model too: a page of a million lines is scored a chunk of
    // lines at a time.
    let started = Instant::now();
    let (r, rss) = run_measured(&preset("clean"), &[&dir], &tmp.path().join("clean"), &[]);
    eprintln!("pathological texts, clean: {:?}", started.elapsed());
    assert_rss_bounded(rss, "pathological texts, clean");
    assert_eq!(r.balanced()["read"], 8);
    // MinHash shingles the same documents without trouble.
    let started = Instant::now();
    let dd = run_ok(&["dedup"], &[&dir], &tmp.path().join("dedup"), &[]);
    eprintln!("pathological texts, dedup: {:?}", started.elapsed());
    assert_eq!(dd.balanced()["read"], 8);
}

#[test]
fn empty_unreadable_and_missing_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("zero.jsonl"), b"").unwrap();
    std::fs::write(dir.join("zero.jsonl.gz"), b"").unwrap();
    std::fs::write(dir.join("zero.jsonl.zst"), b"").unwrap();
    std::fs::write(dir.join("empty.jsonl.gz"), gzip(b"")).unwrap();
    std::fs::write(dir.join("empty.jsonl.zst"), zstd_checked(b"")).unwrap();
    std::fs::write(dir.join("blank.jsonl"), b"\n  \n\t\n").unwrap();
    std::fs::write(dir.join("zero.txt"), b"").unwrap();
    let locked = dir.join("locked.jsonl");
    std::fs::write(&locked, doc_line("l", "Locked away.")).unwrap();
    set_mode(&locked, 0o000);
    // Root (and some CI sandboxes) read through mode 000: check rather than assume.
    let blocked = std::fs::File::open(&locked).is_err();
    if !blocked {
        eprintln!("note: running with permission to read mode-000 files; unreadable case skipped");
    }
    // Unreadable even for root: a link to nowhere.
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), dir.join("dangling.jsonl")).unwrap();
    // A file that opens but whose reads fail, even for root: on Linux, reading the reading
    // process's own /proc/self/mem at offset 0 (never mapped) is EIO.
    let eio = Path::new("/proc/self/mem").exists();
    if eio {
        std::os::unix::fs::symlink("/proc/self/mem", dir.join("eio.jsonl")).unwrap();
    }
    // A directory whose name looks like an input file, holding nothing readable.
    let fake = tmp.path().join("dir.jsonl");
    std::fs::create_dir(&fake).unwrap();
    let glob = tmp.path().join("nothing-*.jsonl");
    let out = tmp.path().join("out");
    let r = try_run(&preset("fineweb-text"), &[&dir, &fake, &glob], &out, &[]);
    set_mode(&locked, 0o644);
    assert!(r.output.status.success(), "{}", r.stderr());
    let s = r.balanced();
    let q = r.records("quarantine");
    for name in [
        "zero.jsonl",
        "zero.jsonl.gz",
        "zero.jsonl.zst",
        "empty.jsonl.gz",
        "empty.jsonl.zst",
        "blank.jsonl",
        "zero.txt",
    ] {
        assert_eq!(
            fault_for(&q, &format!("/{name}"))["reason"],
            "empty_file",
            "{name}"
        );
    }
    assert_eq!(fault_for(&q, "dir.jsonl")["reason"], "no_match");
    let d = fault_for(&q, "dangling.jsonl");
    assert_eq!(d["reason"], "unreadable_path");
    assert!(
        d["message"].as_str().unwrap().contains("No such file"),
        "{d}"
    );
    if eio {
        let e = fault_for(&q, "eio.jsonl");
        assert_eq!(e["reason"], "read_error", "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("Input/output error"),
            "{e}"
        );
    }
    let g = fault_for(&q, "nothing-*.jsonl");
    assert_eq!(g["reason"], "no_match");
    assert!(g["message"].as_str().unwrap().contains("matched nothing"));
    if blocked {
        let l = fault_for(&q, "locked.jsonl");
        assert_eq!(l["reason"], "unreadable_path");
        assert!(l["message"].as_str().unwrap().contains("ermission"), "{l}");
        assert_eq!(
            s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap(),
            0
        );
    } else {
        assert_eq!(
            s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap(),
            1
        );
    }
}

#[test]
fn fifos_and_non_utf8_names_in_input_directories_are_reported_never_waited_on() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("good.jsonl"), doc_line("g", "A good document.")).unwrap();
    // A name that is not UTF-8 (Latin-1 `é`): its format cannot be told from its name.
    let latin1 = dir.join(OsStr::from_bytes(b"caf\xe9.jsonl"));
    std::fs::write(&latin1, doc_line("l", "Hidden behind its name.")).unwrap();
    // A FIFO with an input's name: opening it would wait for a writer forever.
    let fifo = dir.join("pipe.jsonl");
    let made_fifo = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made_fifo {
        eprintln!("note: mkfifo is unavailable; the FIFO case is skipped");
    }
    let out = tmp.path().join("out");
    let mut child = common::tamis_command()
        .args(out_args(&preset("fineweb-text"), &[&dir], &out, &[]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > 60 {
            child.kill().unwrap();
            panic!("the run hangs on its inputs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(child.wait().unwrap().success());
    let run = Run {
        out: out.clone(),
        output: child.wait_with_output().unwrap(),
    };
    let s = run.balanced();
    let q = run.records("quarantine");
    let bad_name = fault_for(&q, "caf\u{FFFD}.jsonl");
    assert_eq!(bad_name["reason"], "unreadable_path");
    assert!(bad_name["message"]
        .as_str()
        .unwrap()
        .contains("not valid UTF-8"));
    if made_fifo {
        let f = fault_for(&q, "pipe.jsonl");
        assert_eq!(f["reason"], "unreadable_path");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"));
    }
    assert_eq!(s["quarantined"], 1 + u64::from(made_fifo));
    // Every input is accounted for in the manifest, the reported ones too.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["inputs"].as_array().unwrap().len(),
        2 + usize::from(made_fifo)
    );
}

#[test]
fn a_long_template_value_makes_a_bounded_directory_name() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let url = format!("https://example.com/{}", "segment-".repeat(40));
    let lines: Vec<String> = (0..3)
        .map(|i| {
            serde_json::json!({"id": i.to_string(), "text": "A document.", "url": format!("{url}{i}")})
                .to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = tmp.path().join("out");
    let r = run_ok(
        &["run", "--steps", "token_count"],
        &[&input],
        &out,
        &["--output-template", "${url}/"],
    );
    assert_eq!(r.balanced()["kept"], 3);
    let dirs: Vec<String> = std::fs::read_dir(out.join("kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs.len(), 3, "{dirs:?}");
    assert!(dirs.iter().all(|d| d.len() <= 120), "{dirs:?}");
    r.verify();
}

#[test]
fn a_second_run_on_a_busy_output_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = common::root().join("tests/golden/subset-input.jsonl.zst");
    let out = tmp.path().join("out");
    let marker = tmp.path().join("stopped");
    let args = out_args(
        &preset("fineweb-text"),
        &[&input],
        &out,
        &["--checkpoint-every", "50"],
    );
    // The first run stops, holding its lock, right after its second checkpoint.
    let mut first = parked_at(&args, "checkpoint_saved", 2, &marker);
    let second = tamis(&args);
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!("another tamis process (pid {})", first.id())),
        "{err}"
    );
    // The refused run touched nothing: killed, the first resumes to a run that verifies,
    // clearing what a writer killed mid-write leaves.
    first.kill().unwrap();
    first.wait().unwrap();
    let stray = out.join("..checkpoint.json.tmp-999999");
    std::fs::write(&stray, b"{").unwrap();
    let resumed = tamis(&args);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let done = Run {
        out: out.clone(),
        output: resumed,
    };
    done.balanced();
    done.verify();
    assert!(
        !stray.exists(),
        "a killed writer's temporary file is left behind"
    );
    let fresh = run_ok(
        &preset("fineweb-text"),
        &[&input],
        &tmp.path().join("fresh"),
        &["--checkpoint-every", "50"],
    );
    assert!(
        done.files("kept") == fresh.files("kept"),
        "the resumed run's kept files differ from an uninterrupted run's"
    );
}

#[test]
fn a_killed_dedup_reruns_to_the_same_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let subset = common::root().join("tests/golden/subset-input.jsonl.zst");
    let copy = tmp.path().join("b.jsonl.zst");
    std::fs::copy(&subset, &copy).unwrap();
    let inputs: [&Path; 2] = [&subset, &copy];
    let fresh = run_ok(
        &["dedup"],
        &inputs,
        &tmp.path().join("fresh"),
        &["--no-progress"],
    );
    // Killed in the filter stage, after its first input's outputs; and after its work
    // directory is removed, just before `stats.json` would mark it finished.
    for (point, n) in [("dedup_filtered", 1), ("dedup_cleaned", 1)] {
        let out = tmp.path().join(point);
        let marker = tmp.path().join(format!("{point}.stopped"));
        let args = out_args(&["dedup"], &inputs, &out, &["--no-progress"]);
        let mut child = parked_at(&args, point, n, &marker);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(out.join("kept").exists() && !out.join("stats.json").exists());
        // The same command starts over by itself and ends as an uninterrupted run.
        let rerun = tamis(&args);
        assert!(
            rerun.status.success(),
            "{point}: {}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        let again = Run {
            out: out.clone(),
            output: rerun,
        };
        for sub in ["kept", "dropped", "quarantine"] {
            assert!(
                again.files(sub) == fresh.files(sub),
                "{point}: {sub} differs"
            );
        }
        assert_eq!(again.balanced()["dropped"], fresh.balanced()["dropped"]);
        assert!(!out.join("work").exists() && !out.join(".tamis.lock").exists());
        // A finished run is still protected.
        let o = tamis(&args);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("already holds"));
    }
}

#[test]
fn a_warc_record_over_the_limit_is_one_fault_and_its_body_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let http = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n\
                <html><body><p>The record after the big one.</p></body></html>";
    let record = |id: &str, body: &str| {
        format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
             WARC-Target-URI: http://example.com/{id}\r\n\
             Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n\
             {body}\r\n\r\n",
            body.len()
        )
    };
    // 64 MiB of zeros with a whole record hidden inside, then an ordinary record.
    let path = tmp.path().join("big.warc");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let smuggled = record("smuggled", http);
    let zeros = 64usize << 20;
    write!(
        f,
        "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:big>\r\n\
         Content-Length: {}\r\n\r\n{smuggled}",
        smuggled.len() + zeros
    )
    .unwrap();
    pump(&mut f, &[0u8; 1 << 16], zeros as u64);
    write!(f, "\r\n\r\n{}", record("after", http)).unwrap();
    drop(f);
    let (o, rss) = run_measured(
        &["run", "--steps", "token_count"],
        &[&path],
        &tmp.path().join("out"),
        &["--max-record-bytes", "1M"],
    );
    assert!(o.output.status.success(), "{}", o.stderr());
    let s = o.balanced();
    assert_eq!(
        (s["read"].as_u64(), s["quarantined"].as_u64()),
        (Some(2), Some(1)),
        "{s}"
    );
    let docs = o.records("kept");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], "<urn:uuid:after>");
    assert_rss_bounded(rss, "a skipped 64 MiB WARC record");
}

#[test]
fn header_bombs_in_web_archives_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bombs.warc");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // A WARC record of 50 MB of header lines ...
    f.write_all(b"WARC/1.0\r\n").unwrap();
    pump(&mut f, b"X:y\r\n", 50 << 20);
    f.write_all(b"\r\n").unwrap();
    // ... then a response whose HTTP head is 40 MB of header lines, then an ordinary page.
    // Whole lines only (`pump` repeats the line), so the head ends where the page starts.
    let http_head = (40u64 << 20) / 6 * 6;
    let page = "\r\n<html><body><p>After the bombs.</p></body></html>";
    let http_len = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n".len() as u64
        + http_head
        + page.len() as u64;
    write!(
        f,
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:http-bomb>\r\n\
         WARC-Target-URI: http://example.com/\r\n\
         Content-Type: application/http; msgtype=response\r\nContent-Length: {http_len}\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    )
    .unwrap();
    pump(&mut f, b"X: y\r\n", http_head);
    write!(f, "{page}\r\n\r\n").unwrap();
    drop(f);
    let (o, rss) = run_measured(
        &["run", "--steps", "token_count"],
        &[&path],
        &tmp.path().join("out"),
        &[],
    );
    let s = o.balanced();
    assert_eq!(s["quarantined"], 1, "{s}");
    assert_eq!(
        fault_for(&o.records("quarantine"), "bombs.warc")["reason"],
        "invalid_record"
    );
    let docs = o.records("kept");
    assert_eq!(docs.len(), 1);
    let text = docs[0]["text"].as_str().unwrap();
    assert!(
        text.contains("After the bombs."),
        "{:?}",
        text.chars().take(300).collect::<String>()
    );
    assert_rss_bounded(rss, "WARC and HTTP header bombs");
    // With a stream limit, reading stops inside the 50 MB of header lines, not after them:
    // nothing past the limit is read, the page after the bombs included.
    let capped = run_ok(
        &["run", "--steps", "token_count"],
        &[&path],
        &tmp.path().join("capped"),
        &["--max-decompressed-bytes", "1M"],
    );
    let s = capped.balanced();
    assert_eq!(s["kept"], 0, "{s}");
    assert_eq!(
        (
            &s["quarantine_reasons"]["invalid_record"],
            &s["quarantine_reasons"]["decompressed_too_large"]
        ),
        (&Value::from(1), &Value::from(1)),
        "{s}"
    );
    let q = capped.records("quarantine");
    let stop = q
        .iter()
        .find(|r| r["reason"] == "decompressed_too_large")
        .expect("a decompressed_too_large record");
    let at: u64 = stop["message"]
        .as_str()
        .and_then(|m| m.strip_prefix("stopped after "))
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stop}"));
    assert!(at < 2 << 20, "read {at} bytes past a 1 MiB limit");
}

#[test]
fn a_parquet_dictionary_bomb_is_read_in_bounded_memory() {
    use std::sync::Arc;
    // 256 rows of one 2 MiB value: dictionary-encoded and zstd-compressed, a file of a few
    // KB that decodes to 512 MiB of text.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bomb.parquet");
    let value = "x".repeat(2 << 20);
    let text: arrow_array::StringArray = (0..256).map(|_| Some(value.as_str())).collect();
    let batch = arrow_array::RecordBatch::try_from_iter([(
        "text",
        Arc::new(text) as arrow_array::ArrayRef,
    )])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    // `url_filter` drops every page at once (no URL), so the run is the reading and writing.
    let (o, rss) = run_measured(
        &["run", "--steps", "url_filter"],
        &[&path],
        &tmp.path().join("out"),
        &[],
    );
    assert_eq!(o.balanced()["read"], 256);
    assert_rss_bounded(rss, "a Parquet dictionary bomb");
}

#[test]
fn overwrite_never_deletes_inputs_or_folders_tamis_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let input = common::root().join("sample/pages.jsonl");
    let first = run_ok(&preset("fineweb-text"), &[&input], &out, &[]);
    let kept = first.records("kept").len();
    // The output directory's own files as input: refused, even with --overwrite, and nothing
    // is deleted.
    for extra in [&[][..], &["--overwrite"][..]] {
        let r = try_run(&preset("fineweb-text"), &[&out.join("kept")], &out, extra);
        assert_eq!(r.code(), Some(2), "{extra:?}");
        assert!(
            r.stderr().contains("inside the output directory"),
            "{}",
            r.stderr()
        );
        assert_eq!(first.records("kept").len(), kept);
    }
    // A folder named kept/ that no tamis run wrote is left alone by --overwrite.
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(foreign.join("kept")).unwrap();
    std::fs::write(foreign.join("kept/precious.txt"), "mine").unwrap();
    let r = try_run(
        &preset("fineweb-text"),
        &[&input],
        &foreign,
        &["--overwrite"],
    );
    assert_eq!(r.code(), Some(2));
    assert!(
        r.stderr().contains("no sign of a tamis run"),
        "{}",
        r.stderr()
    );
    assert!(foreign.join("kept/precious.txt").exists());
    // A tamis run's own outputs are still replaced.
    run_ok(&preset("fineweb-text"), &[&input], &out, &["--overwrite"]);
}

/// Starts tamis with `args` and the stop hook armed at the `n`-th pass through `point`, and
/// returns it once it waits there (`marker` exists), to be killed or left running.
fn parked_at(args: &[OsString], point: &str, n: u64, marker: &Path) -> std::process::Child {
    let mut child = common::tamis_command()
        .args(args)
        .env(
            "TAMIS_TEST_STOP",
            format!("{point}:{n}:{}", marker.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "tamis ended before {point}"
        );
        assert!(
            started.elapsed().as_secs() < 60,
            "tamis never reached {point}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A directory on a tiny filesystem: a 1 MiB tmpfs when this process may mount one; unmounted
/// on drop.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Runs tamis with `args` writing to a 1 MiB disk and checks it fails the way a full disk
/// must: exit 2, the output path and the cause named once, no panic, nothing half-written
/// under a final name, no `stats.json`. `args` holds `{out}` where the output directory goes.
fn assert_full_disk_fails_cleanly(args: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, prose(3000)).unwrap();
    let disk = tmp.path().join("disk");
    let mounted = SmallDisk::mount(&disk);
    let out = disk.join("out");
    let (input, out_s) = (input.to_str().unwrap(), out.to_str().unwrap());
    let args: Vec<&str> = args
        .iter()
        .map(|a| match *a {
            "{in}" => input,
            "{out}" => out_s,
            a => a,
        })
        .collect();
    let o = if mounted.is_some() {
        tamis(&args)
    } else {
        // No mount rights: a 1 MiB file-size limit makes writes fail the same way.
        eprintln!("note: cannot mount a tmpfs; simulating a full disk with ulimit -f");
        tamis_with_file_limit(2048, &args)
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    eprintln!("full disk ({}): {stderr}", args[0]);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(disk.to_str().unwrap()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The cause itself, once, not a follow-on error of the writer that failed.
    let cause = if mounted.is_some() {
        "No space left on device"
    } else {
        "File too large"
    };
    assert_eq!(stderr.matches(cause).count(), 1, "{stderr}");
    assert!(!stderr.contains("already failed"), "{stderr}");
    // Nothing half-written under a final name, and no temp file left behind: every file is a
    // complete JSONL file (its last line parses and ends in a newline). `tamis run` keeps its
    // hidden `.NAME.partial` files, which a rerun resumes from once there is space again.
    for sub in ["kept", "dropped", "quarantine"] {
        let Ok(entries) = std::fs::read_dir(out.join(sub)) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if args[0] == "run" && name.starts_with('.') && name.ends_with(".partial") {
                continue;
            }
            assert!(!name.starts_with('.'), "temp file left: {}", p.display());
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(text.is_empty() || text.ends_with('\n'), "{}", p.display());
            for line in text.lines() {
                serde_json::from_str::<Value>(line).unwrap();
            }
        }
    }
    // stats.json marks a finished run: a run that failed writes none.
    assert!(!out.join("stats.json").exists());
    drop(mounted);
}

#[test]
fn full_disk_is_a_clear_error_without_partial_outputs() {
    assert_full_disk_fails_cleanly(&[
        "run",
        "--preset",
        "fineweb-text",
        "{in}",
        "-o",
        "{out}",
        "--compression",
        "none",
    ]);
}

#[test]
fn full_disk_during_dedup_is_a_clear_error_without_partial_outputs() {
    assert_full_disk_fails_cleanly(&["dedup", "{in}", "-o", "{out}", "--compression", "none"]);
}

#[test]
fn path_like_ids_never_escape_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("ids.jsonl");
    let ids = [
        "../../escape",
        "/tmp/tamis-hostile-abs",
        "a/b/c",
        "nul\0id",
        "..",
        "",
    ];
    let text = "A normal paragraph of text that is long enough to read. It has sentences.";
    let mut data = String::new();
    for id in ids {
        data.push_str(&doc_line(id, text));
    }
    // One record whose metadata also looks like paths.
    data.push_str(
        "{\"id\":\"../m\",\"text\":\"other\",\"metadata\":{\"file_path\":\"../../x.jsonl\"}}\n",
    );
    std::fs::write(&input, &data).unwrap();
    let before = tree(tmp.path());
    let run_out = tmp.path().join("out-run");
    let run = run_ok(&preset("fineweb-text"), &[&input], &run_out, &[]);
    run.balanced();
    let dedup = run_ok(&["dedup"], &[&input], &tmp.path().join("out-dedup"), &[]);
    dedup.balanced();
    let exact_out = tmp.path().join("out-exact");
    let exact = run_ok(&["dedup", "--exact"], &[&input], &exact_out, &[]);
    let s = exact.balanced();
    // All six identical texts are one document kept, five dropped, plus "other".
    assert_eq!(s["kept"], 2);
    let after = tree(tmp.path());
    for p in after.difference(&before) {
        assert!(
            [&run, &dedup, &exact].iter().any(|r| p.starts_with(&r.out)),
            "written outside the output directories: {}",
            p.display()
        );
    }
    assert!(!Path::new("/tmp/tamis-hostile-abs").exists());
    // The ids come through unchanged, as data.
    let mut out_ids: Vec<String> = run
        .documents()
        .into_iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    out_ids.sort();
    let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    want.push("../m".into());
    want.sort();
    assert_eq!(out_ids, want);
}

/// Every path under `dir`, recursively.
fn tree(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p);
        }
    }
    out
}

/// One WARC `response` record holding `block`, with `Content-Length` set to `len` (the
/// block's length when `None`).
fn warc_record(id: &str, block: &[u8], len: Option<&str>) -> Vec<u8> {
    let len = len.map_or_else(|| block.len().to_string(), str::to_owned);
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: {id}\r\n\
         WARC-Target-URI: http://hostile.example/{}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n\
         Content-Length: {len}\r\n\r\n",
        id.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// An HTTP response holding an HTML page whose main text is `text`.
fn http_page(text: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><head><title>t</title></head><body><article><p>{text}</p></article></body></html>"
    )
    .into_bytes()
}

/// Writes a pipeline of the extract step alone into `dir`; the command that runs it.
fn extract_only(dir: &Path) -> [OsString; 3] {
    pipeline_run(dir, "[[step]]\ntype = \"extract\"\n")
}

/// Every document's text by id, from `kept/` and `dropped/`.
fn texts_by_id(r: &Run) -> std::collections::BTreeMap<String, String> {
    r.documents()
        .into_iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn hostile_web_archives_are_quarantined_by_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let good = warc_record(
        "<urn:good>",
        &http_page("A good page before the fault."),
        None,
    );
    let after = warc_record(
        "<urn:after>",
        &http_page("A good page after the fault."),
        None,
    );
    let at = good.len() as u64;
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();

    // A record cut short by the end of the file.
    let mut cut = warc_record("<urn:cut>", &http_page("Cut short."), None);
    cut.truncate(cut.len() - 30);
    files.push(("truncated.warc", [good.clone(), cut].concat()));
    // A Content-Length larger than the rest of the file (under the size limit).
    let long = warc_record("<urn:long>", &http_page("Too long."), Some("5000000"));
    files.push(("length-past-end.warc", [good.clone(), long].concat()));
    // Content-Lengths over the record limit and past u64: refused without allocating, and the
    // record after them is still read.
    for (name, len) in [
        ("length-over-limit.warc", "999999999999"),
        ("length-overflow.warc", "99999999999999999999999999999"),
    ] {
        let bad = warc_record("<urn:len>", &http_page("Bad length."), Some(len));
        files.push((name, [good.clone(), bad, after.clone()].concat()));
    }
    // Garbage between two records.
    let garbage = b"\x00\xffnot a record header at all\r\nmore garbage\r\n".to_vec();
    files.push((
        "garbage.warc",
        [good.clone(), garbage, after.clone()].concat(),
    ));
    // Chunked transfer coding that is not: invalid sizes, a size past the end. The body is
    // used as it is (as warcio and browsers do), so it is an ordinary document.
    let chunked =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
        zz\r\n<p>Chunk sizes that are not hex.</p>\r\nfffffffffffffffffffff\r\n"
            .to_vec();
    files.push((
        "bad-chunked.warc",
        [warc_record("<urn:chunked>", &chunked, None), after.clone()].concat(),
    ));
    // A gzip bomb as a record's Content-Encoding: 1 GiB of zeros in about 1 MB (1,024
    // concatenated members of 1 MiB each; gzip readers decode concatenated members as one).
    let member = gzip(&vec![0u8; 1 << 20]);
    let mut bomb =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    for _ in 0..1024 {
        bomb.extend_from_slice(&member);
    }
    files.push((
        "content-encoding-bomb.warc",
        [
            good.clone(),
            warc_record("<urn:bomb>", &bomb, None),
            after.clone(),
        ]
        .concat(),
    ));
    // A path-like record id is data, never a path.
    files.push((
        "path-id.warc",
        warc_record(
            "../../escape",
            &http_page("An id that looks like a path."),
            None,
        ),
    ));
    // Compressed archives: one gzip member per record (as Common Crawl writes them), cut
    // short, or with a corrupt member.
    let members: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            gzip(&warc_record(
                &format!("<urn:gz{i}>"),
                &http_page("Page."),
                None,
            ))
        })
        .collect();
    let whole = members.concat();
    files.push(("cut.warc.gz", whole[..whole.len() - 20].to_vec()));
    let mut corrupt = members.clone();
    let mid = corrupt[2].len() / 2;
    for b in &mut corrupt[2][mid - 8..mid + 8] {
        *b ^= 0x5a;
    }
    files.push(("corrupt.warc.gz", corrupt.concat()));
    files.push(("empty.warc", Vec::new()));
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    let out = tmp.path().join("out");
    let (r, rss) = run_measured(
        &extract_only(tmp.path()),
        &[&dir],
        &out,
        &["--max-record-bytes", "32M"],
    );
    let stderr = r.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_rss_bounded(rss, "hostile web archives (1 GiB content-encoding bomb)");
    let s = r.balanced();
    // Per input file too: the manifest's accounts and checksums hold.
    r.verify();
    let q = r.records("quarantine");
    for r in &q {
        eprintln!(
            "{} @{}: {} ({})",
            r["file"], r["byte_offset"], r["reason"], r["message"]
        );
    }
    let expect = |name: &str, reason: &str, offset: Option<u64>| {
        let f = fault_for(&q, &format!("/{name}"));
        assert_eq!(f["reason"], reason, "{name}: {f}");
        if let Some(offset) = offset {
            assert_eq!(f["byte_offset"], offset, "{name}: {f}");
        }
        assert!(!f["message"].as_str().unwrap().is_empty());
    };
    expect("truncated.warc", "truncated_input", Some(at));
    expect("length-past-end.warc", "truncated_input", Some(at));
    assert!(fault_for(&q, "length-past-end.warc")["message"]
        .as_str()
        .unwrap()
        .contains("of 5000000 bytes"));
    expect("length-over-limit.warc", "invalid_record", Some(at));
    expect("length-overflow.warc", "invalid_record", Some(at));
    expect("garbage.warc", "invalid_record", Some(at));
    expect(
        "content-encoding-bomb.warc",
        "decompressed_too_large",
        Some(at),
    );
    // Offsets in compressed archives are in the decompressed stream: the start of the record
    // that was being read.
    let rec_len = warc_record("<urn:gz0>", &http_page("Page."), None).len() as u64;
    expect("cut.warc.gz", "truncated_input", Some(3 * rec_len));
    expect("corrupt.warc.gz", "decompress_error", None);
    expect("empty.warc", "empty_file", Some(0));
    assert_eq!(s["quarantined"].as_u64().unwrap(), q.len() as u64);
    assert_eq!(q.len(), 9, "no other faults: {q:?}");

    let texts = texts_by_id(&r);
    // Every good record before and after a fault was read: one "good" per file that has it
    // (a map keeps one), the page after each recoverable fault, the chunked and path-like ones.
    assert_eq!(texts["<urn:good>"], "A good page before the fault.");
    assert_eq!(texts["<urn:after>"], "A good page after the fault.");
    assert!(texts["<urn:chunked>"].contains("Chunk sizes that are not hex."));
    assert_eq!(texts["../../escape"], "An id that looks like a path.");
    for i in 0..3 {
        assert!(texts.contains_key(&format!("<urn:gz{i}>")), "{texts:?}");
    }
    let corrupt_at = fault_for(&q, "corrupt.warc.gz")["byte_offset"]
        .as_u64()
        .unwrap();
    assert!(
        corrupt_at >= 2 * rec_len,
        "the records before the damaged member were read"
    );
    let docs = s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap();
    // good: 8 files; after: 5; chunked, path-like; gz: 3 + 2.
    // good: 6 files; after: 5; chunked, path-like; cut.warc.gz: 3; corrupt.warc.gz: 2, or 3
    // when the damage only shows at the member's checksum, after its record was decoded (a
    // gzip reader cannot check a member before streaming it).
    assert!(
        (6 + 5 + 2 + 3 + 2..=6 + 5 + 2 + 3 + 3).contains(&docs),
        "{s}"
    );
    // Nothing was written outside the output directory for the path-like id.
    assert!(!tmp.path().join("escape").exists() && !out.join("../escape").exists());

    // Dedup reads archives the same way (with the default 256 MiB record limit, so the bomb
    // inflates further before it is refused) and quarantines the same faults.
    let (dd, rss) = run_measured(&["dedup"], &[&dir], &tmp.path().join("dedup"), &[]);
    assert_rss_bounded(rss, "hostile web archives, tamis dedup");
    let d = dd.balanced();
    assert_eq!(d["read"], s["read"]);
    assert_eq!(d["quarantined"], s["quarantined"]);
}

#[test]
fn html_with_100k_nested_unclosed_tags_is_extracted() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = "<div><b>".repeat(50_000);
    let deep = "The main text sits under a hundred thousand unclosed tags, deeper than any \
                browser nests, and must still come out as one paragraph of prose.";
    let page = format!("<html><body>{nested}<p>{deep}</p></body></html>");
    // As a JSONL document through the extract step.
    let jsonl = tmp.path().join("nested.jsonl");
    std::fs::write(&jsonl, doc_line("nested", &page)).unwrap();
    let out = tmp.path().join("out-jsonl");
    let (r, rss) = run_measured(&extract_only(tmp.path()), &[&jsonl], &out, &[]);
    assert_rss_bounded(rss, "100k nested tags, extract step");
    let s = r.balanced();
    assert_eq!((s["read"].as_u64(), s["kept"].as_u64()), (Some(1), Some(1)));
    assert_eq!(texts_by_id(&r)["nested"], deep);

    // As a WARC record through the fineweb preset (extract, language, filters).
    let warc = tmp.path().join("nested.warc.gz");
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".to_vec();
    block.extend_from_slice(page.as_bytes());
    std::fs::write(&warc, gzip(&warc_record("<urn:nested>", &block, None))).unwrap();
    let out = tmp.path().join("out-warc");
    let (r, rss) = run_measured(&preset("fineweb"), &[&warc], &out, &[]);
    assert_rss_bounded(rss, "100k nested tags, fineweb");
    let s = r.balanced();
    assert_eq!(s["read"].as_u64(), Some(1), "{s}");
    assert_eq!(s["quarantined"].as_u64(), Some(0), "{s}");
    let extract = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step"] == "extract")
        .expect("fineweb extracts");
    // Extraction found the text (the short page may then fail the quality filters).
    assert_eq!(extract["forwarded"].as_u64(), Some(1), "{s}");

    // As an HTML file through `tamis extract`.
    let html = tmp.path().join("nested.html");
    std::fs::write(&html, &page).unwrap();
    let (o, rss) = tamis_measured(&["extract", html.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_rss_bounded(rss, "100k nested tags, tamis extract");
    let line: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["text"], deep);
}

#[test]
fn tamis_extract_skips_bombs_and_broken_gzip_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    // 200 MiB of HTML from 200 gzip members of 1 MiB each (about 200 KB on disk).
    let member = gzip(&[b"<p>".as_slice(), &vec![b'a'; 1 << 20]].concat());
    let bomb = tmp.path().join("bomb.html.gz");
    std::fs::write(&bomb, member.repeat(200)).unwrap();
    let page = gzip(
        b"<html><body><p>A page cut short.</p></body></html>"
            .repeat(50)
            .as_slice(),
    );
    let cut = tmp.path().join("cut.html.gz");
    std::fs::write(&cut, &page[..page.len() / 2]).unwrap();
    let ok = tmp.path().join("ok.html");
    std::fs::write(&ok, "<html><body><p>A fine page.</p></body></html>").unwrap();
    let (o, rss) = tamis_measured(&[
        "extract",
        bomb.to_str().unwrap(),
        cut.to_str().unwrap(),
        ok.to_str().unwrap(),
    ]);
    assert_rss_bounded(rss, "tamis extract, 200 MiB gzip bomb");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Some pages were skipped: a failure status, each skip named with its cause.
    assert!(!o.status.success(), "{stderr}");
    assert!(
        stderr.contains("bomb.html.gz: more than 16777216 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cut.html.gz: invalid gzip data"),
        "{stderr}"
    );
    assert!(stderr.contains("1 pages extracted, 2 skipped"), "{stderr}");
    let line: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["text"], "A fine page.");
}

#[test]
fn huge_record_of_control_characters_is_written_without_holding_its_json() {
    // 63 MiB of NUL bytes as an HTML body: its JSON line is six times that (`\u0000`), which
    // the writers stream out in pieces instead of building in memory.
    let tmp = tempfile::tempdir().unwrap();
    let member = gzip(&vec![0u8; 1 << 20]);
    let mut block =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    for _ in 0..63 {
        block.extend_from_slice(&member);
    }
    let warc = tmp.path().join("nul.warc");
    std::fs::write(&warc, warc_record("<urn:nul>", &block, None)).unwrap();
    let out = tmp.path().join("out");
    let (r, rss) = run_measured(
        &extract_only(tmp.path()),
        &[&warc],
        &out,
        &["--max-record-bytes", "64M"],
    );
    // The body and its text, not the 380 MB line.
    assert_rss_under(rss, "63 MiB of NULs (a 380 MB JSON line)", 4 * 64);
    let s = r.balanced();
    assert_eq!(s["dropped"].as_u64(), Some(1), "{s}");
    assert_eq!(
        s["steps"][0]["dropped_html_too_large"].as_u64(),
        Some(1),
        "{s}"
    );
    // The dropped file holds the whole line (counted in chunks, not held).
    let f = std::fs::File::open(out.join("dropped/00000.jsonl.zst")).unwrap();
    let mut r = zstd::Decoder::new(f).unwrap();
    let (mut len, mut newlines) = (0usize, 0usize);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut r, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        len += n;
        newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!(newlines, 1);
    assert!(len > 6 * (63 << 20), "{len}");
}

#[test]
fn web_archive_bodies_that_are_not_utf8_are_bounded_by_their_decoded_size() {
    // 48 MiB bodies under a 64 MiB limit: bytes that are not UTF-8 decode to U+FFFD (three
    // bytes each) in a WET record, and to two or three bytes each from windows-1252 in an
    // HTML response, so both texts would pass the limit; the ASCII body fits and becomes the
    // text without a copy.
    let tmp = tempfile::tempdir().unwrap();
    let size = 48u64 << 20;
    let high: Vec<u8> = (0x80..=0xffu8).collect();
    let path = tmp.path().join("bodies.warc");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let head = |kind: &str, id: &str, ctype: &str, len: u64| {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:{id}>\r\n\
             WARC-Target-URI: http://hostile.example/{id}\r\nContent-Type: {ctype}\r\n\
             Content-Length: {len}\r\n\r\n"
        )
    };
    let first = head("conversion", "wet-bytes", "text/plain", size);
    f.write_all(first.as_bytes()).unwrap();
    pump(&mut f, &high, size);
    let http = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>";
    let len = http.len() as u64 + size;
    write!(
        f,
        "\r\n\r\n{}{http}",
        head(
            "response",
            "html-bytes",
            "application/http; msgtype=response",
            len
        )
    )
    .unwrap();
    pump(&mut f, &high, size);
    write!(
        f,
        "\r\n\r\n{}",
        head("conversion", "wet-ascii", "text/plain", size)
    )
    .unwrap();
    pump(&mut f, b"plain words ", size);
    f.write_all(b"\r\n\r\n").unwrap();
    drop(f);
    let (o, rss) = run_measured(
        &["run", "--steps", "pii"],
        &[&path],
        &tmp.path().join("out"),
        &["--max-record-bytes", "64M"],
    );
    let s = o.balanced();
    assert_eq!(
        (s["read"].as_u64(), s["kept"].as_u64()),
        (Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(s["quarantine_reasons"]["text_too_large"], 2, "{s}");
    let q = o.records("quarantine");
    let messages: Vec<&str> = q.iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("from UTF-8"), "{messages:?}");
    assert!(messages[1].contains("from windows-1252"), "{messages:?}");
    let second = first.len() as u64 + size + 4;
    assert_eq!(q[1]["byte_offset"].as_u64(), Some(second), "{q:?}");
    let docs = o.records("kept");
    assert_eq!(docs[0]["text"].as_str().map(str::len), Some(size as usize));
    // A body and little more: neither decoded text (144 MB each) is ever held.
    assert_rss_under(rss, "48 MiB bodies that are not UTF-8", 128);
}

#[test]
fn memory_follows_metadata_not_only_text() {
    // 200 documents of a few bytes of text and 1 MiB of metadata each: batches cut by text
    // alone would hold them all at once.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("meta.jsonl.zst");
    let mut f = zstd::stream::write::Encoder::new(std::fs::File::create(&path).unwrap(), 1)
        .unwrap()
        .auto_finish();
    let blob = "m".repeat(1 << 20);
    for i in 0..200 {
        writeln!(
            f,
            r#"{{"id":"m{i}","text":"short text number {i}","m":"{blob}"}}"#
        )
        .unwrap();
    }
    // Then one 32 MB line of small values: 16 million of them would take over 1 GB parsed.
    f.write_all(br#"{"id":"dense","text":"x","m":["#).unwrap();
    pump(&mut f, b"0,", 32 << 20);
    f.write_all(b"0]}\n").unwrap();
    drop(f);
    let (o, rss) = run_measured(
        &["run", "--steps", "pii"],
        &[&path],
        &tmp.path().join("out"),
        &[],
    );
    let s = o.balanced();
    assert_eq!(
        (s["read"].as_u64(), s["kept"].as_u64()),
        (Some(201), Some(200)),
        "{s}"
    );
    let q = o.records("quarantine");
    assert_eq!(
        (q[0]["reason"].as_str(), q[0]["line"].as_u64()),
        (Some("json_too_large"), Some(201))
    );
    // A few 8 MiB batches and the dense line's buffer, not 200 MiB of documents.
    assert_rss_under(rss, "200 MiB of metadata, tamis run", 128);
    // The dedup job's signature stage batches the same way.
    let (d, rss) = run_measured(&["dedup"], &[&path], &tmp.path().join("dedup"), &[]);
    assert_eq!(d.balanced()["read"], 201);
    assert_rss_under(rss, "200 MiB of metadata, tamis dedup", 160);
}

#[test]
fn a_parquet_page_too_large_to_inflate_refuses_its_row_group_row_by_row() {
    use std::sync::Arc;
    // A writer checks the page size only between batches of values: 48 distinct 1 MiB texts
    // written at once make one 48 MiB page, compressed to a few KB. Then a row group of
    // ordinary rows.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("pages.parquet");
    let filler = "lorem ipsum dolor sit amet ".repeat((1 << 20) / 27);
    let big: arrow_array::StringArray =
        (0..48).map(|i| Some(format!("row {i} {filler}"))).collect();
    let small: arrow_array::StringArray = (0..5).map(|i| Some(format!("small row {i}"))).collect();
    let batch = |a: arrow_array::StringArray| {
        arrow_array::RecordBatch::try_from_iter([("text", Arc::new(a) as arrow_array::ArrayRef)])
            .unwrap()
    };
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_dictionary_enabled(false)
        .build();
    let big = batch(big);
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        big.schema(),
        Some(props),
    )
    .unwrap();
    w.write(&big).unwrap();
    w.flush().unwrap();
    w.write(&batch(small)).unwrap();
    w.close().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 4 << 20);
    let (o, rss) = run_measured(
        &["run", "--steps", "pii"],
        &[&path],
        &tmp.path().join("out"),
        &["--max-record-bytes", "16M"],
    );
    let s = o.balanced();
    assert_eq!(
        (
            s["read"].as_u64(),
            s["kept"].as_u64(),
            s["quarantined"].as_u64()
        ),
        (Some(53), Some(5), Some(48)),
        "{s}"
    );
    let q = o.records("quarantine");
    let lines: Vec<u64> = q.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, (1..=48).collect::<Vec<u64>>());
    let message = q[0]["message"].as_str().unwrap();
    assert!(
        message.contains("row group 0") && message.contains("48 rows"),
        "{message}"
    );
    let kept = o.records("kept");
    assert_eq!(kept[0]["text"], "small row 0");
    assert_eq!(
        kept[0]["id"].as_str().map(|id| id.ends_with("/48")),
        Some(true)
    );
    assert_rss_under(rss, "a 48 MiB Parquet page", 64);
}
