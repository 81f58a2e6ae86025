use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tamis_core::{ConfigError, Counters, Ctx, DocCache, Document, Step, Verdict};

/// A pipeline file: `[[step]]` tables, each with a `type` (a registered step id) and that
/// step's parameters; parameters left out take the reference tool's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    #[serde(rename = "step", default)]
    pub steps: Vec<StepSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSpec {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read pipeline file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("pipeline file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("unknown preset `{0}` (known: {1})")]
    UnknownPreset(String, String),
    #[error("preset `{0}` is now called `{1}` (see `tamis filters`)")]
    RenamedPreset(String, &'static str),
    #[error("step {index} has unknown type `{kind}` (see `tamis filters`)")]
    UnknownStep { index: usize, kind: String },
    #[error("unknown step `{0}` (valid steps: {1})")]
    UnknownStepId(String, String),
    #[error("the pipeline has no steps")]
    Empty,
    #[error("--set {0}: {1}")]
    Set(String, String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A named pipeline compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    /// What it reads, for `tamis filters`.
    pub input: &'static str,
    /// Its pipeline file.
    pub toml: &'static str,
}

const PRESETS: &[Preset] = &[
    Preset {
        name: "fineweb",
        input: "web archives",
        toml: include_str!("../presets/fineweb.toml"),
    },
    Preset {
        name: "fineweb-clean",
        input: "web archives",
        toml: include_str!("../presets/fineweb-clean.toml"),
    },
    Preset {
        name: "fineweb-text",
        input: "extracted text",
        toml: include_str!("../presets/fineweb-text.toml"),
    },
    Preset {
        name: "fineweb-en",
        input: "extracted text",
        toml: include_str!("../presets/fineweb-en.toml"),
    },
    Preset {
        name: "fineweb-2",
        input: "web archives (needs --set language#2.model=GLOTLID_MODEL)",
        toml: include_str!("../presets/fineweb-2.toml"),
    },
    Preset {
        name: "fineweb-2-text",
        input: "extracted text labelled by GlotLID",
        toml: include_str!("../presets/fineweb-2-text.toml"),
    },
    Preset {
        name: "clean",
        input: "extracted text",
        toml: include_str!("../presets/clean.toml"),
    },
];

/// Former preset names and what they are called now: a run with an old name is refused with
/// the new one rather than silently running another pipeline.
const RENAMED: &[(&str, &str)] = &[("fineweb-warc", "fineweb")];

/// Named presets and their pipeline files.
pub fn presets() -> &'static [Preset] {
    PRESETS
}

pub fn preset(name: &str) -> Result<PipelineSpec, SpecError> {
    if let Some((_, now)) = RENAMED.iter().find(|(old, _)| *old == name) {
        return Err(SpecError::RenamedPreset(name.into(), now));
    }
    let p = PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let known = PRESETS
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ");
        SpecError::UnknownPreset(name.into(), known)
    })?;
    PipelineSpec::from_toml(p.toml, &format!("preset:{name}"))
}

