use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::spec::StepTally;

/// One step's line in `stats.json`: `total`, `forwarded`, `dropped`, `dropped_<reason>` and the
/// step's own counters, named as datatrove names them, plus wall time summed over threads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepStats {
    pub step: String,
    #[serde(flatten)]
    pub counters: Map<String, Value>,
    pub time_s: f64,
}

impl StepStats {
    pub(crate) fn from_tally(step: &str, t: &StepTally) -> Self {
        let counters = t
            .counters
            .iter()
            .map(|(k, v)| (k.to_owned(), Value::from(v)))
            .collect();
        Self {
            step: step.into(),
            counters,
            time_s: t.nanos as f64 / 1e9,
        }
    }

    pub fn get(&self, key: &str) -> u64 {
        self.counters.get(key).and_then(Value::as_u64).unwrap_or(0)
    }
}

/// `stats.json`: every record read ends up kept, dropped or quarantined, and
/// `read == kept + dropped + quarantined` always holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunStats {
    /// Records read: documents parsed plus faults reported in their place.
    pub read: u64,
    pub kept: u64,
    pub dropped: u64,
    pub quarantined: u64,
    /// Quarantined records by reason.
    pub quarantine_reasons: BTreeMap<String, u64>,
    pub input_files: u64,
    /// UTF-8 bytes of document text read.
    pub input_text_bytes: u64,
    pub steps: Vec<StepStats>,
    pub threads: usize,
    pub elapsed_s: f64,
    /// Why the run stopped early, if it did (`max_errors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The config fingerprint (see [`crate::PipelineSpec::fingerprint`]).
    #[serde(default)]
    pub tamis_config: String,
    #[serde(default)]
    pub tamis_version: String,
}

impl RunStats {
    /// The stats of a run about to read `input_files` files, nothing counted yet.
    pub(crate) fn start(
        input_files: usize,
        steps: Vec<StepStats>,
        threads: usize,
        fingerprint: &str,
    ) -> Self {
        Self {
            read: 0,
            kept: 0,
            dropped: 0,
            quarantined: 0,
            quarantine_reasons: BTreeMap::new(),
            input_files: input_files as u64,
            input_text_bytes: 0,
            steps,
            threads,
            elapsed_s: 0.0,
            stopped: None,
            tamis_config: fingerprint.to_owned(),
            tamis_version: crate::VERSION.to_owned(),
        }
    }

    pub fn balanced(&self) -> bool {
        self.read == self.kept + self.dropped + self.quarantined
    }

    /// The end-of-run summary table.
    pub fn summary_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let mb = self.input_text_bytes as f64 / 1e6;
        let _ = writeln!(
            s,
            "read {} records ({:.1} MB of text) from {} files in {:.2}s ({:.0} docs/s, {:.1} MB/s, {} threads)",
            self.read,
            mb,
            self.input_files,
            self.elapsed_s,
            self.read as f64 / self.elapsed_s.max(1e-9),
            mb / self.elapsed_s.max(1e-9),
            self.threads
        );
        let _ = writeln!(
            s,
            "{:<24} {:>10} {:>10} {:>9}  top reasons",
            "step", "in", "dropped", "time s"
        );
        for st in &self.steps {
            let mut reasons: Vec<(&str, u64)> = st
                .counters
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("dropped_")?, v.as_u64()?)))
                .collect();
            reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = reasons
                .iter()
                .take(3)
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            let _ = writeln!(
                s,
                "{:<24} {:>10} {:>10} {:>9.2}  {}",
                st.step,
                st.get("total"),
                st.get("dropped"),
                st.time_s,
                top.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "kept {} + dropped {} + quarantined {} = {} {} read {}",
            self.kept,
            self.dropped,
            self.quarantined,
            self.kept + self.dropped + self.quarantined,
            if self.balanced() { "==" } else { "!=" },
            self.read
        );
        if !self.quarantine_reasons.is_empty() {
            let q: Vec<String> = self
                .quarantine_reasons
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            let _ = writeln!(s, "quarantined: {}", q.join(", "));
        }
        s
    }
}
