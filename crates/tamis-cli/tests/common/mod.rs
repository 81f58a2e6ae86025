//! Helpers shared by the end-to-end tests (each test binary uses some of them).
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tamis binary under test, not yet started.
pub fn tamis_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tamis"))
}

/// Runs tamis with `args` (`&str`s or `String`s).
pub fn tamis<S: AsRef<OsStr>>(args: &[S]) -> Output {
    tamis_command().args(args).output().expect("run tamis")
}

/// Runs tamis and asserts it succeeded, showing its stderr if not.
pub fn tamis_ok<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let o = tamis(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Runs tamis with `args` under a file-size limit of `blocks` (`ulimit -f`), so a write
/// past it fails with EFBIG the way a full disk fails one (the signal it would raise is
/// ignored, so the write returns the error).
pub fn tamis_with_file_limit<S: AsRef<OsStr>>(blocks: u32, args: &[S]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_tamis"))
        .args(args)
        .output()
        .unwrap()
}

/// `run --preset NAME`, a command for [`run_ok`] and [`try_run`].
pub fn preset(name: &str) -> [&str; 3] {
    ["run", "--preset", name]
}

/// `run --steps IDS`, a command for [`run_ok`] and [`try_run`].
pub fn steps(ids: &str) -> [&str; 3] {
    ["run", "--steps", ids]
}

/// `CMD... INPUTS... -o OUT EXTRA...`: how every command that writes an output directory
/// (`run`, `dedup`) is called here. `cmd` is the command and what it runs, e.g.
/// [`preset`]`("fineweb-text")` or `["dedup", "--exact"]`.
pub fn out_args<S: AsRef<OsStr>>(
    cmd: &[S],
    inputs: &[&Path],
    out: &Path,
    extra: &[&str],
) -> Vec<OsString> {
    let mut a: Vec<OsString> = cmd.iter().map(|s| s.as_ref().to_owned()).collect();
    a.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    a.extend(["-o".into(), out.as_os_str().to_owned()]);
    a.extend(extra.iter().map(OsString::from));
    a
}

/// Runs `tamis CMD... INPUTS... -o OUT EXTRA...` (see [`out_args`]) and asserts it succeeded.
pub fn run_ok<S: AsRef<OsStr>>(cmd: &[S], inputs: &[&Path], out: &Path, extra: &[&str]) -> Run {
    let run = try_run(cmd, inputs, out, extra);
    assert!(run.output.status.success(), "{}", run.stderr());
    run
}

/// Runs `tamis CMD... INPUTS... -o OUT EXTRA...` (see [`out_args`]), whatever its outcome.
pub fn try_run<S: AsRef<OsStr>>(cmd: &[S], inputs: &[&Path], out: &Path, extra: &[&str]) -> Run {
    Run {
        out: out.to_path_buf(),
        output: tamis(&out_args(cmd, inputs, out, extra)),
    }
}

/// Writes `toml` to `dir/p.toml` and returns the command that runs it:
/// `["run", "--pipeline", "dir/p.toml"]`.
pub fn pipeline_run(dir: &Path, toml: &str) -> [OsString; 3] {
    let p = dir.join("p.toml");
    std::fs::write(&p, toml).unwrap();
    ["run".into(), "--pipeline".into(), p.into()]
}

/// A finished tamis process and the output directory it was given.
pub struct Run {
    pub out: PathBuf,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn stats(&self) -> Value {
        stats(&self.out)
    }

    /// The stats, after asserting `read = kept + dropped + quarantined`.
    pub fn balanced(&self) -> Value {
        balanced(&self.out)
    }

    /// The records of one output file, e.g. `kept/00000.jsonl.zst`.
    pub fn jsonl(&self, file: &str) -> Vec<Value> {
        jsonl_zst(&self.out.join(file))
    }

    /// Every record of every file directly in `sub` (`kept`, `dropped`, `quarantine`), in
    /// file order; none when it does not exist.
    pub fn records(&self, sub: &str) -> Vec<Value> {
        records(&self.out.join(sub))
    }

    /// Every document written: the records of `kept/`, then those of `dropped/`.
    pub fn documents(&self) -> Vec<Value> {
        let mut docs = self.records("kept");
        docs.extend(self.records("dropped"));
        docs
    }

    /// The files directly in `sub`, by name, with their bytes.
    pub fn files(&self, sub: &str) -> Vec<(String, Vec<u8>)> {
        read_dir_bytes(&self.out.join(sub))
    }

    /// Asserts `tamis verify` passes on the output directory.
    pub fn verify(&self) -> Output {
        tamis_ok(&[OsStr::new("verify"), self.out.as_os_str()])
    }
}

/// Records the checkpoint of an interrupted run in `out` says it has read, 0 when there is
/// none yet.
pub fn checkpointed_reads(out: &Path) -> u64 {
    std::fs::read_to_string(out.join(".checkpoint.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["stats"]["read"].as_u64())
        .unwrap_or(0)
}

pub fn stats(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap()
}

/// The ids of a run's steps, in order, from its stats.
pub fn step_ids(stats: &Value) -> Vec<&str> {
    stats["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect()
}

/// Asserts `read = kept + dropped + quarantined` and returns the stats.
pub fn balanced(out: &Path) -> Value {
    let s = stats(out);
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("no {k} in {s}"));
    assert_eq!(
        n("read"),
        n("kept") + n("dropped") + n("quarantined"),
        "{s}"
    );
    s
}

/// Every file directly in `dir`, by name, with its bytes.
pub fn read_dir_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

pub fn jsonl_zst(path: &Path) -> Vec<Value> {
    let text = zstd::decode_all(std::fs::File::open(path).unwrap()).unwrap();
    String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every record of every `.jsonl.zst` file directly in `dir`, in file order; none when `dir`
/// does not exist.
pub fn records(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().flat_map(|f| jsonl_zst(f)).collect()
}

/// One gzip member holding a WARC/1.0 `response` record: an HTTP 200 with `html` as UTF-8
/// HTML, for `url`, with record id `<urn:uuid:{id}>`.
pub fn warc_response_gz(id: &str, url: &str, html: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n".to_vec();
    block.extend_from_slice(html);
    let head = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
         WARC-Target-URI: {url}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n\
         Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        block.len()
    );
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(head.as_bytes()).unwrap();
    e.write_all(&block).unwrap();
    e.write_all(b"\r\n\r\n").unwrap();
    e.finish().unwrap()
}