impl PipelineSpec {
    /// A pipeline of the given step ids, in order, each with its default parameters (`tamis run
    /// --steps`). Dedup steps are allowed; an unknown id is refused with the list of valid ones.
    pub fn from_step_ids<S: AsRef<str>>(ids: &[S]) -> Result<Self, SpecError> {
        let valid: Vec<&str> = crate::step_registry()
            .map(|e| e.id)
            .chain(tamis_dedup::DEDUP_STEP_IDS)
            .collect();
        let steps = ids
            .iter()
            .map(|id| {
                let id = id.as_ref().trim();
                if !valid.contains(&id) {
                    return Err(SpecError::UnknownStepId(id.into(), valid.join(", ")));
                }
                Ok(StepSpec {
                    kind: id.into(),
                    params: serde_json::Map::new(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if steps.is_empty() {
            return Err(SpecError::Empty);
        }
        Ok(Self { steps })
    }

    pub fn from_toml(text: &str, origin: &str) -> Result<Self, SpecError> {
        toml::from_str(text).map_err(|e| SpecError::Parse {
            path: origin.into(),
            message: e.to_string(),
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Overrides one step parameter, as `tamis run --set STEP.PARAM=VALUE` does: `STEP` is a
    /// step type present once in the pipeline, or `TYPE#N` for its N-th occurrence (1-based);
    /// `VALUE` is read as a TOML value (`0.5`, `true`, `["en", "fr"]`, `"text"`), or taken as
    /// a string when it is not one (a path needs no quotes). Unknown steps and ambiguous types
    /// are refused naming what is there; the parameter itself is checked when the pipeline is
    /// built, like any other.
    pub fn set(&mut self, assignment: &str) -> Result<(), SpecError> {
        let err = |m: String| SpecError::Set(assignment.to_string(), m);
        let (target, value) = assignment
            .split_once('=')
            .ok_or_else(|| err("expected STEP.PARAM=VALUE".into()))?;
        let (step, param) = target
            .trim()
            .rsplit_once('.')
            .filter(|(s, p)| !s.is_empty() && !p.is_empty())
            .ok_or_else(|| err("expected STEP.PARAM=VALUE".into()))?;
        let (kind, nth) = match step.split_once('#') {
            Some((k, n)) => match n.parse::<usize>() {
                Ok(n) if n >= 1 => (k, Some(n)),
                _ => return Err(err(format!("`{n}` is not a step number (1, 2, ...)"))),
            },
            None => (step, None),
        };
        let matching: Vec<usize> = (0..self.steps.len())
            .filter(|&i| self.steps[i].kind == kind)
            .collect();
        let listed = || {
            self.steps
                .iter()
                .map(|s| s.kind.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let index = match (nth, matching.len()) {
            (_, 0) => {
                return Err(err(format!(
                    "the pipeline has no `{kind}` step (it has: {})",
                    listed()
                )))
            }
            (None, 1) => matching[0],
            (None, n) => {
                return Err(err(format!(
                    "the pipeline has {n} `{kind}` steps: say which, as `{kind}#1` to `{kind}#{n}`"
                )))
            }
            (Some(k), n) if k > n => {
                return Err(err(format!(
                    "the pipeline has {n} `{kind}` step{}",
                    if n == 1 { "" } else { "s" }
                )))
            }
            (Some(k), _) => matching[k - 1],
        };
        let value = value.trim();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or_else(|| serde_json::Value::String(value.to_string()));
        self.steps[index].params.insert(param.to_string(), parsed);
        Ok(())
    }

    /// The config fingerprint: 16 hex digits of the SHA-256 of the resolved pipeline (each
    /// step's defaults overlaid with its parameters, keys sorted) and the tamis version. Two
    /// runs with the same fingerprint make the same decisions; it is stamped into outputs as
    /// `metadata.tamis_config`, `stats.json` and `manifest.json`.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let steps: Vec<serde_json::Value> = self
            .steps
            .iter()
            .map(|s| {
                let mut resolved = crate::lookup_step(&s.kind)
                    .and_then(|e| (e.defaults)().as_object().cloned())
                    .unwrap_or_default();
                resolved.extend(s.params.clone());
                resolved.insert("type".into(), s.kind.clone().into());
                canonical(serde_json::Value::Object(resolved))
            })
            .collect();
        let doc = serde_json::json!({ "tamis": crate::VERSION, "steps": steps });
        let digest = Sha256::digest(doc.to_string().as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Validates every step's parameters and builds the runtime pipeline.
    pub fn build(&self) -> Result<Pipeline, SpecError> {
        if self.steps.is_empty() {
            return Err(SpecError::Empty);
        }
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let entry = crate::lookup_step(&s.kind).ok_or_else(|| SpecError::UnknownStep {
                    index: i + 1,
                    kind: s.kind.clone(),
                })?;
                Ok((entry.build)(&serde_json::Value::Object(s.params.clone()))?)
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        Ok(Pipeline {
            steps,
            fingerprint: self.fingerprint(),
        })
    }
}

/// `v` with every object's keys sorted, so the fingerprint does not depend on the order
/// parameters were written in (serde_json here preserves insertion order).
fn canonical(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        v => v,
    }
}

/// Built steps, shared by all worker threads.
pub struct Pipeline {
    steps: Vec<Box<dyn Step>>,
    fingerprint: String,
}

/// Per-thread accumulators for one pipeline: each step's counters, time and text bytes.
#[derive(Debug, Default, Clone)]
pub struct StepTally {
    pub counters: Counters,
    pub nanos: u128,
    /// Text bytes of the documents entering the step, of those it dropped (as they entered)
    /// and of those it passed on (as it left them), for the report's funnel.
    pub bytes_in: u64,
    pub bytes_dropped: u64,
    pub bytes_out: u64,
}

/// Where a document ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Kept,
    Dropped { step: usize, reason: String },
}

impl Pipeline {
    /// The fingerprint of the spec it was built from (see [`PipelineSpec::fingerprint`]).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A phase of a larger pipeline carries the whole pipeline's fingerprint.
    pub(crate) fn set_fingerprint(&mut self, fingerprint: String) {
        self.fingerprint = fingerprint;
    }

    pub fn step_ids(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.id()).collect()
    }

    /// Adds a step the registry does not have (tests add one that panics) before step `at`.
    #[cfg(test)]
    pub(crate) fn insert_step(&mut self, at: usize, step: Box<dyn Step>) {
        self.steps.insert(at, step);
    }

    pub fn new_tally(&self) -> Vec<StepTally> {
        vec![StepTally::default(); self.steps.len()]
    }

    /// Runs `doc` through the steps until one drops it. Counts `total`, `dropped` and
    /// `dropped_<reason>` per step, as datatrove's filter base class does.
    pub fn process(
        &self,
        doc: &mut Document,
        tally: &mut [StepTally],
        cache: &mut DocCache,
    ) -> Outcome {
        cache.clear();
        for (i, (step, t)) in self.steps.iter().zip(tally.iter_mut()).enumerate() {
            let start = Instant::now();
            let len_in = doc.text.len() as u64;
            let verdict = step.process(
                doc,
                &mut Ctx {
                    counters: &mut t.counters,
                    cache,
                },
            );
            t.nanos += start.elapsed().as_nanos();
            t.counters.incr("total");
            t.bytes_in += len_in;
            if let Verdict::Drop(reason) = verdict {
                t.bytes_dropped += len_in;
                t.counters.incr("dropped");
                t.counters.incr(&format!("dropped_{reason}"));
                return Outcome::Dropped {
                    step: i,
                    reason: reason.into_owned(),
                };
            }
            t.counters.incr("forwarded");
            t.bytes_out += doc.text.len() as u64;
        }
        Outcome::Kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fineweb_text_preset_builds_in_order() {
        let p = preset("fineweb-text").unwrap().build().unwrap();
        assert_eq!(
            p.step_ids(),
            [
                "gopher_repetition",
                "gopher_quality",
                "c4_quality",
                "fineweb_quality"
            ]
        );
    }

    #[test]
    fn warc_presets_follow_finewebs_order() {
        let kinds = |name: &str| -> Vec<String> {
            preset(name)
                .unwrap()
                .steps
                .into_iter()
                .map(|s| s.kind)
                .collect()
        };
        let warc = kinds("fineweb");
        assert_eq!(
            warc,
            [
                "url_filter",
                "extract",
                "language",
                "gopher_repetition",
                "gopher_quality",
                "c4_quality",
                "fineweb_quality",
                "minhash_dedup",
                "pii"
            ]
        );
        let mut clean = warc.clone();
        clean.insert(3, "line_clean".into());
        assert_eq!(kinds("fineweb-clean"), clean);
        // The text presets are the recipe's text filters, with or without language.
        assert_eq!(kinds("fineweb-en"), warc[2..7]);
        assert_eq!(kinds("fineweb-text"), warc[3..7]);
        // Every preset validates (dedup steps are checked when the phases are built).
        for p in presets() {
            let spec = preset(p.name).unwrap();
            assert!(
                crate::has_dedup(&spec) || spec.build().is_ok(),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn bad_parameters_are_rejected_before_running() {
        let spec = PipelineSpec::from_toml(
            "[[step]]\ntype = \"gopher_quality\"\nmin_doc_wrds = 3\n",
            "t",
        )
        .unwrap();
        let err = spec.build().err().unwrap().to_string();
        assert!(
            err.contains("gopher_quality") && err.contains("min_doc_wrds"),
            "{err}"
        );
        let spec = PipelineSpec::from_toml(
            "[[step]]\ntype = \"fineweb_quality\"\nshort_line_thr = -2.0\n",
            "t",
        )
        .unwrap();
        assert!(spec
            .build()
            .err()
            .unwrap()
            .to_string()
            .contains("short_line_thr"));
        let spec = PipelineSpec::from_toml("[[step]]\ntype = \"nope\"\n", "t").unwrap();
        assert!(matches!(
            spec.build(),
            Err(SpecError::UnknownStep { index: 1, .. })
        ));
    }

    #[test]
    fn fingerprint_follows_resolved_parameters_not_their_spelling() {
        let fp = |t: &str| PipelineSpec::from_toml(t, "t").unwrap().fingerprint();
        let base = fp("[[step]]\ntype = \"c4_quality\"\n");
        assert_eq!(base.len(), 16);
        // Stating a default explicitly resolves to the same pipeline.
        assert_eq!(
            base,
            fp("[[step]]\ntype = \"c4_quality\"\nmin_num_sentences = 5\n")
        );
        assert_ne!(
            base,
            fp("[[step]]\ntype = \"c4_quality\"\nmin_num_sentences = 3\n")
        );
        let two =
            "[[step]]\ntype = \"c4_quality\"\nmin_num_sentences = 3\nmin_words_per_line = 2\n";
        let swapped =
            "[[step]]\ntype = \"c4_quality\"\nmin_words_per_line = 2\nmin_num_sentences = 3\n";
        assert_eq!(fp(two), fp(swapped));
    }

    #[test]
    fn set_overrides_one_step_parameter() {
        let text = "[[step]]\ntype = \"language\"\n\n[[step]]\ntype = \"c4_quality\"\n\n\
                    [[step]]\ntype = \"language\"\nbackend = \"glotlid\"\n";
        let mut spec = PipelineSpec::from_toml(text, "t").unwrap();
        spec.set("c4_quality.min_num_sentences=3").unwrap();
        assert_eq!(spec.steps[1].params["min_num_sentences"], 3);
        // A path needs no quotes; a quoted string and lists are TOML.
        spec.set("language#2.model=models/glotlid v3.bin").unwrap();
        assert_eq!(spec.steps[2].params["model"], "models/glotlid v3.bin");
        spec.set("language#1.languages=[\"en\", \"fr\"]").unwrap();
        assert_eq!(
            spec.steps[0].params["languages"],
            serde_json::json!(["en", "fr"])
        );
        spec.set("language#1.label_only = true").unwrap();
        assert_eq!(spec.steps[0].params["label_only"], true);
        let model = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tamis-filters/tests/golden/glotlid/glotlid-tiny.bin"
        );
        spec.set(&format!("language#2.model={model}")).unwrap();
        spec.build().expect("builds with the overrides");
        for (bad, says) in [
            ("language.model=x", "`language#1` to `language#2`"),
            ("language#3.model=x", "has 2 `language` steps"),
            (
                "pii.emails=x",
                "no `pii` step (it has: language, c4_quality, language)",
            ),
            ("language#0.model=x", "not a step number"),
            ("c4_quality=3", "STEP.PARAM=VALUE"),
        ] {
            let msg = spec.set(bad).unwrap_err().to_string();
            assert!(msg.contains(says), "{bad}: {msg}");
        }
        // The parameter is checked when the pipeline is built.
        spec.set("c4_quality.no_such_parameter=1").unwrap();
        let msg = spec.build().err().expect("refused").to_string();
        assert!(msg.contains("no_such_parameter"), "{msg}");
    }

    #[test]
    fn step_ids_make_a_default_pipeline() {
        let spec = PipelineSpec::from_step_ids(&["c4_quality", "minhash_dedup"]).unwrap();
        let kinds: Vec<&str> = spec.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["c4_quality", "minhash_dedup"]);
        assert!(spec.steps.iter().all(|s| s.params.is_empty()));
        let err = PipelineSpec::from_step_ids(&["c4_qualty"]).err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("c4_qualty") && msg.contains("gopher_quality") && msg.contains("pii"),
            "{msg}"
        );
        let none: [&str; 0] = [];
        assert!(matches!(
            PipelineSpec::from_step_ids(&none),
            Err(SpecError::Empty)
        ));
    }

    #[test]
    fn unknown_preset_lists_known_ones() {
        let err = preset("finewbe").err().unwrap().to_string();
        assert!(err.contains("fineweb"), "{err}");
        let err = preset("fineweb-warc").err().unwrap().to_string();
        assert!(err.contains("now called `fineweb`"), "{err}");
    }
}
