//! End-to-end tests: drive the `tamis` binary on temporary directories.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::{
    jsonl_zst, pipeline_run, preset, read_dir_bytes, root, run_ok, stats, step_ids, steps, tamis,
    tamis_ok, try_run, Run,
};

#[test]
fn sample_run_writes_layout_and_balances() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sample = root().join("sample");
    let r = run_ok(&preset("fineweb-text"), &[&sample], &out, &[]);
    let s = r.stats();
    // 24 JSONL pages plus the seed page as a .txt document.
    assert_eq!(s["read"], 25);
    assert_eq!(s["quarantined"], 0);
    let kept = s["kept"].as_u64().unwrap();
    let dropped = s["dropped"].as_u64().unwrap();
    assert_eq!(kept + dropped, 25);
    assert!(kept > 0 && dropped > 0);
    let steps = s["steps"].as_array().unwrap();
    assert_eq!(steps[0]["step"], "gopher_repetition");
    assert_eq!(steps[0]["total"], 25);
    // Every dropped document says which step and reason, and the per-step counts agree.
    let dropped_docs = r.jsonl("dropped/00000.jsonl.zst");
    assert_eq!(dropped_docs.len() as u64, dropped);
    for d in &dropped_docs {
        let step = d["metadata"]["filter_step"].as_str().unwrap();
        let reason = d["metadata"]["filter_reason"].as_str().unwrap();
        let st = steps.iter().find(|x| x["step"] == step).unwrap();
        assert!(st[format!("dropped_{reason}")].as_u64().unwrap() >= 1);
    }
    // The seed page: FineWeb's filters drop it for its duplicated teaser block.
    let seed = dropped_docs
        .iter()
        .find(|d| d["id"].as_str().unwrap().ends_with("seed-page.txt"))
        .unwrap();
    assert_eq!(seed["metadata"]["filter_reason"], "char_dup_ratio");
    // The summary table went to stderr and proves the sum.
    let err = r.stderr();
    assert!(err.contains("= 25 == read 25"), "{err}");
    // A second run into the same directory is refused unless --overwrite.
    let again = try_run(&preset("fineweb-text"), &[&sample], &out, &[]);
    assert!(!again.output.status.success());
    assert!(again.stderr().contains("--overwrite"));
}

#[test]
fn output_bytes_do_not_depend_on_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let input = root().join("tests/golden/subset-input.jsonl.zst");
    let mut runs = Vec::new();
    for threads in ["1", "2", "5"] {
        let out = tmp.path().join(format!("t{threads}"));
        let r = run_ok(
            &preset("fineweb-text"),
            &[&input],
            &out,
            &["--threads", threads],
        );
        runs.push((r.files("kept"), r.files("dropped")));
    }
    assert!(!runs[0].0.is_empty());
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

#[test]
fn several_files_read_at_once_and_compressed_frames_give_the_same_bytes_for_any_thread_count() {
    // Three inputs of about 3 MB each: reading runs ahead on several files at once, and each
    // output holds several compressed frames, compressed on the pool.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    for f in 0..3 {
        let body: String = (0..1500)
            .map(|i| {
                // Words only (numbers would fail Gopher's alphabetic-word ratio).
                let word = ["red", "green", "blue", "brown", "white"][(i + f) % 5];
                let text = format!("The {word} line of the file and the mail to me@example.com. ")
                    .repeat(30 + i % 20);
                serde_json::json!({"id": format!("{f}/{i}"), "text": text}).to_string() + "\n"
            })
            .collect();
        let zs = zstd::encode_all(body.as_bytes(), 1).unwrap();
        std::fs::write(dir.join(format!("{f}.jsonl.zst")), zs).unwrap();
    }
    let mut runs = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("t{threads}"));
        // Long documents are dropped, so both outputs have records.
        let r = run_ok(
            &pipeline_run(
                tmp.path(),
                "[[step]]\ntype = \"pii\"\n\n[[step]]\ntype = \"gopher_quality\"\nmax_doc_words = 450\n",
            ),
            &[&dir],
            &out,
            &["--threads", threads, "--checkpoint-every", "1000"],
        );
        assert_eq!(r.stats()["read"], 4500, "{}", r.stats());
        // The manifest's digests, hashed while writing, match the files.
        r.verify();
        runs.push((r.files("kept"), r.files("dropped")));
    }
    let (kept, dropped) = &runs[0];
    // Frames are cut every 2 MiB of JSONL.
    let jsonl: usize = kept
        .iter()
        .map(|(_, b)| zstd::decode_all(&b[..]).unwrap().len())
        .sum();
    assert!(
        jsonl > 6 << 20,
        "{jsonl} {:?}",
        kept.iter().map(|k| &k.0).collect::<Vec<_>>()
    );
    assert!(!dropped.is_empty());
    assert!(runs[1] == runs[0] && runs[2] == runs[0]);
}

