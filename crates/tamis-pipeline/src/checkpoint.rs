//! What `tamis run` keeps on disk to resume and to account for itself: the checkpoint
//! (`OUT/.checkpoint.json`, rewritten atomically after every durable step and removed when the
//! run is complete) and the manifest (`OUT/manifest.json`, written at the end).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tamis_io::{InputFile, PartState};

use crate::options::{RunError, RunOptions};
use crate::stats::RunStats;

pub(crate) const CHECKPOINT: &str = ".checkpoint.json";
pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const INPUT_LOG: &str = ".checkpoint-inputs.jsonl";
/// Checkpoint layout version; a checkpoint of another version is not resumed.
const FORMAT: u32 = 1;

/// Everything besides the pipeline that decides the output bytes. A resumed run must match it
/// exactly, or its outputs would differ from an uninterrupted run's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunKey {
    /// Input files in reading order with their sizes: the count and a SHA-256 of the list,
    /// so checkpoints stay small for runs over many files.
    pub inputs: String,
    pub compression: String,
    pub checkpoint_every: u64,
    pub max_file_bytes: u64,
    pub max_record_bytes: usize,
    pub max_decompressed_bytes: Option<u64>,
    pub zstd_window_log_max: u32,
    pub text_key: String,
    pub id_key: String,
    pub add_file_path: bool,
    /// `--format`; absent in checkpoints of versions without it, which wrote JSONL.
    #[serde(default = "jsonl")]
    pub format: String,
    /// `--output-template`.
    #[serde(default)]
    pub output_template: Option<String>,
    /// `--report`: a run resumed with it must have accumulated the report from the start.
    #[serde(default)]
    pub report: bool,
}

fn jsonl() -> String {
    "jsonl".to_owned()
}

impl RunKey {
    pub fn new(files: &[InputFile], opts: &RunOptions) -> Self {
        let r = &opts.read;
        Self {
            inputs: {
                let list: Vec<(String, Option<u64>)> =
                    files.iter().map(|f| (f.display_path(), f.size)).collect();
                let json = serde_json::to_string(&list).unwrap_or_default();
                let digest = Sha256::digest(json.as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                format!("{} files, sha256 {hex}", files.len())
            },
            compression: opts.compression.name().to_owned(),
            checkpoint_every: opts.checkpoint_every,
            max_file_bytes: opts.max_file_bytes,
            max_record_bytes: r.max_record_bytes,
            max_decompressed_bytes: r.max_decompressed_bytes,
            zstd_window_log_max: r.zstd_window_log_max,
            text_key: r.text_key.clone(),
            id_key: r.id_key.clone(),
            add_file_path: r.add_file_path,
            format: opts.format.name().to_owned(),
            output_template: opts.output_template.as_ref().map(|t| t.as_str().to_owned()),
            report: opts.report,
        }
    }

    /// What differs from `other` first, named as the user sets it, for the error message.
    pub fn first_difference(&self, other: &RunKey) -> Option<&'static str> {
        let a = serde_json::to_value(self).unwrap_or_default();
        let b = serde_json::to_value(other).unwrap_or_default();
        const FIELDS: [(&str, &str); 13] = [
            ("inputs", "list of input files (or their sizes)"),
            ("compression", "--compression"),
            ("checkpoint_every", "--checkpoint-every"),
            ("max_file_bytes", "output file size"),
            ("max_record_bytes", "--max-record-bytes"),
            ("max_decompressed_bytes", "--max-decompressed-bytes"),
            ("zstd_window_log_max", "zstd window limit"),
            ("text_key", "text key"),
            ("id_key", "id key"),
            ("add_file_path", "file_path setting"),
            ("format", "--format"),
            ("output_template", "--output-template"),
            ("report", "--report"),
        ];
        FIELDS
            .into_iter()
            .find(|(f, _)| a[f] != b[f])
            .map(|(_, label)| label)
    }
}

/// One finished output file of a rolling sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClosedFile {
    pub name: String,
    pub records: u64,
    /// Size and SHA-256, hashed while writing (absent in checkpoints of older versions).
    #[serde(default)]
    pub digest: Option<(u64, String)>,
}

/// Size and SHA-256 of output files already known, by path relative to the run.
pub(crate) type Digests = BTreeMap<String, (u64, String)>;

/// A rolling writer's state at a checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SavedRoll {
    pub index: usize,
    pub written: u64,
    pub current: Option<PartState>,
    pub closed: Vec<ClosedFile>,
}

