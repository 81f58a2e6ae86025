//! The progress bar of a run: over the input's bytes on disk (compressed files advance as they
//! are consumed), so a single huge file still shows progress and an ETA.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tamis_io::InputFile;

use crate::stats::RunStats;

pub(crate) struct Progress {
    bar: ProgressBar,
    /// Bytes on disk of the input files finished.
    done_bytes: u64,
    start: Instant,
}

impl Progress {
    /// A bar over `files`, of which those before `first` are done; hidden unless `enabled`.
    pub(crate) fn new(enabled: bool, files: &[InputFile], first: usize, start: Instant) -> Self {
        let size = |f: &[InputFile]| f.iter().filter_map(|f| f.size).sum::<u64>();
        let bar = if enabled {
            let bar = ProgressBar::new(size(files));
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} eta {eta}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            done_bytes: size(&files[..first.min(files.len())]),
            start,
        }
    }

    /// `on_disk` bytes of `file` consumed (all of it when `last`).
    pub(crate) fn advance(&mut self, file: &InputFile, on_disk: u64, last: bool, s: &RunStats) {
        let size = file.size.unwrap_or(0);
        if last {
            self.done_bytes += size;
            self.bar.set_position(self.done_bytes);
        } else {
            self.bar.set_position(self.done_bytes + on_disk.min(size));
        }
        self.show(s);
    }

    pub(crate) fn show(&self, s: &RunStats) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!(
            "{} docs  {:.0} docs/s  {:.1} MB/s  kept {}  dropped {}  quarantined {}",
            s.read,
            s.read as f64 / secs,
            s.input_text_bytes as f64 / 1e6 / secs,
            s.kept,
            s.dropped,
            s.quarantined
        ));
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