#[test]
fn every_fault_is_quarantined_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let good = |id: &str| format!("{{\"id\":\"{id}\",\"text\":\"Some text here.\"}}\n");
    // One file with bad lines between good ones.
    let mut f = std::fs::File::create(dir.join("a.jsonl")).unwrap();
    f.write_all(good("a1").as_bytes()).unwrap();
    f.write_all(b"{not json\n").unwrap();
    f.write_all(b"{\"id\":\"nt\"}\n").unwrap();
    f.write_all(b"{\"id\":\"ns\",\"text\":42}\n").unwrap();
    f.write_all(b"{\"id\":\"bad-utf8\",\"text\":\"caf\xe9\"}\n")
        .unwrap();
    f.write_all(good("a2").as_bytes()).unwrap();
    drop(f);
    // A truncated .gz and a truncated .zst, each with whole records before the cut.
    let body: String = (0..200).map(|i| good(&format!("g{i}"))).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.join("b.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
    let zs = zstd::encode_all(body.as_bytes(), 3).unwrap();
    std::fs::write(dir.join("c.jsonl.zst"), &zs[..zs.len() / 2]).unwrap();
    // An empty file.
    std::fs::write(dir.join("d.jsonl"), b"").unwrap();
    let missing = tmp.path().join("missing.jsonl");
    let out = tmp.path().join("out");
    let r = run_ok(&preset("fineweb-text"), &[&dir, &missing], &out, &[]);
    let s = r.stats();
    let (read, kept, dropped, quar) = (
        s["read"].as_u64().unwrap(),
        s["kept"].as_u64().unwrap(),
        s["dropped"].as_u64().unwrap(),
        s["quarantined"].as_u64().unwrap(),
    );
    assert_eq!(read, kept + dropped + quar);
    let reasons = &s["quarantine_reasons"];
    for r in [
        "invalid_json",
        "missing_text",
        "text_not_string",
        "invalid_utf8",
        "unreadable_path",
    ] {
        assert!(reasons[r].as_u64().unwrap_or(0) >= 1, "no {r} in {reasons}");
    }
    let truncated = reasons["truncated_input"].as_u64().unwrap_or(0)
        + reasons["decompress_error"].as_u64().unwrap_or(0);
    assert_eq!(truncated, 2, "{reasons}");
    // Each quarantine record names its file and position.
    let q = r.jsonl("quarantine/00000.jsonl.zst");
    assert_eq!(q.len() as u64, quar);
    let bad_json = q.iter().find(|r| r["reason"] == "invalid_json").unwrap();
    assert!(bad_json["file"].as_str().unwrap().ends_with("a.jsonl"));
    assert_eq!(bad_json["line"], 2);
    // Good records around the faults were all read: 2 in a.jsonl and some before each cut.
    assert!(kept + dropped > 2);
}

#[test]
fn max_errors_stops_the_run_with_balanced_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bad.jsonl");
    let lines: String = (0..50)
        .map(|i| {
            if i % 2 == 0 {
                "oops\n".to_owned()
            } else {
                format!("{{\"text\":\"t{i}\"}}\n")
            }
        })
        .collect();
    std::fs::write(&input, lines).unwrap();
    let out = tmp.path().join("out");
    let r = try_run(
        &preset("fineweb-text"),
        &[&input],
        &out,
        &["--max-errors", "3"],
    );
    assert_eq!(r.code(), Some(3), "{}", r.stderr());
    let s = r.stats();
    assert_eq!(s["quarantined"], 3);
    assert_eq!(s["stopped"], "max_errors");
    assert_eq!(
        s["read"].as_u64().unwrap(),
        s["kept"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() + 3
    );
    r.verify();
    // A phased run (a dedup step) stopped the same way in its first phase also writes its
    // stats and manifest, with the phases that ran.
    let phased = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"gopher_repetition\"\n\n[[step]]\ntype = \"minhash_dedup\"\n",
    );
    let p = try_run(
        &phased,
        &[&input],
        &tmp.path().join("phased"),
        &["--max-errors", "3"],
    );
    assert_eq!(p.code(), Some(3), "{}", p.stderr());
    let s = p.balanced();
    assert_eq!(s["quarantined"], 3);
    assert_eq!(s["stopped"], "max_errors");
    assert_eq!(step_ids(&s), ["gopher_repetition"]);
    assert!(!p.out.join("work-phases").exists());
    p.verify();
}

#[test]
fn filters_and_explain_describe_every_step() {
    let o = tamis(&["filters"]);
    let text = String::from_utf8(o.stdout).unwrap();
    for id in [
        "gopher_repetition",
        "gopher_quality",
        "c4_quality",
        "fineweb_quality",
    ] {
        assert!(text.contains(id), "{text}");
    }
    // Each preset's line: what it reads and its steps in order.
    let line = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no preset {name}: {text}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let filters = "gopher_repetition -> gopher_quality -> c4_quality -> fineweb_quality";
    assert_eq!(
        line("fineweb"),
        format!(
            "web archives: url_filter -> extract -> language -> {filters} -> minhash_dedup -> pii"
        )
    );
    assert_eq!(
        line("fineweb-clean"),
        format!(
            "web archives: url_filter -> extract -> language -> line_clean -> {filters} \
             -> minhash_dedup -> pii"
        )
    );
    assert_eq!(line("fineweb-text"), format!("extracted text: {filters}"));
    assert_eq!(
        line("fineweb-en"),
        format!("extracted text: language -> {filters}")
    );
    assert_eq!(
        line("clean"),
        format!("extracted text: line_clean -> {filters}")
    );
    let o = tamis(&["explain", "c4_quality"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("filter_no_terminal_punct") && text.contains("too_few_sentences"),
        "{text}"
    );
    let o = tamis(&["explain", "nope"]);
    assert!(!o.status.success());
}

#[test]
fn steps_flag_runs_just_those_steps_with_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample");
    let out = tmp.path().join("out");
    let r = run_ok(&steps("gopher_quality,c4_quality"), &[&sample], &out, &[]);
    let st = r.balanced();
    assert_eq!(step_ids(&st), ["gopher_quality", "c4_quality"]);
    assert!(r.out.join("kept").is_dir() && r.out.join("manifest.json").is_file());
    // The same steps written as a pipeline file without parameters: the same run.
    let p = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"gopher_quality\"\n[[step]]\ntype = \"c4_quality\"\n",
    );
    let r2 = run_ok(&p, &[&sample], &tmp.path().join("out2"), &[]);
    assert_eq!(r.files("kept"), r2.files("kept"));
    // An unknown id is refused, naming the valid ones, before anything is written.
    let bad = tmp.path().join("bad");
    let o = try_run(&steps("gopher_quality,c4_qualty"), &[&sample], &bad, &[]);
    assert_eq!(o.code(), Some(2));
    let err = o.stderr();
    assert!(
        err.contains("unknown step `c4_qualty`")
            && err.contains("c4_quality")
            && err.contains("minhash_dedup"),
        "{err}"
    );
    assert!(!bad.exists());
    // --steps and --preset are mutually exclusive.
    let both = ["run", "--steps", "pii", "--preset", "fineweb-text"];
    let o = try_run(&both, &[&sample], &bad, &[]);
    assert_eq!(o.code(), Some(2));
    assert!(o.stderr().contains("--preset"));
}

