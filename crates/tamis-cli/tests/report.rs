//! `tamis run --report` and `tamis report`: the page is self-contained, loads in headless
//! Chromium without console errors and lays out every section; its highlighted removals are
//! exactly what the cleaner cut; its data is the same for any thread count and after a killed
//! run is resumed. Chromium is Debian's `chromium` (`.ci/run` installs it); where it is absent
//! the browser checks are skipped with a message and the rest still runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{checkpointed_reads, jsonl_zst, root, tamis, tamis_ok};

const SECTIONS: [&str; 8] = [
    "funnel",
    "reasons",
    "languages",
    "domains",
    "lengths",
    "examples",
    "dedup",
    "run",
];

fn run_report(inputs: &[&str], out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "--report",
        "-o",
        out.to_str().unwrap(),
        "--overwrite",
    ];
    args.extend(extra);
    args.extend(inputs);
    tamis_ok(&args);
}

/// `dir/in.jsonl`: the sample pages `copies` times, each copy under new ids (`c<copy>-<line>`).
fn sample_copies(dir: &Path, copies: usize) -> PathBuf {
    let pages = std::fs::read_to_string(root().join("sample/pages.jsonl")).unwrap();
    let mut data = String::new();
    for copy in 0..copies {
        for (i, l) in pages.lines().enumerate() {
            let mut d: Value = serde_json::from_str(l).unwrap();
            d["id"] = Value::from(format!("c{copy}-{i}"));
            data.push_str(&d.to_string());
            data.push('\n');
        }
    }
    let input = dir.join("in.jsonl");
    std::fs::write(&input, data).unwrap();
    input
}

fn report_json(out: &Path) -> Value {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    without_timings(v)
}

fn without_timings(mut v: Value) -> Value {
    for s in v["steps"].as_array_mut().into_iter().flatten() {
        s["time_s"] = Value::from(0);
    }
    v
}

/// The page refers to nothing outside itself: no `src` attribute, stylesheet link, image,
/// frame, or `url()` or import in its style, and every link is an in-page anchor. (Sample
/// texts are escaped: `<` and `"` in them become entities, so they cannot form a tag or an
/// attribute value, which is why the literal forms below are what to look for.)
fn assert_self_contained(html: &str) {
    for bad in [" src=\"", "<link", "<iframe", "<img", "<object", "<embed"] {
        assert!(!html.contains(bad), "the page contains {bad:?}");
    }
    let style = html
        .split("<style>")
        .nth(1)
        .unwrap()
        .split("</style>")
        .next()
        .unwrap();
    for bad in ["url(", "@import"] {
        assert!(!style.contains(bad), "the style contains {bad:?}");
    }
    for (i, _) in html.match_indices("href=\"") {
        assert!(
            html[i + 6..].starts_with('#'),
            "external link at {i}: {}",
            &html[i..(i + 60).min(html.len())]
        );
    }
}

/// Documents by id from JSONL files (plain or .zst).
fn docs_by_id(files: &[PathBuf]) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for f in files {
        let docs: Vec<Value> = if f.extension().is_some_and(|e| e == "zst") {
            jsonl_zst(f)
        } else {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        for d in docs {
            out.insert(d["id"].as_str().unwrap().to_owned(), d);
        }
    }
    out
}

