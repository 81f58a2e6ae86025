//! One writer per output directory. Two runs writing the same directory interleave their
//! checkpoints and outputs, and one of them can end "successfully" over the other's files
//! (issue 18: 2 of 27 trials lost or duplicated records). A run therefore holds an exclusive
//! advisory lock (`flock`) on `OUT/.tamis.lock` for its whole life. The operating system drops
//! the lock when the process dies, however it dies, so a killed run leaves no stale lock (its
//! file stays, unlocked, and the next run takes it). A run that ends removes the file while
//! still holding the lock, so finished outputs hold nothing but outputs; a process that locked
//! the file just before it was removed sees that the path no longer names what it locked, and
//! tries again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::{FileExt, TryLockError};

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = ".tamis.lock";

/// Held for as long as it lives; dropping it removes the lock file and releases the
/// directory (the process ending releases it too).
#[derive(Debug)]
pub struct DirLock {
    file: Option<File>,
    path: PathBuf,
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed before the lock is released: see the module's documentation.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
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
    // A few tries: each is lost only to a run that ended (and removed the file) meanwhile.
    for _ in 0..8 {
        if let Some(lock) = try_lock_dir(dir)? {
            return Ok(lock);
        }
    }
    Err(LockError::Io {
        path: dir.join(LOCK_FILE),
        source: std::io::Error::other("the lock file keeps being replaced"),
    })
}

/// One attempt: `Ok(None)` when the file locked was removed before it could be checked.
fn try_lock_dir(dir: &Path) -> Result<Option<DirLock>, LockError> {
    use std::os::unix::fs::MetadataExt;
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
    // The path must still name the file locked: a run that ended may have removed it.
    let locked = file.metadata().map_err(io)?;
    match std::fs::metadata(&path) {
        Ok(now) if (now.dev(), now.ino()) == (locked.dev(), locked.ino()) => {}
        _ => return Ok(None),
    }
    // Say who holds it, for the error message of the next one to try.
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(Some(DirLock {
        file: Some(file),
        path,
    }))
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
        assert!(
            !dir.join(LOCK_FILE).exists(),
            "a released lock leaves no file"
        );
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