#[test]
fn bad_pipeline_file_is_rejected_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"gopher_quality\"\nmin_doc_words = -5\n",
    );
    let o = try_run(&p, &[Path::new("x.jsonl")], &tmp.path().join("o"), &[]);
    assert!(!o.output.status.success());
    let err = o.stderr();
    assert!(
        err.contains("gopher_quality") && err.contains("min_doc_words"),
        "{err}"
    );
}

/// `tamis explain --doc PATH --format json`, parsed.
fn explain_json(path: &std::path::Path) -> Vec<Value> {
    let o = tamis_ok(&[
        "explain",
        "--doc",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn explain_doc_marks_removed_lines_with_their_rule() {
    let seed = root().join("sample/seed-page.txt");
    let rows = explain_json(&seed);
    let text = std::fs::read_to_string(&seed).unwrap();
    assert_eq!(rows.len(), text.split('\n').count());
    // The gambling keyword lines at the top go, each with the rule that removed it; the
    // article's first paragraph stays.
    assert!(rows[..20]
        .iter()
        .all(|r| r["kept"] == false && r["rule"].is_string()));
    let article = rows
        .iter()
        .find(|r| {
            r["text"]
                .as_str()
                .unwrap()
                .starts_with("In an explosive interview")
        })
        .unwrap();
    assert_eq!(article["kept"], true);
    assert!(article["rule"].is_null());
    // Byte ranges tile the text.
    let mut pos = 0;
    for r in &rows {
        assert_eq!(r["byte_start"].as_u64().unwrap(), pos);
        pos = r["byte_end"].as_u64().unwrap();
    }
    assert_eq!(pos as usize, text.len());
    // The line model scored every non-blank line, and every line it removed alone it found
    // junk.
    for r in &rows {
        let blank = r["text"].as_str().unwrap().trim().is_empty();
        assert_eq!(r["score"].is_f64(), !blank, "{r}");
        if r["rule"] == "line_model" && !blank {
            assert!(r["score"].as_f64().unwrap() >= 0.5, "{r}");
        }
    }
    // Text output: one row per line plus the summary.
    let o = tamis(&["explain", "--doc", seed.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains(" kept, ") && out.contains(" removed ("),
        "{out}"
    );
}

#[test]
fn explain_doc_shows_layout_lines_cut_to_their_prose() {
    let page = root().join("crates/tamis-clean/tests/fixtures/cleaneval-layout-excerpt.txt");
    let rows = explain_json(&page);
    let cut: Vec<&Value> = rows
        .iter()
        .filter(|r| r["kept"] == true && r["rule"] == "layout_columns")
        .collect();
    assert!(cut.len() >= 10, "{}", cut.len());
    for r in &cut {
        // What stays is the line's prose cell: inside the line, shorter, at the kept bytes.
        let (line, kept) = (
            r["text"].as_str().unwrap(),
            r["kept_text"].as_str().unwrap(),
        );
        assert!(
            kept.len() >= 40 && kept.len() < line.len() && line.contains(kept),
            "{r}"
        );
        let ranges = r["kept_ranges"].as_array().unwrap();
        let first = ranges[0][0].as_u64().unwrap();
        assert!(r["byte_start"].as_u64().unwrap() <= first, "{r}");
    }
    // Untouched and removed lines keep all or none of their text.
    for r in &rows {
        if r["rule"].is_null() {
            assert_eq!(r["kept_text"], r["text"]);
        } else if r["kept"] == false {
            assert_eq!(r["kept_text"], "");
        }
    }
    let o = tamis_ok(&["explain", "--doc", page.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains(" ~ layout_columns") && out.contains("cut to part of their text"),
        "{out}"
    );
}

#[test]
fn clean_preset_keeps_the_seed_article_that_fineweb_drops() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = root().join("sample/seed-page.txt");
    let r = run_ok(&preset("clean"), &[&seed], &tmp.path().join("out"), &[]);
    let kept = r.jsonl("kept/00000.jsonl.zst");
    assert_eq!(
        kept.len(),
        1,
        "the cleaned seed page passes FineWeb's filters"
    );
    assert_eq!(r.stats()["steps"][0]["step"], "line_clean");
}

#[test]
fn line_clean_edit_log_replays_to_the_cleaned_text() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = root().join("sample/seed-page.txt");
    let line_clean = pipeline_run(tmp.path(), "[[step]]\ntype = \"line_clean\"\n");
    let r = run_ok(&line_clean, &[&seed], &tmp.path().join("out"), &[]);
    let doc = &r.jsonl("kept/00000.jsonl.zst")[0];
    let edits = doc["metadata"]["tamis_edits"].as_array().unwrap();
    assert!(!edits.is_empty());
    // Removing the logged byte ranges from the original gives exactly the kept text.
    let original = std::fs::read_to_string(&seed).unwrap();
    let mut rebuilt = String::new();
    let mut pos = 0;
    for e in edits {
        let a = e["byte_start"].as_u64().unwrap() as usize;
        let b = e["byte_end"].as_u64().unwrap() as usize;
        rebuilt.push_str(&original[pos..a]);
        pos = b;
        assert!(e["rule"].is_string());
    }
    rebuilt.push_str(&original[pos..]);
    assert!(
        rebuilt == doc["text"].as_str().unwrap(),
        "edit log does not replay to the kept text"
    );
}

#[test]
fn dedup_drops_near_duplicates_and_runs_stage_by_stage() {
    let tmp = tempfile::tempdir().unwrap();
    // Both inputs live in the temporary directory, so their path order (copies.jsonl before
    // pages.jsonl) does not depend on where the repository is checked out.
    let sample = tmp.path().join("pages.jsonl");
    std::fs::copy(root().join("sample/pages.jsonl"), &sample).unwrap();
    // A second file: an edited copy of every sample page (one line added at the top).
    let copies = tmp.path().join("copies.jsonl");
    let mut f = std::fs::File::create(&copies).unwrap();
    let pages = std::fs::read_to_string(&sample).unwrap();
    let n_pages = pages.lines().count();
    for line in pages.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        v["id"] = Value::from(format!("copy-{}", v["id"].as_str().unwrap()));
        v["text"] = Value::from(format!("Skip to content\n{}", v["text"].as_str().unwrap()));
        writeln!(f, "{v}").unwrap();
    }
    drop(f);
    let both: [&Path; 2] = [&sample, &copies];

    let all = run_ok(&["dedup", "--minhash"], &both, &tmp.path().join("all"), &[]);
    assert!(all.stderr().contains("near-duplicates"));
    let st = all.stats();
    assert_eq!(st["read"], 2 * n_pages);
    // Inputs are read in path order (copies.jsonl first), and the earliest document of each
    // cluster stays: every original page is dropped in favour of its copy (and copies of
    // pages that are themselves near-duplicates go too).
    assert!(st["dropped"].as_u64().unwrap() >= n_pages as u64, "{st}");
    assert!(
        !all.out.join("kept/00001.jsonl.zst").exists(),
        "no original survives its copy"
    );
    assert!(
        !all.out.join("work").exists(),
        "the work directory is removed after a full run"
    );
    for d in all.jsonl("dropped/00001.jsonl.zst") {
        assert_eq!(d["metadata"]["filter_reason"], "minhash_duplicate");
        assert!(d["metadata"]["minhash_cluster_size"].as_u64().unwrap() >= 2);
    }

    // The same job stage by stage, in two shards, gives the same files.
    let staged = tmp.path().join("staged");
    for (stage, shards) in [
        ("signatures", 2),
        ("buckets", 3),
        ("clusters", 1),
        ("filter", 2),
        ("stats", 1),
    ] {
        for i in 0..shards {
            let shard = format!("{i}/{shards}");
            let mut extra = vec!["--stage", stage];
            if shards > 1 {
                extra.extend(["--shard", shard.as_str()]);
            }
            run_ok(&["dedup"], &both, &staged, &extra);
        }
    }
    for sub in ["kept", "dropped"] {
        assert_eq!(all.files(sub), read_dir_bytes(&staged.join(sub)), "{sub}");
    }
    assert_eq!(stats(&staged)["dropped"], st["dropped"]);

    // Mistakes are reported, naming what is wrong.
    let dedup = |out: &Path, extra: &[&str]| try_run(&["dedup"], &[&sample], out, extra);
    let o = dedup(&staged, &["--shard", "0/2"]);
    assert_eq!(o.code(), Some(2));
    assert!(o.stderr().contains("--shard needs --stage"));
    let o = dedup(&staged, &["--memory", "lots"]);
    assert!(o.stderr().contains("not a size"));
    let o = dedup(&all.out, &[]);
    assert!(o.stderr().contains("--overwrite"));
    let o = dedup(&staged, &["--normalize"]);
    assert!(!o.output.status.success(), "--normalize belongs to --exact");

    // Exact dedup by text: the sample twice over, every second copy goes.
    let twice = tmp.path().join("twice.jsonl");
    std::fs::write(&twice, pages.clone() + &pages).unwrap();
    let exact_out = tmp.path().join("exact");
    let exact = run_ok(&["dedup", "--exact"], &[&twice], &exact_out, &[]);
    assert!(exact.stderr().contains("exact duplicates"));
    let st = exact.stats();
    assert_eq!(
        (st["read"].as_u64(), st["dropped"].as_u64()),
        (Some(2 * n_pages as u64), Some(n_pages as u64))
    );
    assert_eq!(st["steps"][0]["dropped_exact_duplicate"], n_pages);

    // Line dedup over the sample and its edited copies: "Skip to content" is in every copy,
    // so it goes, with an edit log entry; the pages' own lines are in two documents each.
    let lines = run_ok(
        &["dedup", "--lines", "--min-docs", "3"],
        &[&copies, &sample],
        &tmp.path().join("lines"),
        &[],
    );
    assert!(lines.stderr().contains("repeated lines"));
    let st = lines.stats();
    assert_eq!(st["steps"][0]["step"], "line_dedup");
    assert!(
        st["steps"][0]["removed_lines_corpus_repeated_line"]
            .as_u64()
            .unwrap()
            >= n_pages as u64
    );
    for d in lines.jsonl("kept/00000.jsonl.zst") {
        assert!(!d["text"].as_str().unwrap().starts_with("Skip to content"));
        assert_eq!(
            d["metadata"]["tamis_edits"][0]["rule"],
            "corpus_repeated_line"
        );
    }
}

#[test]
fn lid_prints_top_k_labels_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("lines.txt");
    std::fs::write(
        &f,
        "Das ist ein kleiner Test.\nCeci est une phrase en français.\n",
    )
    .unwrap();
    let o = tamis_ok(&["lid", "-k", "2", f.to_str().unwrap()]);
    let out = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0][0], rows[1][0]), ("__label__de", "__label__fr"));
    assert_eq!(rows[0].len(), 4, "two label/score pairs");
    let p: f32 = rows[1][1].parse().unwrap();
    assert!(p > 0.9 && p <= 1.0001, "{p}");
    let o = tamis(&["lid", "--model", "/nonexistent.bin", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.bin"));
}

#[test]
fn fineweb_en_preset_labels_languages_and_drops_non_english() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("docs.jsonl");
    let mut f = std::fs::File::create(&input).unwrap();
    let de = "Der Ausschuss hat sich am Dienstag getroffen und beschlossen, den Bericht im nächsten Monat zu veröffentlichen.";
    writeln!(f, "{}", serde_json::json!({"id": "de", "text": de})).unwrap();
    drop(f);
    let seed = root().join("sample/seed-page.txt");
    let out = tmp.path().join("out");
    let r = run_ok(&preset("fineweb-en"), &[&input, &seed], &out, &[]);
    let st = r.stats();
    assert_eq!(st["steps"][0]["step"], "language");
    assert_eq!(st["steps"][0]["dropped_language_not_kept"], 1);
    let dropped = r.jsonl("dropped/00000.jsonl.zst");
    let de_doc = dropped.iter().find(|d| d["id"] == "de").unwrap();
    assert_eq!(de_doc["metadata"]["language"], "de");
    assert_eq!(de_doc["metadata"]["filter_reason"], "language_not_kept");
}