/// Every highlighted example of a cleaning rule is a window of the document as read, and its
/// highlights are exactly the entries of the written document's edit log that fall in the
/// window, each with its rule. Returns how many examples were checked.
fn assert_marks_match_the_logs(out: &Path, inputs: &HashMap<String, Value>) -> usize {
    let mut written = Vec::new();
    for sub in ["kept", "dropped"] {
        for f in std::fs::read_dir(out.join(sub)).unwrap() {
            written.push(f.unwrap().path());
        }
    }
    let written = docs_by_id(&written);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let mut checked = 0;
    for (cat, samples) in report["samples"]["by_category"].as_object().unwrap() {
        let Some(rule) = cat.strip_prefix("edit:") else {
            continue;
        };
        for s in samples.as_array().unwrap() {
            let id = s["id"].as_str().unwrap();
            let Some(input) = inputs.get(id) else {
                continue; // the .txt seed page: its id is its path
            };
            let orig = input["text"].as_str().unwrap();
            let text = s["text"].as_str().unwrap();
            let at = s["offset"].as_u64().unwrap() as usize;
            assert_eq!(
                &orig[at..at + text.len()],
                text,
                "{cat}: {id}: not a window of the input"
            );
            let log = written[id]["metadata"]["tamis_edits"].as_array().unwrap();
            let in_window: Vec<&Value> = log
                .iter()
                .filter(|e| {
                    let (a, b) = (
                        e["byte_start"].as_u64().unwrap() as usize,
                        e["byte_end"].as_u64().unwrap() as usize,
                    );
                    a < at + text.len() && b > at
                })
                .collect();
            let marks = s["marks"].as_array().unwrap();
            assert_eq!(marks.len(), in_window.len(), "{cat}: {id}: marks {marks:?}");
            for (m, e) in marks.iter().zip(&in_window) {
                assert_eq!(m["rule"], e["rule"]);
                let (a, b) = (
                    e["byte_start"].as_u64().unwrap() as usize,
                    e["byte_end"].as_u64().unwrap() as usize,
                );
                let (ma, mb) = (
                    m["start"].as_u64().unwrap() as usize + at,
                    m["end"].as_u64().unwrap() as usize + at,
                );
                assert_eq!((ma, mb), (a.max(at), b.min(at + text.len())), "{cat}: {id}");
                assert_eq!(m["replacement"], e["replacement"]);
            }
            assert!(
                marks.iter().any(|m| m["rule"] == rule),
                "{cat}: {id}: no mark of the rule"
            );
            checked += 1;
        }
    }
    checked
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TAMIS_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Loads `page` in headless Chromium; returns the DOM after its scripts ran and the browser's
/// log (console messages appear there as `CONSOLE`). With `screenshot`, also takes one.
fn browse(bin: &Path, page: &Path, tmp: &Path, screenshot: Option<&Path>) -> (String, String) {
    let profile = tempfile::tempdir_in(tmp).unwrap();
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(png) => {
            cmd.arg(format!("--screenshot={}", png.display()))
                .arg("--window-size=1280,2600");
        }
        None => {
            cmd.arg("--dump-dom");
        }
    }
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let stdout = tmp.join("chromium.out");
    let stderr = tmp.join("chromium.err");
    let mut child = cmd
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        std::fs::read_to_string(stdout).unwrap(),
        std::fs::read_to_string(stderr).unwrap(),
    )
}

fn console_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// The browser checks of one report: loads, no console message, every section laid out, and a
/// screenshot that is a real PNG. Skipped (with a message) without Chromium.
fn check_in_browser(out: &Path, tmp: &Path) {
    let Some(bin) = chromium() else {
        eprintln!(
            "skipping the browser checks: no chromium on PATH (apt-get install chromium, or set \
             TAMIS_CHROMIUM)"
        );
        return;
    };
    let page = out.join("report.html");
    let (dom, log) = browse(&bin, &page, tmp, None);
    assert!(
        console_lines(&log).is_empty(),
        "console messages: {:?}",
        console_lines(&log)
    );
    let rendered = dom
        .split("data-rendered=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("the script did not finish (no data-rendered); log:\n{log}"));
    let shown: Vec<&str> = rendered.split_whitespace().collect();
    assert_eq!(shown, SECTIONS, "sections laid out");
    let png = tmp.join("report.png");
    let (_, log) = browse(&bin, &page, tmp, Some(&png));
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}); log:\n{log}"));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "{}",
        bytes.len()
    );
}