/// A step's counters and time at a checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SavedTally {
    pub counters: BTreeMap<String, u64>,
    pub nanos: u128,
    #[serde(default)]
    pub bytes: [u64; 3],
}

/// `OUT/.checkpoint.json`: the run's state when every output was last made durable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub format: u32,
    pub fingerprint: String,
    pub key: RunKey,
    /// Index of the input file being read, and how many of its records were consumed.
    pub file: usize,
    pub record: u64,
    /// Every input was read and every output ended; only renames and the manifest remain.
    pub done: bool,
    pub stats: RunStats,
    pub steps: Vec<SavedTally>,
    /// Accounts of the input files before `file`, in the input log up to `inputs_log_len`.
    pub inputs_logged: usize,
    pub inputs_log_len: u64,
    /// The account of input `file` so far (later files have read nothing yet).
    pub current_input: Option<InputAccount>,
    /// `kept`, `dropped`, `quarantine`, in that order.
    pub outputs: Vec<SavedRoll>,
    /// The report's data so far (`--report`), so a resumed run's report equals an
    /// uninterrupted one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<tamis_report::ReportData>>,
}

impl Checkpoint {
    pub fn new_format() -> u32 {
        FORMAT
    }

    pub fn load(dir: &Path) -> Result<Option<Checkpoint>, RunError> {
        let path = dir.join(CHECKPOINT);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(RunError::OutputDir { path, source }),
        };
        let c: Checkpoint = serde_json::from_str(&text).map_err(|e| RunError::Resume {
            dir: dir.to_path_buf(),
            message: format!("{} is unreadable ({e})", path.display()),
        })?;
        if c.format != FORMAT {
            return Err(RunError::Resume {
                dir: dir.to_path_buf(),
                message: format!("{} has format {}, not {FORMAT}", path.display(), c.format),
            });
        }
        Ok(Some(c))
    }

    pub fn save(&self, dir: &Path) -> Result<(), RunError> {
        write_json_atomic(&dir.join(CHECKPOINT), self, true)?;
        tamis_io::stop_point("checkpoint_saved");
        Ok(())
    }
}

/// `OUT/.checkpoint-inputs.jsonl`: the accounts of finished input files, appended as the run
/// passes them, so a checkpoint never rewrites the accounts of every file read so far.
pub(crate) struct InputLog {
    path: PathBuf,
    out: BufWriter<File>,
    logged: usize,
}

impl InputLog {
    pub fn create(dir: &Path) -> Result<Self, RunError> {
        let path = dir.join(INPUT_LOG);
        let f = File::create(&path).map_err(|source| RunError::OutputDir {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            out: BufWriter::new(f),
            logged: 0,
        })
    }

    /// Reopens the log at a checkpoint's length; returns the accounts it holds there.
    pub fn resume(
        dir: &Path,
        len: u64,
        logged: usize,
    ) -> Result<(Self, Vec<InputAccount>), RunError> {
        let path = dir.join(INPUT_LOG);
        let io = |source| RunError::OutputDir {
            path: path.clone(),
            source,
        };
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        f.set_len(len).map_err(io)?;
        let mut accounts = Vec::with_capacity(logged);
        for line in BufReader::new(&f).lines() {
            let line = line.map_err(io)?;
            let a = serde_json::from_str(&line).map_err(|e| RunError::Resume {
                dir: dir.to_path_buf(),
                message: format!("{} is unreadable ({e})", path.display()),
            })?;
            accounts.push(a);
        }
        if accounts.len() != logged {
            return Err(RunError::Resume {
                dir: dir.to_path_buf(),
                message: format!(
                    "{} holds {} accounts, the checkpoint says {logged}",
                    path.display(),
                    accounts.len()
                ),
            });
        }
        let mut f = f;
        f.seek(SeekFrom::End(0)).map_err(io)?;
        let log = Self {
            path: path.clone(),
            out: BufWriter::new(f),
            logged,
        };
        Ok((log, accounts))
    }

    /// Appends the accounts of `inputs[logged..upto]`, fsyncs, and returns how many accounts
    /// the log holds and its length.
    pub fn sync(&mut self, inputs: &[InputAccount], upto: usize) -> Result<(usize, u64), RunError> {
        let io = |source| RunError::OutputDir {
            path: self.path.clone(),
            source,
        };
        for a in inputs.get(self.logged..upto).unwrap_or_default() {
            let line = serde_json::to_string(a).unwrap_or_default();
            writeln!(self.out, "{line}").map_err(io)?;
        }
        self.logged = self.logged.max(upto);
        self.out.flush().map_err(io)?;
        self.out.get_ref().sync_data().map_err(io)?;
        let len = self.out.get_ref().metadata().map_err(io)?.len();
        Ok((self.logged, len))
    }
}