#[test]
fn pipeline_with_dedup_steps_runs_in_phases() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample/pages.jsonl");
    let pages = std::fs::read_to_string(&sample).unwrap();
    let copies = tmp.path().join("copies.jsonl");
    let mut f = std::fs::File::create(&copies).unwrap();
    for line in pages.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        v["id"] = Value::from(format!("copy-{}", v["id"].as_str().unwrap()));
        v["text"] = Value::from(format!("{}\nShare this page", v["text"].as_str().unwrap()));
        writeln!(f, "{v}").unwrap();
    }
    drop(f);
    let pipeline = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"line_clean\"\n\n[[step]]\ntype = \"minhash_dedup\"\n\n\
         [[step]]\ntype = \"fineweb_quality\"\n",
    );
    let run = |name: &str, threads: &str| {
        let out = tmp.path().join(name);
        run_ok(
            &pipeline,
            &[&sample, &copies],
            &out,
            &["--threads", threads],
        )
    };
    let a = run("a", "1");
    let st = a.balanced();
    assert_eq!(step_ids(&st), ["line_clean", "minhash", "fineweb_quality"]);
    assert_eq!(st["read"], 2 * pages.lines().count());
    assert!(st["steps"][1]["dropped"].as_u64().unwrap() >= pages.lines().count() as u64 / 2);
    assert!(!a.out.join("work-phases").exists());
    let dropped: Vec<String> = a.files("dropped").into_iter().map(|(n, _)| n).collect();
    assert!(dropped.iter().any(|n| n.starts_with("p01-")), "{dropped:?}");
    for d in a.jsonl("kept/00000.jsonl.zst") {
        assert!(d["metadata"]["minhash_cluster_size"].as_u64().unwrap() >= 1);
    }
    let b = run("b", "2");
    for sub in ["kept", "dropped"] {
        assert_eq!(a.files(sub), b.files(sub), "{sub}");
    }
    // A bad dedup parameter is refused before anything runs.
    let bad = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"minhash_dedup\"\nn_gram = 3\n",
    );
    let o = try_run(&bad, &[&sample], &tmp.path().join("c"), &[]);
    assert_eq!(o.code(), Some(2));
    assert!(o.stderr().contains("n_gram"));
    assert!(!tmp.path().join("c/stats.json").exists());
}