#[test]
fn the_console_check_catches_a_script_error() {
    // The detector the report tests rely on, shown to fire on a page that throws.
    let Some(bin) = chromium() else {
        eprintln!("skipping: no chromium on PATH");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("bad.html");
    std::fs::write(
        &page,
        "<html><body><script>notDefined();</script></body></html>",
    )
    .unwrap();
    let (_, log) = browse(&bin, &page, tmp.path(), None);
    let lines = console_lines(&log);
    assert!(lines.iter().any(|l| l.contains("notDefined")), "{log}");
}

#[test]
fn report_of_the_sample_renders_and_highlights_the_removed_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sample = root().join("sample");
    run_report(
        &[sample.to_str().unwrap()],
        &out,
        &["--preset", "clean", "--threads", "2"],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    for s in SECTIONS {
        assert!(html.contains(&format!("<section id=\"{s}\"")), "{s}");
    }
    let report = report_json(&out);
    let stats = common::stats(&out);
    // The funnel's counts are the run's.
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[0]["step"], "line_clean");
    assert_eq!(steps[0]["docs_in"], stats["read"]);
    for (r, s) in steps.iter().zip(stats["steps"].as_array().unwrap()) {
        assert_eq!(r["docs_in"], s["total"]);
        assert_eq!(
            r["docs_dropped"].as_u64(),
            Some(s["dropped"].as_u64().unwrap_or(0))
        );
        let (i, d, o) = (
            r["bytes_in"].as_u64().unwrap(),
            r["bytes_dropped"].as_u64().unwrap(),
            r["bytes_out"].as_u64().unwrap(),
        );
        assert!(d + o <= i, "{r}");
    }
    assert_eq!(report["kept"]["docs"], stats["kept"]);
    assert_eq!(report["dropped"]["docs"], stats["dropped"]);
    assert_eq!(report["input"]["bytes"], stats["input_text_bytes"]);
    // line_clean removes lines from the seed page: its rules have highlighted examples.
    let cats: Vec<&String> = report["samples"]["by_category"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(cats.iter().any(|c| c.starts_with("edit:")), "{cats:?}");
    assert!(cats.iter().any(|c| c.starts_with("drop:")), "{cats:?}");
    assert!(html.contains("<del class=\"rm\""));
    let inputs = docs_by_id(&[sample.join("pages.jsonl")]);
    let checked = assert_marks_match_the_logs(&out, &inputs);
    assert!(checked > 0, "no example of a kept document to check");
    // `tamis report` renders the same page again from the data.
    let first = html;
    std::fs::remove_file(out.join("report.html")).unwrap();
    tamis_ok(&["report", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        first
    );
    check_in_browser(&out, tmp.path());
}

/// Real pages (the extraction tests' ScrapingHub HTML) as JSONL records whose text is HTML.
fn html_pages(dir: &Path) -> PathBuf {
    use std::io::Read;
    let src = root().join("crates/tamis-extract/tests/data/scrapinghub");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(".html.gz"))
        .collect();
    files.sort();
    let mut data = String::new();
    for f in files {
        let mut html = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&f).unwrap())
            .read_to_string(&mut html)
            .unwrap();
        let id = f.file_name().unwrap().to_str().unwrap();
        data.push_str(&serde_json::json!({ "id": id, "text": html }).to_string());
        data.push('\n');
    }
    let input = dir.join("pages.jsonl");
    std::fs::write(&input, data).unwrap();
    input
}

#[test]
fn examples_after_extraction_show_the_extracted_text() {
    // `extract` replaces the HTML before `line_clean` logs its cuts, so the log refers to the
    // extracted text, not the text as read: the examples must be cut from that text.
    let tmp = tempfile::tempdir().unwrap();
    let input = html_pages(tmp.path());
    let input = input.to_str().unwrap();
    let extract = "[[step]]\ntype = \"extract\"\n";
    let only = tmp.path().join("extract.toml");
    std::fs::write(&only, extract).unwrap();
    let extracted = tmp.path().join("extracted");
    tamis_ok(&[
        "run",
        "--pipeline",
        only.to_str().unwrap(),
        input,
        "-o",
        extracted.to_str().unwrap(),
        "--compression",
        "none",
    ]);
    let both = tmp.path().join("both.toml");
    std::fs::write(&both, format!("{extract}[[step]]\ntype = \"line_clean\"\n")).unwrap();
    let out = tmp.path().join("out");
    run_report(&[input], &out, &["--pipeline", both.to_str().unwrap()]);
    let report = report_json(&out);
    assert_eq!(report["edits_without_base"], 0);
    let texts = docs_by_id(&[extracted.join("kept/00000.jsonl")]);
    let checked = assert_marks_match_the_logs(&out, &texts);
    assert!(checked > 0, "no example of a cleaning rule: {report}");
}

#[test]
fn report_needs_the_data_of_a_report_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sample = root().join("sample/pages.jsonl");
    tamis_ok(&[
        "run",
        "--preset",
        "clean",
        sample.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!out.join("report.json").exists());
    let o = tamis(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("report.json is missing"));
}

