//! `tamis run --shard I/N` then `--merge-shards N`: a run spread over a job array writes the
//! bytes of one local run.

use std::path::Path;

use serde_json::Value;

mod common;

use common::{preset, root, run_ok, stats, try_run};

/// The committed sample pages as five input files, with an unreadable line in the third, so
/// that shards hold several files and a quarantine record.
fn split_sample(dir: &Path) {
    let pages = std::fs::read_to_string(root().join("sample/pages.jsonl")).unwrap();
    let lines: Vec<&str> = pages.lines().collect();
    std::fs::create_dir(dir).unwrap();
    for (i, part) in lines.chunks(5).enumerate() {
        let mut body: Vec<String> = part.iter().map(|l| format!("{l}\n")).collect();
        if i == 2 {
            body.insert(1, "{not json\n".into());
        }
        std::fs::write(dir.join(format!("part-{i}.jsonl")), body.concat()).unwrap();
    }
}

/// Everything a run writes but its stats: output files and the manifest, by path.
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut dirs = vec![out.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(out).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                dirs.push(p);
            } else if rel != "stats.json" && !rel.starts_with('.') {
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Stats without what depends on timing or on how the work was spread.
fn comparable(mut s: Value) -> Value {
    let o = s.as_object_mut().unwrap();
    o.remove("elapsed_s");
    o.remove("threads");
    for step in o["steps"].as_array_mut().unwrap() {
        step.as_object_mut().unwrap().remove("time_s");
    }
    s
}

#[test]
fn shards_merged_in_any_order_write_the_bytes_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    split_sample(&inputs);
    // Small files and frequent checkpoints, so that files roll and compressed parts end
    // inside shards; gzip and a template, so the merge applies the output options.
    let options = [
        "--compression",
        "gzip",
        "--max-file-bytes",
        "9000",
        "--checkpoint-every",
        "3",
        "--output-template",
        "${source}/",
        "--no-progress",
    ];
    let cmd = preset("fineweb-text");
    let local = run_ok(&cmd, &[&inputs], &tmp.path().join("local"), &options);
    let out = tmp.path().join("sharded");
    let shard = |spec: &str| {
        let extra: Vec<&str> = options.iter().copied().chain(["--shard", spec]).collect();
        run_ok(&cmd, &[&inputs], &out, &extra)
    };
    let merge = |count: &str| {
        let extra: Vec<&str> = options
            .iter()
            .copied()
            .chain(["--merge-shards", count])
            .collect();
        try_run(&cmd, &[&inputs], &out, &extra)
    };
    shard("2/3");
    shard("0/3");
    // A merge before every shard has finished names the missing one and writes nothing.
    let early = merge("3");
    assert!(!early.output.status.success());
    assert!(
        early.stderr().contains("shard 1/3") && early.stderr().contains("--shard 1/3"),
        "{}",
        early.stderr()
    );
    assert!(!out.join("kept").exists() && !out.join("stats.json").exists());
    // A shard run again (a retried array task) replaces its first attempt.
    shard("0/3");
    shard("1/3");
    let merged = merge("3");
    assert!(merged.output.status.success(), "{}", merged.stderr());
    assert!(!out.join("shards").exists());
    let want = outputs(&local.out);
    assert!(want.iter().any(|(p, _)| p.starts_with("quarantine/")));
    assert!(want.iter().filter(|(p, _)| p.starts_with("kept/")).count() > 1);
    assert_eq!(outputs(&out), want);
    assert_eq!(comparable(stats(&out)), comparable(local.stats()));
    merged.verify();
}

#[test]
fn shards_beyond_the_files_have_nothing_to_do_and_the_merge_takes_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    split_sample(&inputs);
    let cmd = preset("fineweb-text");
    let local = run_ok(
        &cmd,
        &[&inputs],
        &tmp.path().join("local"),
        &["--no-progress"],
    );
    let out = tmp.path().join("sharded");
    // Five files, seven shards: shards 5 and 6 exit cleanly, writing nothing.
    for i in 0..7 {
        let spec = format!("{i}/7");
        let r = run_ok(&cmd, &[&inputs], &out, &["--shard", &spec, "--no-progress"]);
        if i >= 5 {
            assert!(r.stderr().contains("no input files"), "{}", r.stderr());
            assert!(!out.join(format!("shards/{i:05}")).exists());
        }
    }
    let merged = run_ok(
        &cmd,
        &[&inputs],
        &out,
        &["--merge-shards", "7", "--keep-shards", "--no-progress"],
    );
    assert!(out.join("shards/00004/stats.json").exists());
    assert_eq!(outputs(&local.out), {
        let mut o = outputs(&out);
        o.retain(|(p, _)| !p.starts_with("shards/"));
        o
    });
    merged.verify();
}

#[test]
fn a_dedup_pipeline_or_a_report_cannot_be_sharded() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample");
    let out = tmp.path().join("o");
    let r = try_run(
        &["run", "--steps", "minhash_dedup"],
        &[&sample],
        &out,
        &["--shard", "0/2"],
    );
    assert!(!r.output.status.success());
    assert!(r.stderr().contains("dedup"), "{}", r.stderr());
    let r = try_run(
        &preset("fineweb-text"),
        &[&sample],
        &out,
        &["--shard", "0/2", "--report"],
    );
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
}