#[test]
fn warc_inputs_become_documents_with_url_and_date() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = |kind: &str, uri: &str, block: &str| {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{kind}{}>\r\n\
             WARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            uri.len(),
            block.len()
        )
    };
    let page = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>The council met on Tuesday.</p></body></html>";
    let mut archive =
        rec("warcinfo", "x", "format: WARC") + &rec("response", "http://a.example/", page);
    let mut cut = rec("response", "http://b.example/", page);
    cut.truncate(cut.len() - 20);
    archive.push_str(&cut);
    let path = tmp.path().join("crawl.warc.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(archive.as_bytes()).unwrap();
    let gz = e.finish().unwrap();
    std::fs::write(&path, gz).unwrap();
    let label = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"language\"\nlabel_only = true\n",
    );
    let r = run_ok(&label, &[&path], &tmp.path().join("out"), &[]);
    let st = r.stats();
    assert_eq!(
        (
            st["read"].as_u64(),
            st["kept"].as_u64(),
            st["quarantined"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{st}"
    );
    let kept = r.jsonl("kept/00000.jsonl.zst");
    assert_eq!(kept[0]["metadata"]["url"], "http://a.example/");
    assert_eq!(kept[0]["metadata"]["date"], "2024-05-01T10:00:00Z");
    assert!(kept[0]["text"].as_str().unwrap().starts_with("<html>"));
    let q = r.jsonl("quarantine/00000.jsonl.zst");
    assert_eq!(q[0]["reason"], "truncated_input");
    assert!(q[0]["file"].as_str().unwrap().ends_with("crawl.warc.gz"));
    assert!(q[0]["byte_offset"].as_u64().unwrap() > 0);
}

/// The committed ScrapingHub pages (real news pages, MIT) as HTML files.
fn gold_pages() -> PathBuf {
    root().join("crates/tamis-extract/tests/data/scrapinghub")
}

#[test]
fn extract_prints_one_main_text_per_page() {
    let o = tamis_ok(&["extract", gold_pages().to_str().unwrap()]);
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(gold_pages())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html.gz"))
        .collect();
    names.sort();
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, names);
    for l in &lines {
        let text = l["text"].as_str().unwrap();
        assert!(text.len() > 200 && !text.contains('<'), "{l}");
    }
    let o = tamis(&["extract", "no-such-page.html"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-page.html"));
}

/// A Common Crawl-like `.warc.gz` (one gzip member per record) of the committed pages, each
/// served at `http://news.example/{i}`, then, when `copies`, each again at
/// `http://mirror.example/{i}`, then one page at a blocklisted adult domain. Returns the path and
/// the number of distinct pages.
fn gold_warc(dir: &Path, copies: bool) -> (PathBuf, usize) {
    use std::io::Read;
    let mut names: Vec<_> = std::fs::read_dir(gold_pages())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".html.gz"))
        .collect();
    names.sort();
    let pages: Vec<Vec<u8>> = names
        .iter()
        .map(|p| {
            let mut html = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
                .read_to_end(&mut html)
                .unwrap();
            html
        })
        .collect();
    let mut archive = Vec::new();
    let mut record = |id: String, url: String, html: &[u8]| {
        archive.extend(common::warc_response_gz(&id, &url, html));
    };
    for (i, html) in pages.iter().enumerate() {
        record(format!("{i}"), format!("http://news.example/{i}"), html);
    }
    if copies {
        for (i, html) in pages.iter().enumerate() {
            record(
                format!("copy-{i}"),
                format!("http://mirror.example/{i}"),
                html,
            );
        }
        record("adult".into(), "http://www.pornhub.com/x".into(), &pages[0]);
    }
    let warc = dir.join("CC-MAIN-sample.warc.gz");
    std::fs::write(&warc, archive).unwrap();
    (warc, pages.len())
}