#[test]
fn report_of_a_dedup_pipeline_shows_clusters() {
    let tmp = tempfile::tempdir().unwrap();
    // The sample pages twice: every page has an exact duplicate.
    let input = sample_copies(tmp.path(), 2);
    let out = tmp.path().join("out");
    run_report(
        &[input.to_str().unwrap()],
        &out,
        &["--steps", "line_clean,minhash_dedup,gopher_quality"],
    );
    let report = report_json(&out);
    let stats = common::stats(&out);
    let names: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    let stat_names: Vec<&str> = stats["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(names, stat_names);
    let d = &report["dedup"][0];
    assert_eq!(d["docs"], stats["steps"][1]["total"]);
    assert_eq!(d["dropped"], stats["steps"][1]["dropped"]);
    // Every page in a cluster, each cluster counted once.
    let by_size = d["clusters_by_size"].as_object().unwrap();
    let docs: u64 = by_size
        .iter()
        .map(|(s, n)| s.parse::<u64>().unwrap() * n.as_u64().unwrap())
        .sum();
    assert_eq!(docs, d["docs"].as_u64().unwrap());
    assert!(by_size["2"].as_u64().unwrap() >= 20, "{by_size:?}");
    let ex = d["examples"].as_array().unwrap();
    assert!(!ex.is_empty());
    for c in ex {
        // Mostly pairs (a page and its copy); two of the sample's pages are near-duplicates of
        // each other, so their copies make one cluster of four.
        let n = c["members"].as_array().unwrap().len();
        assert!(by_size.contains_key(&n.to_string()), "{n} {by_size:?}");
        assert!(n >= 2);
    }
    // The input population is the first phase's, the kept one the last phase's.
    assert_eq!(report["input"]["docs"], stats["read"]);
    assert_eq!(report["kept"]["docs"], stats["kept"]);
    assert_eq!(report["dropped"]["docs"], stats["dropped"]);
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("cluster size"));
}

#[test]
fn report_data_is_the_same_for_any_thread_count_and_after_a_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_copies(tmp.path(), 60);
    let input = input.to_str().unwrap();
    let base = ["--preset", "clean", "--checkpoint-every", "53"];
    let one = tmp.path().join("one");
    run_report(&[input], &one, &[&base[..], &["--threads", "1"]].concat());
    let two = tmp.path().join("two");
    run_report(&[input], &two, &[&base[..], &["--threads", "2"]].concat());
    assert_eq!(report_json(&one), report_json(&two));

    // Killed once its checkpoint has passed a third of the records, then rerun.
    let out = tmp.path().join("resumed");
    let mut args: Vec<String> = ["run", "--report", "-o", out.to_str().unwrap(), input]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(base.iter().map(|s| s.to_string()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamis"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let total = 60
        * std::fs::read_to_string(root().join("sample/pages.jsonl"))
            .unwrap()
            .lines()
            .count() as u64;
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if checkpointed_reads(&out) >= total / 3 {
            child.kill().unwrap();
            child.wait().unwrap();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    if killed {
        let cp: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(".checkpoint.json")).unwrap())
                .unwrap();
        assert!(
            cp["report"]["input"]["docs"].as_u64().unwrap() > 0,
            "the checkpoint holds the report data"
        );
        tamis_ok(&args);
    } else {
        eprintln!("the run finished before it could be killed; comparing the finished run");
    }
    assert_eq!(report_json(&out), report_json(&one));
}

#[test]
fn report_of_the_shared_corpus_renders_in_a_browser() {
    let corpus = root().join("../shared/data/corpus/pages.jsonl.zst");
    if !corpus.exists() {
        eprintln!(
            "skipping: {} is absent (a fresh clone has no ../shared)",
            corpus.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_report(
        &[corpus.to_str().unwrap()],
        &out,
        &["--steps", "line_clean,pii,gopher_repetition,gopher_quality,c4_quality,fineweb_quality,token_count"],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    // Bounded: a few hundred KB for tens of MB of text.
    assert!(html.len() < 3 << 20, "{} bytes", html.len());
    let report = report_json(&out);
    let stats = common::stats(&out);
    assert_eq!(report["kept"]["docs"], stats["kept"]);
    assert_eq!(
        report["kept"]["tokens"]["count"], stats["kept"],
        "every kept doc was counted"
    );
    let domains = report["kept"]["domains"]["counts"].as_object().unwrap();
    assert!(domains.len() > 10, "{}", domains.len());
    assert!(assert_marks_match_the_logs(&out, &docs_by_id(std::slice::from_ref(&corpus))) > 5);
    // pii replacements show as replacements.
    assert!(html.contains("<ins title=\"pii"), "no pii example");
    check_in_browser(&out, tmp.path());
}