/// Per input file: what was read from it and where it went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputAccount {
    pub path: String,
    /// Size on disk, when known.
    pub size: Option<u64>,
    pub read: u64,
    pub kept: u64,
    pub dropped: u64,
    pub quarantined: u64,
    /// Dropped documents by step and reason (`filter_step` -> `filter_reason` -> count).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dropped_by: BTreeMap<String, BTreeMap<String, u64>>,
    /// Quarantined records by reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quarantine_reasons: BTreeMap<String, u64>,
}

impl InputAccount {
    pub fn balanced(&self) -> bool {
        self.read == self.kept + self.dropped + self.quarantined
    }
}

/// One output file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Relative to the output directory, e.g. `kept/00000.jsonl.zst`.
    pub path: String,
    /// JSONL records (lines) in the file.
    pub records: u64,
    /// Size on disk.
    pub bytes: u64,
    /// SHA-256 of the bytes on disk, hex.
    pub sha256: String,
}

/// `OUT/manifest.json`: the run's accounting, deterministic (no timings), so an interrupted
/// and resumed run writes the same manifest as an uninterrupted one. `tamis verify` rechecks
/// it against the files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tamis_version: String,
    /// The config fingerprint (see [`crate::PipelineSpec::fingerprint`]).
    pub fingerprint: String,
    /// `zstd`, `gzip` or `none`, for every output file.
    pub compression: String,
    pub read: u64,
    pub kept: u64,
    pub dropped: u64,
    pub quarantined: u64,
    /// Per input file, in reading order. Empty for pipelines with dedup steps, whose later
    /// phases no longer know which input a document came from.
    pub inputs: Vec<InputAccount>,
    pub outputs: Vec<OutputFile>,
}

impl Manifest {
    pub(crate) fn save(&self, dir: &Path) -> Result<(), RunError> {
        write_json_atomic(&dir.join(MANIFEST), self, false)
    }

    /// The manifest of a finished run: `stats` totals, every file under `kept/`, `dropped/`
    /// and `quarantine/` with its checksum.
    pub(crate) fn build(
        dir: &Path,
        fingerprint: &str,
        compression: &str,
        stats: &RunStats,
        inputs: Vec<InputAccount>,
        records: &BTreeMap<String, u64>,
        known: &Digests,
    ) -> Result<Manifest, RunError> {
        // Files not hashed while written are read again, several at once.
        let outputs = records
            .par_iter()
            .map(|(rel, &n)| {
                let path = dir.join(rel);
                let (bytes, sha256) = match known.get(rel) {
                    Some(d) => d.clone(),
                    None => checksum(&path).map_err(|source| RunError::OutputDir {
                        path: path.clone(),
                        source,
                    })?,
                };
                Ok(OutputFile {
                    path: rel.clone(),
                    records: n,
                    bytes,
                    sha256,
                })
            })
            .collect::<Result<Vec<_>, RunError>>()?;
        Ok(Manifest {
            tamis_version: crate::VERSION.to_owned(),
            fingerprint: fingerprint.to_owned(),
            compression: compression.to_owned(),
            read: stats.read,
            kept: stats.kept,
            dropped: stats.dropped,
            quarantined: stats.quarantined,
            inputs,
            outputs,
        })
    }
}

/// Size and SHA-256 (hex) of a file.
pub(crate) fn checksum(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, h.finalize().iter().map(|b| format!("{b:02x}")).collect()))
}

/// Writes `v` as pretty JSON through a hidden temp file and a rename, so a crash leaves the
/// old file or the new one, never half of one; `sync` also fsyncs it first (for checkpoints,
/// which must not point past data that is not yet on disk).
pub(crate) fn write_json_atomic<T: Serialize>(
    path: &Path,
    v: &T,
    sync: bool,
) -> Result<(), RunError> {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        if sync {
            f.sync_data()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
        if sync {
            tamis_io::sync_parent(path);
        }
        Ok(())
    })();
    res.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        RunError::OutputDir {
            path: path.to_path_buf(),
            source,
        }
    })
}