#[test]
fn warc_to_fineweb_runs_the_whole_recipe_and_balances() {
    let tmp = tempfile::tempdir().unwrap();
    let (warc, n) = gold_warc(tmp.path(), true);
    let r = run_ok(&preset("fineweb"), &[&warc], &tmp.path().join("out"), &[]);
    let st = r.stats();
    let g = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
    let read = (2 * n + 1) as u64;
    assert_eq!(g(&st, "read"), read, "{st}");
    assert_eq!(g(&st, "quarantined"), 0, "{st}");
    assert_eq!(g(&st, "kept") + g(&st, "dropped"), read, "{st}");
    let steps = st["steps"].as_array().unwrap();
    assert_eq!(
        step_ids(&st),
        [
            "url_filter",
            "extract",
            "language",
            "gopher_repetition",
            "gopher_quality",
            "c4_quality",
            "fineweb_quality",
            "minhash",
            "pii"
        ]
    );
    // Each step sees what the one before it kept; the drops add up to the run's.
    assert_eq!(g(&steps[0], "total"), read);
    for w in steps.windows(2) {
        assert_eq!(
            g(&w[1], "total"),
            g(&w[0], "total") - g(&w[0], "dropped"),
            "{st}"
        );
    }
    let dropped: u64 = steps.iter().map(|s| g(s, "dropped")).sum();
    assert_eq!(dropped, g(&st, "dropped"), "{st}");
    assert_eq!(g(&steps[0], "dropped"), 1, "the adult domain: {st}");
    // Every page is there twice: MinHash removes one copy of each page that reached it.
    let into_dedup = g(&steps[7], "total");
    assert!(into_dedup >= n as u64, "most news articles pass: {st}");
    assert_eq!(g(&steps[7], "dropped") * 2, into_dedup, "{st}");
    assert_eq!(g(&st, "kept"), into_dedup / 2);
    let kept = r.jsonl("kept/00000.jsonl.zst");
    assert_eq!(kept.len() as u64, g(&st, "kept"));
    // One copy of each page is left (datatrove's survivor may be either).
    let mut pages = std::collections::BTreeSet::new();
    for d in &kept {
        assert!(!d["text"].as_str().unwrap().contains("</"), "{d}");
        assert!(d["metadata"]["title"].is_string());
        assert_eq!(d["metadata"]["language"], "en");
        assert!(
            d["metadata"]["minhash_cluster_size"].as_u64() == Some(2),
            "{d}"
        );
        let url = d["metadata"]["url"].as_str().unwrap();
        let page = url
            .strip_prefix("http://news.example/")
            .or_else(|| url.strip_prefix("http://mirror.example/"))
            .unwrap();
        assert!(pages.insert(page.to_owned()), "{url}");
    }
    r.verify();

    // fineweb-clean: the same recipe with line_clean before the quality filters.
    let clean_out = tmp.path().join("clean");
    let clean = run_ok(&preset("fineweb-clean"), &[&warc], &clean_out, &[]);
    let sc = clean.stats();
    assert_eq!(sc["steps"][3]["step"], "line_clean");
    assert_eq!(
        g(&sc, "kept") + g(&sc, "dropped") + g(&sc, "quarantined"),
        read
    );
}

/// A Python that can import `module`, or `None` (then the check is skipped with a message):
/// `TAMIS_PYTHON` if set (`.ci/run` sets it to a venv with pyarrow and `datasets`), else
/// `python3`.
fn python_with(module: &str) -> Option<String> {
    let py = std::env::var("TAMIS_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: {py} cannot import {module} (set TAMIS_PYTHON to a Python with it)");
    }
    ok.then_some(py)
}

