//! A test hook for killing a run at a known point of its work.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable that arms [`stop_point`]: `NAME:N:FILE`.
pub const STOP_ENV: &str = "TAMIS_TEST_STOP";

/// When `TAMIS_TEST_STOP` is `NAME:N:FILE`, the N-th pass (counting from 1) through
/// `stop_point(NAME)` creates FILE and then waits forever, so that a test can SIGKILL the
/// process exactly there (polling the file system for a state cannot hit the short windows of
/// a run's last stages). Unset, as outside such tests, it costs one load of a cached `None`.
pub fn stop_point(name: &str) {
    static ARMED: OnceLock<Option<(String, u64, PathBuf)>> = OnceLock::new();
    static PASSES: AtomicU64 = AtomicU64::new(0);
    let armed = ARMED.get_or_init(|| {
        let v = std::env::var(STOP_ENV).ok()?;
        let mut it = v.splitn(3, ':');
        let point = it.next()?.to_owned();
        let n = it.next()?.parse().ok()?;
        Some((point, n, PathBuf::from(it.next()?)))
    });
    let Some((point, n, file)) = armed else {
        return;
    };
    if point == name && PASSES.fetch_add(1, Ordering::SeqCst) + 1 == *n {
        let _ = std::fs::write(file, name);
        loop {
            std::thread::park();
        }
    }
}
