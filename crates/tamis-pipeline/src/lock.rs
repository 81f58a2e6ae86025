//! One writer per output directory. Two runs writing the same directory interleave their
//! checkpoints and outputs, and one of them can end "successfully" over the other's files
//! (issue 18: 2 of 27 trials lost or duplicated records). A run therefore holds an exclusive
//! advisory lock (`flock`) on `OUT/.tamis.lock` for its whole life. The operating system drops
//! the lock when the process dies, however it dies, so a killed run leaves no stale lock: the
//! file stays (removing it would race with a process opening it) and the next run takes it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::{FileExt, TryLockError};

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = ".tamis.lock";

/// Held for as long as it lives; dropping it (or the process ending) releases the directory.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{dir} is being written by another tamis process ({holder}); wait for it to finish or \
         stop it, then rerun (a stopped run resumes)"
    )]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Takes `dir`'s lock (creating `dir` if needed), or says who holds it.
pub fn lock_dir(dir: &Path) -> Result<DirLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    // Called through the trait: std's own `File::try_lock` is newer than our minimum Rust.
    match FileExt::try_lock(&file) {
        Ok(()) => {}
        Err(TryLockError::Error(e)) => return Err(io(e)),
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "pid unknown".to_owned(),
                pid => format!("pid {pid}"),
            };
            return Err(LockError::Held {
                dir: dir.to_path_buf(),
                holder,
            });
        }
    }
    // Say who holds it, for the error message of the next one to try.
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DirLock { _file: file })
}

/// Removes the temporary files (`.NAME.tmp-PID`) that writers killed mid-write left in `dir`
/// and its direct subdirectories. Called with the directory's lock held, so no live process
/// is writing them.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        match e.file_type() {
            Ok(t) if t.is_dir() && !name.starts_with('.') => {
                if let Ok(sub) = std::fs::read_dir(&path) {
                    for f in sub.flatten() {
                        let n = f.file_name().to_string_lossy().into_owned();
                        if is_stale_temp(&n) && f.file_type().is_ok_and(|t| t.is_file()) {
                            let _ = std::fs::remove_file(f.path());
                        }
                    }
                }
            }
            Ok(t) if t.is_file() && is_stale_temp(&name) => {
                let _ = std::fs::remove_file(&path);
            }
            _ => {}
        }
    }
}

/// `.NAME.tmp-PID`, as `write_json_atomic` names its temporary files.
fn is_stale_temp(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let first = lock_dir(&dir).unwrap();
        let err = lock_dir(&dir).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        let _again = lock_dir(&dir).unwrap();
    }

    #[test]
    fn only_writers_temporary_files_are_stale() {
        for (name, stale) in [
            ("..checkpoint.json.tmp-4242", true),
            (".stats.json.tmp-1", true),
            (".00000.jsonl.zst.partial", false),
            ("stats.json", false),
            (".x.tmp-", false),
            (".x.tmp-12a", false),
        ] {
            assert_eq!(is_stale_temp(name), stale, "{name}");
        }
    }
}