#[test]
fn parquet_outputs_have_datatroves_schema_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample");
    let run = |name: &str, threads: &str| {
        let out = tmp.path().join(name);
        let extra = [
            "--format",
            "parquet",
            "--threads",
            threads,
            "--checkpoint-every",
            "7",
        ];
        run_ok(&preset("fineweb-text"), &[&sample], &out, &extra)
    };
    let a = run("a", "1");
    let st = a.stats();
    let names: Vec<String> = a.files("kept").into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["00000.parquet"]);
    assert!(a.out.join("dropped/00000.parquet").is_file());
    a.verify();
    // Byte-identical whatever the thread count.
    let b = run("b", "2");
    for sub in ["kept", "dropped"] {
        assert_eq!(a.files(sub), b.files(sub), "{sub}");
    }
    // tamis reads its parquet back: the same documents as the JSONL run keeps.
    let j_out = tmp.path().join("j");
    let j = run_ok(&preset("fineweb-text"), &[&sample], &j_out, &[]);
    let back = run_ok(
        &steps("token_count"),
        &[&a.out.join("kept")],
        &tmp.path().join("back"),
        &["--compression", "none"],
    );
    let again: Vec<Value> = std::fs::read_to_string(back.out.join("kept/00000.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let jsonl = j.jsonl("kept/00000.jsonl.zst");
    assert_eq!(again.len() as u64, st["kept"].as_u64().unwrap());
    assert_eq!(again.len(), jsonl.len());
    for (x, y) in again.iter().zip(&jsonl) {
        assert_eq!((&x["id"], &x["text"]), (&y["id"], &y["text"]));
        assert_eq!(x["metadata"]["url"], y["metadata"]["url"]);
    }
    // PyArrow sees datatrove's schema: text and id strings, metadata a struct.
    let Some(py) = python_with("pyarrow.parquet") else {
        return;
    };
    let script = r#"
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(json.dumps({"schema": [(f.name, str(f.type)) for f in t.schema],
                  "rows": t.to_pylist()}))
"#;
    let o = std::process::Command::new(&py)
        .args([
            "-c",
            script,
            a.out.join("kept/00000.parquet").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema = v["schema"].as_array().unwrap();
    assert_eq!(schema[0], serde_json::json!(["text", "string"]));
    assert_eq!(schema[1], serde_json::json!(["id", "string"]));
    assert_eq!(schema[2][0], "metadata");
    assert!(schema[2][1].as_str().unwrap().starts_with("struct<"), "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), jsonl.len());
    for (r, d) in rows.iter().zip(&jsonl) {
        assert_eq!((&r["id"], &r["text"]), (&d["id"], &d["text"]));
        assert_eq!(r["metadata"]["tamis_config"], d["metadata"]["tamis_config"]);
    }
}

#[test]
fn parquet_outputs_of_a_phased_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample/pages.jsonl");
    let out = tmp.path().join("out");
    let r = run_ok(
        &steps("line_clean,minhash_dedup,fineweb_quality"),
        &[&sample],
        &out,
        &["--format", "parquet"],
    );
    let st = r.stats();
    for sub in ["kept", "dropped"] {
        for (name, _) in r.files(sub) {
            assert!(name.ends_with(".parquet"), "{sub}/{name}");
        }
    }
    assert!(st["kept"].as_u64().unwrap() > 0);
    r.verify();
}

#[test]
fn output_template_puts_kept_documents_under_their_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("docs.jsonl");
    let texts = [
        (
            "e1",
            "The committee met on Tuesday to discuss the new budget for the schools.",
        ),
        (
            "f1",
            "Le conseil municipal s'est réuni mardi pour discuter du nouveau budget.",
        ),
        (
            "e2",
            "Researchers published their findings about the river in a long report.",
        ),
        (
            "d1",
            "Der Stadtrat hat sich am Dienstag getroffen, um den Haushalt zu besprechen.",
        ),
        ("x", ""),
    ];
    let mut f = std::fs::File::create(&input).unwrap();
    for (id, text) in texts {
        let src = if id == "x" { "../../etc" } else { "web" };
        let v = serde_json::json!({"id": id, "text": text, "metadata": {"src": src}});
        writeln!(f, "{v}").unwrap();
    }
    drop(f);
    // The empty document's hostile `src` must still name a directory inside kept/.
    let label = pipeline_run(
        tmp.path(),
        "[[step]]\ntype = \"language\"\nlabel_only = true\n",
    );
    let run = |name: &str, extra: &[&str]| {
        let extra = [&["--output-template", "${src}/${language}/"], extra].concat();
        run_ok(&label, &[&input], &tmp.path().join(name), &extra)
    };
    let a = run("a", &["--threads", "1"]);
    let st = a.stats();
    let mut total = 0;
    for lang in ["en", "fr", "de"] {
        let docs = a.jsonl(&format!("kept/web/{lang}/00000.jsonl.zst"));
        assert!(!docs.is_empty(), "{lang}");
        for d in &docs {
            assert_eq!(d["metadata"]["language"], lang, "{d}");
        }
        total += docs.len();
    }
    let en: Vec<Value> = a
        .jsonl("kept/web/en/00000.jsonl.zst")
        .into_iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(en, ["e1", "e2"]);
    let kept = a.out.join("kept");
    assert!(kept.join("_._.._etc").is_dir());
    assert!(!kept.join("00000.jsonl.zst").exists());
    let all: u64 = walk_files(&kept).len() as u64;
    assert!(all >= 3);
    let mut n = 0u64;
    for p in walk_files(&kept) {
        assert!(p.starts_with(&kept), "{}", p.display());
        n += jsonl_zst(&p).len() as u64;
    }
    assert_eq!(n, st["kept"].as_u64().unwrap());
    assert!(total as u64 <= n);
    a.verify();
    let b = run("b", &["--threads", "2"]);
    let rel = |r: &Run| -> Vec<(PathBuf, Vec<u8>)> {
        walk_files(&r.out.join("kept"))
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(&r.out).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(rel(&a), rel(&b));
    // With parquet: kept/en/00000.parquet.
    let c = run("c", &["--format", "parquet"]);
    assert!(c.out.join("kept/web/en/00000.parquet").is_file());
    c.verify();
    // A template that could leave kept/ is refused.
    let o = try_run(
        &steps("pii"),
        &[&input],
        &tmp.path().join("bad"),
        &["--output-template", "../${language}"],
    );
    assert_eq!(o.code(), Some(2));
    assert!(o.stderr().contains("output template"));
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn fineweb_on_extracted_text_says_which_preset_fits() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("sample");
    let r = run_ok(&preset("fineweb"), &[&sample], &tmp.path().join("out"), &[]);
    // The seed page (.txt) and the sample pages without a URL are dropped by url_filter, and
    // the run says which preset is meant for text.
    let no_url = 1 + std::fs::read_to_string(sample.join("pages.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|d| d["metadata"]["url"].is_null())
        .count();
    let st = r.stats();
    assert_eq!(st["steps"][0]["step"], "url_filter", "{st}");
    assert_eq!(
        st["steps"][0]["dropped_missing_url"].as_u64(),
        Some(no_url as u64),
        "{st}"
    );
    let err = r.stderr();
    assert!(
        err.contains(&format!("note: {no_url} documents had no metadata.url"))
            && err.contains("--preset fineweb-text"),
        "{err}"
    );
    // Without url_filter there is no note.
    let text_out = tmp.path().join("text");
    let text = run_ok(&preset("fineweb-text"), &[&sample], &text_out, &[]);
    assert!(!text.stderr().contains("note:"));
    // The recipe's former name is refused with its new one.
    let old_out = tmp.path().join("old");
    let o = try_run(&preset("fineweb-warc"), &[&sample], &old_out, &[]);
    assert_eq!(o.code(), Some(2));
    let err = o.stderr();
    assert!(err.contains("now called `fineweb`"), "{err}");
}

/// `v` with null object members removed and every number as a float, recursively: a parquet
/// struct has a null for each key a record lacks, and Arrow widens a column of integers and
/// floats to floats; neither changes what a record says. With `digits`, numbers are rounded
/// to that many significant digits: `datasets`' JSON loader parses `0.8400198817253113` as
/// `0.8400198817000001` (the JSON text tamis wrote is exact).
fn comparable(v: &Value, digits: Option<usize>) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), comparable(x, digits)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| comparable(x, digits)).collect()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap();
            match digits {
                Some(d) => Value::String(format!("{f:.d$e}", d = d - 1)),
                None => serde_json::json!(f),
            }
        }
        _ => v.clone(),
    }
}

