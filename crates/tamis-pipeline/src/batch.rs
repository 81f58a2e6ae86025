//! The steps' stage: a batch of documents filtered on the pool, each output line encoded by the
//! worker that decided it. A panic inside a step is caught and becomes that document's outcome.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;
use serde_json::Value;
use tamis_core::{DocCache, Document};
use tamis_io::work;
use tamis_io::Location;
use tamis_report::{DocFacts, SampleGate};

use crate::spec::{Outcome, Pipeline, StepTally};
use crate::trace::Read;

/// A document on its way through the steps.
pub(crate) struct Item {
    pub(crate) doc: Document,
    /// The document as read, before the steps edited it (for the shard trace).
    pub(crate) read: Read,
    pub(crate) loc: Location,
    /// Index of the input file, for the manifest's per-file accounting.
    pub(crate) file: usize,
}

/// What became of one document in a batch: a pipeline outcome, or a panic inside a step
/// (quarantined with the panic message).
pub(crate) enum DocResult {
    Done(Outcome),
    Panicked(String),
}

/// Marks an output document with the config that decided it.
pub(crate) fn stamp(doc: &mut Document, fingerprint: &str) {
    doc.metadata
        .insert("tamis_config".into(), Value::from(fingerprint));
}

/// Says in a dropped document's metadata which step dropped it and why.
pub(crate) fn mark_dropped(doc: &mut Document, step: &str, reason: &str) {
    doc.metadata
        .insert("filter_reason".into(), Value::from(reason));
    doc.metadata.insert("filter_step".into(), Value::from(step));
}

/// Documents with up to this much text are encoded into their output line by the workers;
/// larger ones by the writer, in pieces, so a huge document is not held twice in memory.
const ENCODE_ON_WORKERS: usize = 128 << 10;

/// A filtered batch: the documents (edited by the steps) and, per chunk, outcomes, tallies and
/// (with `--report`) the report's facts about each document, `None` for one that panicked.
pub(crate) struct Processed {
    pub(crate) items: Vec<Item>,
    pub(crate) chunks: Vec<WorkerChunk>,
}

/// One worker chunk of a batch: outcomes, the steps' tallies, the report's facts.
pub(crate) struct WorkerChunk {
    pub(crate) outs: Vec<DocResult>,
    /// Each kept or dropped document's output line, stamped, when the workers encoded it.
    pub(crate) lines: Vec<Option<Vec<u8>>>,
    pub(crate) tally: Vec<StepTally>,
    pub(crate) facts: Vec<Option<DocFacts>>,
}

/// Filters a batch on the pool. Small chunks balance uneven document costs; per-chunk tallies
/// are summed afterwards, and sums do not depend on how the work was split.
pub(crate) fn process_batch(
    pipeline: &Pipeline,
    step_ids: &[&'static str],
    mut items: Vec<Item>,
    report: Option<&SampleGate>,
) -> Processed {
    let chunks = items
        .par_chunks_mut(8)
        .map(|chunk| {
            let mut tally = pipeline.new_tally();
            let mut cache = DocCache::default();
            let mut facts = Vec::new();
            let outs: Vec<DocResult> = chunk
                .iter_mut()
                .map(|item| {
                    // The report measures the document as read, here on the workers, and
                    // asks the step that starts the edit log to keep the text it replaces.
                    let before = report.map(|gate| {
                        item.doc.edit_base = tamis_core::EditBase::Wanted;
                        (tamis_report::before(&item.doc), gate)
                    });
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        pipeline.process(&mut item.doc, &mut tally, &mut cache)
                    }))
                    .map_or_else(
                        |p| DocResult::Panicked(work::panic_message(p.as_ref())),
                        DocResult::Done,
                    );
                    if let Some((b, gate)) = before {
                        let base = item.doc.edit_base.take();
                        facts.push(match &res {
                            DocResult::Done(_) => {
                                let mut f = DocFacts::after(b, &item.doc, base);
                                f.drop_unwanted_base(&item.doc, gate);
                                Some(f)
                            }
                            DocResult::Panicked(_) => None,
                        });
                    }
                    res
                })
                .collect();
            let lines = chunk
                .iter_mut()
                .zip(&outs)
                .map(|(item, res)| encode(&mut item.doc, res, pipeline.fingerprint(), step_ids))
                .collect();
            WorkerChunk {
                outs,
                lines,
                tally,
                facts,
            }
        })
        .collect();
    Processed { items, chunks }
}

/// The output line of a kept or dropped document, marked as the writer would mark it; `None`
/// leaves the document to the writer (a large one, a panicked one, or an encoding error, which
/// the writer then reports with the output's path).
fn encode(
    doc: &mut Document,
    res: &DocResult,
    fingerprint: &str,
    step_ids: &[&'static str],
) -> Option<Vec<u8>> {
    let DocResult::Done(outcome) = res else {
        return None;
    };
    if doc.text.len() > ENCODE_ON_WORKERS {
        return None;
    }
    if let Outcome::Dropped { step, reason } = outcome {
        mark_dropped(doc, step_ids[*step], reason);
    }
    stamp(doc, fingerprint);
    let mut line = Vec::with_capacity(doc.approx_bytes() + 64);
    tamis_io::encode_line(doc, &mut line).ok()?;
    Some(line)
}