/// Documents with metadata that varies from record to record: nested objects, lists, keys
/// present in some records only, numbers both integer and not, non-ASCII text; with
/// `mixed`, a key that is an object in some records and a number in others.
fn varied_docs(path: &Path, n: usize, mixed: bool) {
    let mut f = std::fs::File::create(path).unwrap();
    for i in 0..n {
        let mut meta = serde_json::json!({
            "url": format!("https://example.org/{i}"),
            "rank": i,
            "score": i as f64 / 8.0,
            "note": "crème brûlée, 東京, 🌍",
        });
        if i % 3 == 0 {
            meta["nested"] = serde_json::json!({"depth": {"k": i}, "tags": ["a", "b"]});
        }
        if mixed {
            meta["mixed"] = if i % 2 == 0 {
                serde_json::json!({"a": i})
            } else {
                serde_json::json!(i)
            };
        }
        let text = format!(
            "Record {i} of the varied set. The committee met on Tuesday to discuss the new \
             budget for the schools, and write to clerk{i}@example.org with questions.\n\
             Les élèves du collège ont présenté leur projet à la mairie."
        );
        let d = serde_json::json!({"id": format!("v{i}"), "text": text, "metadata": meta});
        writeln!(f, "{d}").unwrap();
    }
}

#[test]
fn hugging_face_datasets_loads_jsonl_and_parquet_outputs() {
    let Some(py) = python_with("datasets") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let varied = tmp.path().join("varied.jsonl");
    varied_docs(&varied, 40, false);
    let sample = root().join("sample");
    // Several files per output (small files, many zstd frames), with edit logs, language
    // scores, token counts and drop reasons in the metadata.
    let run = |name: &str, format: &str, inputs: &[&Path]| {
        let cmd = steps("line_clean,language,pii,token_count");
        let extra = [
            "--format",
            format,
            "--checkpoint-every",
            "5",
            "--max-file-bytes",
            "40K",
        ];
        run_ok(&cmd, inputs, &tmp.path().join(name), &extra)
    };
    let j = run("j", "jsonl", &[&sample, &varied]);
    let p = run("p", "parquet", &[&sample, &varied]);
    let mixed_in = tmp.path().join("mixed.jsonl");
    varied_docs(&mixed_in, 10, true);
    let m = run("m", "parquet", &[&mixed_in]);
    // What tamis wrote, by output directory, in file order.
    let (kept, dropped) = (j.records("kept"), j.records("dropped"));
    let files = |r: &Run, ext: &str| -> usize {
        r.files("kept")
            .iter()
            .filter(|(n, _)| n.ends_with(ext))
            .count()
    };
    assert!(files(&j, ".jsonl.zst") > 1);
    assert!(files(&p, ".parquet") > 1);
    assert!(!dropped.is_empty() && kept.iter().any(|d| d["id"] == "v3"));

    // Each data_files pattern loaded as one dataset, as a user would.
    let script = r#"
import json, sys, datasets
datasets.disable_progress_bars()
cache, loads = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name, (builder, pattern) in loads.items():
    ds = datasets.load_dataset(builder, data_files=pattern, split="train", cache_dir=cache)
    rows = []
    for r in ds:
        meta = r["metadata"]
        if isinstance(meta, str):  # tamis's JSON-text metadata column
            meta = json.loads(meta)
        rows.append({"id": r["id"], "text": r["text"], "metadata": meta})
    out[name] = {"columns": ds.column_names, "rows": rows}
print(json.dumps(out))
"#;
    let pattern = |r: &Run, glob: &str| r.out.join(glob).display().to_string();
    let loads = serde_json::json!({
        "jsonl_kept": ["json", pattern(&j, "kept/*.jsonl.zst")],
        "jsonl_dropped": ["json", pattern(&j, "dropped/*.jsonl.zst")],
        "parquet_kept": ["parquet", pattern(&p, "kept/*.parquet")],
        "parquet_dropped": ["parquet", pattern(&p, "dropped/*.parquet")],
        "parquet_mixed": ["parquet", pattern(&m, "kept/*.parquet")],
    });
    let o = std::process::Command::new(&py)
        .args([
            "-c",
            script,
            tmp.path().join("hf-cache").to_str().unwrap(),
            &loads.to_string(),
        ])
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_CACHE", tmp.path().join("hf-cache"))
        .env("HF_HOME", tmp.path().join("hf-home"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs: Value = serde_json::from_slice(&o.stdout).unwrap();
    let check = |name: &str, want: &[Value], digits: Option<usize>| {
        let t = &theirs[name];
        assert_eq!(
            t["columns"],
            serde_json::json!(["text", "id", "metadata"]),
            "{name}"
        );
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{name}");
        for (r, d) in rows.iter().zip(want) {
            assert_eq!((&r["id"], &r["text"]), (&d["id"], &d["text"]), "{name}");
            assert_eq!(
                comparable(&r["metadata"], digits),
                comparable(&d["metadata"], digits),
                "{name}: {}",
                d["id"]
            );
        }
    };
    check("jsonl_kept", &kept, Some(9));
    check("jsonl_dropped", &dropped, Some(9));
    // The parquet run wrote the same documents as the JSONL run, floats exactly.
    check("parquet_kept", &kept, None);
    check("parquet_dropped", &dropped, None);
    // A key of two types: tamis writes metadata as JSON text, which the script decodes.
    let jm = run("jm", "jsonl", &[&mixed_in]);
    let mixed_kept = jm.jsonl("kept/00000.jsonl.zst");
    assert!(mixed_kept
        .iter()
        .any(|d| d["metadata"]["mixed"].is_object()));
    check("parquet_mixed", &mixed_kept, None);
}
