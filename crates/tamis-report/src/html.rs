//! The report as one HTML page: inline CSS, inline SVG, a little inline JavaScript, and no
//! request to anything outside the file, so it opens from disk anywhere and can be mailed.
//! Everything is drawn here in Rust; the script only adds filtering and expand/collapse, and
//! marks which sections it found laid out (`data-rendered` on `<html>`), which the browser test
//! reads.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::acc::{ReportData, RuleTally};
use crate::dedup::DedupSummary;
use crate::hist::{lower, Hist};
use crate::sample::Sample;

/// The sections, in page order: (id, title).
pub const SECTIONS: [(&str, &str); 8] = [
    ("funnel", "Funnel"),
    ("reasons", "Drop reasons"),
    ("languages", "Languages"),
    ("domains", "Domains"),
    ("lengths", "Lengths"),
    ("examples", "Examples"),
    ("dedup", "Deduplication"),
    ("run", "Run"),
];

const CSS: &str = r#"
:root{--fg:#1d232b;--mut:#5b6673;--line:#dde2e8;--a:#2f6fb0;--b:#c8553d;--k:#3a8f5c;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0 0 4px;font-size:21px}
nav a{margin-right:14px;color:var(--a);text-decoration:none}
main{padding:8px 28px 40px;max-width:1200px}
section{margin:26px 0;padding-top:4px;border-top:1px solid var(--line)}
h2{font-size:17px;margin:10px 0}
h3{font-size:14px;margin:14px 0 6px}
.muted{color:var(--mut)}
.kpis{display:flex;gap:26px;flex-wrap:wrap;margin-top:8px}
.kpi b{display:block;font-size:19px}
table{border-collapse:collapse;margin:6px 0}
th,td{padding:3px 10px;text-align:right;border-bottom:1px solid var(--line);vertical-align:middle;white-space:nowrap}
td.l,pre{white-space:normal}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;color:var(--mut);font-size:12px}
td.l{text-align:left}
.bar{width:150px;height:11px;background:var(--soft);border-radius:2px;position:relative}
.bar span{display:block;height:100%;background:var(--a);border-radius:2px}
.bar.drop span{background:var(--b)}
.bar.kept span{background:var(--k)}
.cols{display:flex;flex-wrap:wrap;gap:34px}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}
svg text{font:10px system-ui,sans-serif;fill:var(--mut)}
pre.doc{white-space:pre-wrap;word-break:break-word;background:var(--soft);border:1px solid var(--line);padding:8px 10px;max-height:340px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:4px 0 10px}
del.rm{background:#f9d6cf;color:#7a1e0c;text-decoration:line-through;text-decoration-color:#c8553d80}
del.other{background:#ece6f5;color:#4b3a6b;text-decoration:line-through}
ins{background:#d4efdc;text-decoration:none}
details{margin:6px 0;border:1px solid var(--line);border-radius:4px;padding:4px 10px}
summary{cursor:pointer;font-weight:600}
.tools{margin:8px 0}
.tools input{padding:3px 6px;width:260px}
.tools button{margin-left:6px}
.clip{color:var(--mut);font-style:italic}
"#;

const SCRIPT: &str = r#"
(function () {
  var box = document.getElementById('example-filter');
  var all = Array.prototype.slice.call(document.querySelectorAll('#examples details'));
  if (box) {
    box.addEventListener('input', function () {
      var q = box.value.toLowerCase();
      all.forEach(function (d) {
        d.style.display = d.getAttribute('data-cat').toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
    });
  }
  function setAll(open) { all.forEach(function (d) { d.open = open; }); }
  var ex = document.getElementById('expand-all');
  var co = document.getElementById('collapse-all');
  if (ex) ex.addEventListener('click', function () { setAll(true); });
  if (co) co.addEventListener('click', function () { setAll(false); });
  var shown = [];
  document.querySelectorAll('section[data-section]').forEach(function (s) {
    var r = s.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) shown.push(s.id);
  });
  document.documentElement.setAttribute('data-rendered', shown.join(' '));
})();
"#;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn int(n: u64) -> String {
    let s = n.to_string();
    let groups: Vec<&str> = s
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or(""))
        .collect();
    groups.join(",")
}

fn bytes(n: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn bar(part: u64, whole: u64, class: &str) -> String {
    let w = if whole == 0 {
        0.0
    } else {
        (part as f64 * 100.0 / whole as f64).min(100.0)
    };
    format!(r#"<div class="bar {class}"><span style="width:{w:.2}%"></span></div>"#)
}

fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// Renders the page from the accumulated data, `stats.json` and `manifest.json` (either may be
/// `Value::Null` when absent; the sections say what is missing).
pub fn render(title: &str, data: &ReportData, stats: &Value, manifest: &Value) -> String {
    let mut h = String::with_capacity(256 << 10);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>tamis report: {}</title><style>{CSS}</style></head><body>",
        esc(title)
    );
    header(&mut h, title, stats);
    h.push_str("<main>");
    funnel(&mut h, data, stats);
    reasons(&mut h, stats);
    languages(&mut h, data);
    domains(&mut h, data);
    lengths(&mut h, data);
    examples(&mut h, data);
    dedup(&mut h, &data.dedup);
    run(&mut h, stats, manifest);
    let _ = writeln!(h, "</main><script>{SCRIPT}</script></body></html>");
    h
}

fn open_section(h: &mut String, id: &str) {
    let title = SECTIONS
        .iter()
        .find(|(s, _)| *s == id)
        .map_or(id, |(_, t)| t);
    let _ = write!(h, "<section id=\"{id}\" data-section><h2>{title}</h2>");
}

fn header(h: &mut String, title: &str, stats: &Value) {
    let read = u(stats, "read");
    let _ = write!(
        h,
        "<header><h1>tamis run report</h1><div class=\"muted\">{} · config {} · tamis {}</div>\
         <div class=\"kpis\">",
        esc(title),
        esc(stats["tamis_config"].as_str().unwrap_or("?")),
        esc(stats["tamis_version"].as_str().unwrap_or("?")),
    );
    for (k, label) in [
        ("read", "read"),
        ("kept", "kept"),
        ("dropped", "dropped"),
        ("quarantined", "quarantined"),
    ] {
        let n = u(stats, k);
        let share = if k == "read" {
            String::new()
        } else {
            format!(" <span class=\"muted\">{}</span>", pct(n, read))
        };
        let _ = write!(
            h,
            "<div class=\"kpi\"><b>{}</b>{label}{share}</div>",
            int(n)
        );
    }
    let _ = write!(
        h,
        "<div class=\"kpi\"><b>{}</b>text read</div><div class=\"kpi\"><b>{:.2} s</b>wall time</div></div><nav>",
        bytes(u(stats, "input_text_bytes")),
        stats["elapsed_s"].as_f64().unwrap_or(0.0)
    );
    for (id, t) in SECTIONS {
        let _ = write!(h, "<a href=\"#{id}\">{t}</a>");
    }
    h.push_str("</nav></header>");
}

/// A funnel row: step, documents in, dropped, and bytes in, dropped and out when recorded.
type FunnelRow = (String, u64, u64, Option<(u64, u64, u64)>);

fn funnel(h: &mut String, data: &ReportData, stats: &Value) {
    open_section(h, "funnel");
    let read = u(stats, "read").max(data.input.docs);
    let in_bytes = data.input.bytes.max(u(stats, "input_text_bytes"));
    h.push_str(
        "<p class=\"muted\">Documents and text bytes entering each step, removed by it (dropped \
         documents, and lines or spans cut from the ones it passed on), and passed on.</p>\
         <table><tr><th>step</th><th>docs in</th><th>dropped</th><th>docs out</th><th></th>\
         <th>bytes in</th><th>bytes dropped</th><th>bytes edited out</th><th>bytes out</th><th></th></tr>",
    );
    let _ = write!(
        h,
        "<tr><td>read</td><td>{}</td><td></td><td>{}</td><td>{}</td><td></td><td></td><td></td><td>{}</td><td>{}</td></tr>",
        int(read),
        int(data.input.docs),
        bar(data.input.docs, read, ""),
        bytes(in_bytes),
        bar(in_bytes, in_bytes, "")
    );
    let q = u(stats, "quarantined");
    if q > 0 {
        let _ = write!(
            h,
            "<tr><td>quarantined (unreadable)</td><td>{}</td><td>{}</td><td></td><td></td><td colspan=5></td></tr>",
            int(read),
            int(q)
        );
    }
    let steps: Vec<FunnelRow> = if data.steps.is_empty() {
        stats["steps"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        let name = s["step"].as_str().unwrap_or("?").to_owned();
                        (name, u(s, "total"), u(s, "dropped"), None)
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        data.steps
            .iter()
            .map(|s| {
                let b = (s.bytes_in, s.bytes_dropped, s.bytes_out);
                (s.step.clone(), s.docs_in, s.docs_dropped, Some(b))
            })
            .collect()
    };
    for (name, din, ddrop, b) in steps {
        let out = din.saturating_sub(ddrop);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td>",
            esc(&name),
            int(din),
            int(ddrop),
            pct(ddrop, din),
            int(out),
            bar(out, read, "kept")
        );
        match b {
            Some((bin, bdrop, bout)) => {
                let edited = bin.saturating_sub(bdrop).saturating_sub(bout);
                let _ = write!(
                    h,
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    bytes(bin),
                    bytes(bdrop),
                    bytes(edited),
                    bytes(bout),
                    bar(bout, in_bytes, "kept")
                );
            }
            None => h.push_str("<td colspan=5 class=\"muted l\">bytes not recorded</td></tr>"),
        }
    }
    let _ = write!(
        h,
        "<tr><td><b>kept</b></td><td></td><td></td><td><b>{}</b></td><td>{}</td><td></td><td></td><td></td><td><b>{}</b></td><td>{}</td></tr></table>",
        int(data.kept.docs),
        bar(data.kept.docs, read, "kept"),
        bytes(data.kept.bytes),
        bar(data.kept.bytes, in_bytes, "kept")
    );
    h.push_str("</section>");
}

fn reasons(h: &mut String, stats: &Value) {
    open_section(h, "reasons");
    let steps = stats["steps"].as_array().cloned().unwrap_or_default();
    let mut any = false;
    h.push_str("<div class=\"cols\">");
    for s in &steps {
        let total = u(s, "total");
        let mut rs: Vec<(String, u64)> = s
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| {
                        Some((k.strip_prefix("dropped_")?.to_owned(), v.as_u64()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        rs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let dropped = u(s, "dropped");
        let _ = write!(
            h,
            "<div><h3>{} <span class=\"muted\">dropped {} of {} ({})</span></h3>",
            esc(s["step"].as_str().unwrap_or("?")),
            int(dropped),
            int(total),
            pct(dropped, total)
        );
        if rs.is_empty() {
            h.push_str("<p class=\"muted\">drops nothing</p></div>");
            continue;
        }
        any = true;
        h.push_str("<table><tr><th>reason</th><th>docs</th><th>of step input</th><th></th></tr>");
        let top = rs.first().map_or(1, |r| r.1);
        for (r, n) in rs {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r),
                int(n),
                pct(n, total),
                bar(n, top, "drop")
            );
        }
        h.push_str("</table></div>");
    }
    h.push_str("</div>");
    if !any {
        h.push_str("<p class=\"muted\">No step dropped a document.</p>");
    }
    h.push_str("</section>");
}

fn two_way(
    h: &mut String,
    title: &str,
    kept: &[(String, u64)],
    dropped: &BTreeMap<String, u64>,
    kept_total: u64,
    dropped_total: u64,
) {
    let _ = write!(
        h,
        "<div><h3>{title}</h3><table><tr><th></th><th>kept</th><th>share</th><th></th><th>dropped</th><th>share</th><th></th></tr>"
    );
    let kmax = kept.iter().map(|r| r.1).max().unwrap_or(1);
    let dmax = dropped.values().copied().max().unwrap_or(1);
    for (k, n) in kept {
        let d = dropped.get(k).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            int(*n),
            pct(*n, kept_total),
            bar(*n, kmax, "kept"),
            int(d),
            pct(d, dropped_total),
            bar(d, dmax, "drop")
        );
    }
    h.push_str("</table></div>");
}

/// Keys by count over both populations, heaviest first, at most `n`.
fn union_top(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut all: BTreeMap<&str, u64> = BTreeMap::new();
    for (k, v) in a.iter().chain(b) {
        *all.entry(k).or_default() += v;
    }
    let mut v: Vec<(&str, u64)> = all.into_iter().collect();
    v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    v.into_iter()
        .take(n)
        .map(|(k, _)| (k.to_owned(), a.get(k).copied().unwrap_or(0)))
        .collect()
}

fn languages(h: &mut String, data: &ReportData) {
    open_section(h, "languages");
    let (k, d) = (&data.kept, &data.dropped);
    let only_unknown = k
        .languages
        .keys()
        .chain(d.languages.keys())
        .all(|l| l == "unknown");
    if only_unknown {
        h.push_str(
            "<p class=\"muted\">No document carries <code>metadata.language</code>: the pipeline \
             has no <code>language</code> step and the input had none. Every document counts as \
             <i>unknown</i> below.</p>",
        );
    }
    h.push_str("<div class=\"cols\">");
    let rows = union_top(&k.languages, &d.languages, 20);
    two_way(
        h,
        "kept and dropped documents by language",
        &rows,
        &d.languages,
        k.docs,
        d.docs,
    );
    if !data.dropped_languages.is_empty() {
        h.push_str("<div><h3>dropped by step and language</h3><table><tr><th>step</th><th>language</th><th>dropped</th></tr>");
        for (step, langs) in &data.dropped_languages {
            let mut v: Vec<(&String, &u64)> = langs.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (l, n) in v.into_iter().take(8) {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td></tr>",
                    esc(step),
                    esc(l),
                    int(*n)
                );
            }
        }
        h.push_str("</table></div>");
    }
    h.push_str("</div></section>");
}

fn domains(h: &mut String, data: &ReportData) {
    open_section(h, "domains");
    let (k, d) = (&data.kept.domains, &data.dropped.domains);
    if k.total() + d.total() == 0 {
        h.push_str("<p class=\"muted\">No document carries <code>metadata.url</code>, so there are no domains to count.</p>");
    } else {
        let rows = union_top(&k.counts, &d.counts, 25);
        h.push_str("<div class=\"cols\">");
        two_way(
            h,
            "top domains (URL host, without www.)",
            &rows,
            &d.counts,
            k.total(),
            d.total(),
        );
        h.push_str("</div>");
        let distinct = data.input.domains.counts.len();
        let _ = write!(
            h,
            "<p class=\"muted\">{} distinct domains read{}.</p>",
            int(distinct as u64),
            if data.input.domains.other > 0 {
                format!(
                    "; past {} domains the lightest were folded away ({} documents), so counts are lower bounds",
                    int(crate::acc::DOMAIN_CAP as u64),
                    int(data.input.domains.other)
                )
            } else {
                String::new()
            }
        );
    }
    h.push_str("</section>");
}

/// Two histograms on a shared half-octave axis, as shares of their populations.
fn hist_svg(h: &mut String, title: &str, a: &Hist, b: &Hist, labels: (&str, &str)) {
    let _ = write!(h, "<div><h3>{title}</h3>");
    if a.count == 0 && b.count == 0 {
        h.push_str("<p class=\"muted\">no values</p></div>");
        return;
    }
    let first = |x: &Hist| x.bins.iter().position(|&c| c > 0);
    let lo = first(a).into_iter().chain(first(b)).min().unwrap_or(0);
    let hi = a.bins.len().max(b.bins.len());
    let share = |x: &Hist, i: usize| {
        if x.count == 0 {
            0.0
        } else {
            x.bins.get(i).copied().unwrap_or(0) as f64 / x.count as f64
        }
    };
    let max = (lo..hi)
        .map(|i| share(a, i).max(share(b, i)))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let n = (hi - lo).max(1);
    let (w, ht, pad) = (440.0, 150.0, 22.0);
    let bw = w / n as f64;
    let _ = write!(
        h,
        "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">",
        w + 10.0,
        ht + pad + 4.0,
        w + 10.0,
        ht + pad + 4.0
    );
    for i in lo..hi {
        let x = (i - lo) as f64 * bw;
        for (j, (hist, color)) in [(a, "#9aa7b4"), (b, "#2f6fb0")].iter().enumerate() {
            let s = share(hist, i);
            let bh = s / max * ht;
            let _ = write!(
                h,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"><title>{} to {}: {} ({:.1}%)</title></rect>",
                x + j as f64 * bw / 2.0,
                ht - bh,
                (bw / 2.0 - 0.5).max(0.5),
                bh,
                int(lower(i)),
                int(lower(i + 1).saturating_sub(1)),
                if j == 0 { labels.0 } else { labels.1 },
                s * 100.0
            );
        }
        if (i - lo) % 4 == 0 {
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                x,
                ht + 14.0,
                compact(lower(i))
            );
        }
    }
    let _ = write!(
        h,
        "<line x1=\"0\" y1=\"{ht}\" x2=\"{w}\" y2=\"{ht}\" stroke=\"#ccc\"/></svg>\
         <div class=\"legend muted\"><i style=\"background:#9aa7b4\"></i>{} ({}, median ≈ {}) \
         <i style=\"background:#2f6fb0\"></i>{} ({}, median ≈ {})</div></div>",
        labels.0,
        int(a.count),
        a.median_bin_lower().map_or("–".into(), int),
        labels.1,
        int(b.count),
        b.median_bin_lower().map_or("–".into(), int),
    );
}

fn lengths(h: &mut String, data: &ReportData) {
    open_section(h, "lengths");
    h.push_str(
        "<p class=\"muted\">Share of documents per length bin (two bins per doubling, log \
         scale), as read and as kept. Words are split on ASCII spaces and control characters. Tokens \
         are <code>metadata.token_count</code> where present (the <code>token_count</code> step \
         writes it, GPT-2); tamis does not tokenise for the report.</p><div class=\"cols\">",
    );
    let (i, k) = (&data.input, &data.kept);
    hist_svg(h, "characters", &i.chars, &k.chars, ("read", "kept"));
    hist_svg(h, "words", &i.words, &k.words, ("read", "kept"));
    hist_svg(h, "tokens", &i.tokens, &k.tokens, ("read", "kept"));
    h.push_str("</div></section>");
}

fn sample_html(h: &mut String, s: &Sample, rule: Option<&str>) {
    let _ = write!(h, "<div class=\"muted\">{}", esc(&s.id));
    if let Some(url) = &s.url {
        let _ = write!(h, " · {}", esc(url));
    }
    h.push_str("</div><pre class=\"doc\">");
    if s.clipped_start {
        h.push_str("<span class=\"clip\">…</span>");
    }
    let mut pos = 0;
    for m in &s.marks {
        if m.start < pos || m.end > s.text.len() || m.start > m.end {
            continue;
        }
        if !s.text.is_char_boundary(m.start) || !s.text.is_char_boundary(m.end) {
            continue;
        }
        h.push_str(&esc(&s.text[pos..m.start]));
        let class = if rule == Some(m.rule.as_str()) {
            "rm"
        } else {
            "other"
        };
        let _ = write!(
            h,
            "<del class=\"{class}\" title=\"{}\">{}</del>",
            esc(&m.rule),
            esc(&s.text[m.start..m.end])
        );
        if let Some(r) = &m.replacement {
            let _ = write!(h, "<ins title=\"{}\">{}</ins>", esc(&m.rule), esc(r));
        }
        pos = m.end;
    }
    h.push_str(&esc(&s.text[pos.min(s.text.len())..]));
    if s.clipped_end {
        h.push_str("<span class=\"clip\">… (cut)</span>");
    }
    h.push_str("</pre>");
}

fn rule_line(t: Option<&RuleTally>) -> String {
    t.map_or(String::new(), |t| {
        format!(
            "{} docs, {} lines, {}",
            int(t.docs),
            int(t.lines),
            bytes(t.bytes)
        )
    })
}

fn examples(h: &mut String, data: &ReportData) {
    open_section(h, "examples");
    h.push_str(
        "<p class=\"muted\">For each cleaning rule and each drop reason, a few documents chosen \
         by a hash of their id (the same ones whatever the thread count). Cleaning examples show \
         the text as read with the rule's removals <del class=\"rm\">struck through in red</del>, \
         other rules' in <del class=\"other\">purple</del> and replacements <ins>in green</ins>; \
         drop examples show the text the dropping step saw.</p>\
         <div class=\"tools\"><input id=\"example-filter\" placeholder=\"filter by rule, step or reason\">\
         <button id=\"expand-all\" type=\"button\">expand all</button>\
         <button id=\"collapse-all\" type=\"button\">collapse all</button></div>",
    );
    let cats = &data.samples.by_category;
    if cats.is_empty() {
        h.push_str(
            "<p class=\"muted\">Nothing was cleaned or dropped, so there is nothing to show.</p>",
        );
    }
    let mut rules: Vec<&String> = data
        .rules_kept
        .keys()
        .chain(data.rules_dropped.keys())
        .collect();
    rules.sort();
    rules.dedup();
    if !rules.is_empty() {
        h.push_str("<h3>cleaning rules</h3><table><tr><th>rule</th><th>in kept documents</th><th>in dropped documents</th></tr>");
        for r in &rules {
            let _ = write!(
                h,
                "<tr><td><a href=\"#ex-edit-{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                esc(r),
                esc(r),
                rule_line(data.rules_kept.get(*r)),
                rule_line(data.rules_dropped.get(*r))
            );
        }
        h.push_str("</table>");
        if data.edits_without_base > 0 {
            let _ = write!(
                h,
                "<p class=\"muted\">{} edited documents could not be shown: their edit log \
                 came with the input, so it starts from a text this run never saw.</p>",
                int(data.edits_without_base)
            );
        }
    }
    for (i, (cat, samples)) in cats.iter().enumerate() {
        let (anchor, label, rule) = match cat.split_once(':') {
            Some(("edit", r)) => (
                format!("ex-edit-{r}"),
                format!("cleaning rule <b>{}</b>", esc(r)),
                Some(r),
            ),
            Some(("drop", rest)) => {
                let (step, reason) = rest.split_once(':').unwrap_or((rest, ""));
                (
                    format!("ex-drop-{step}-{reason}"),
                    format!("dropped by <b>{}</b>: {}", esc(step), esc(reason)),
                    None,
                )
            }
            _ => (format!("ex-{i}"), esc(cat), None),
        };
        let _ = write!(
            h,
            "<details id=\"{}\" data-cat=\"{}\"{}><summary>{label} <span class=\"muted\">({} examples)</span></summary>",
            esc(&anchor),
            esc(cat),
            if i < 4 { " open" } else { "" },
            samples.len()
        );
        for s in samples {
            sample_html(h, s, rule);
        }
        h.push_str("</details>");
    }
    h.push_str("</section>");
}

fn dedup(h: &mut String, summaries: &[DedupSummary]) {
    open_section(h, "dedup");
    if summaries.is_empty() {
        h.push_str("<p class=\"muted\">This pipeline has no dedup step (<code>minhash_dedup</code>, <code>exact_dedup</code>, ...).</p>");
    }
    for d in summaries {
        let _ = write!(
            h,
            "<h3>{} <span class=\"muted\">{} documents in, {} dropped ({})</span></h3><div class=\"cols\"><div><table><tr><th>cluster size</th><th>clusters</th><th>documents</th><th></th></tr>",
            esc(&d.step),
            int(d.docs),
            int(d.dropped),
            pct(d.dropped, d.docs)
        );
        let max = d.clusters_by_size.values().copied().max().unwrap_or(1);
        for (size, n) in &d.clusters_by_size {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                int(*size),
                int(*n),
                int(size * n),
                bar(*n, max, "")
            );
        }
        h.push_str("</table></div><div>");
        if d.examples.is_empty() {
            h.push_str("<p class=\"muted\">No duplicates found.</p>");
        }
        for c in &d.examples {
            let _ = write!(
                h,
                "<details data-cat=\"dedup cluster {}\"><summary>cluster {} <span class=\"muted\">({} documents)</span></summary>",
                c.cluster_id, c.cluster_id, int(c.size)
            );
            for m in &c.members {
                let tag = if c.survivor.as_deref() == Some(m.id.as_str()) {
                    "kept"
                } else {
                    "dropped"
                };
                let _ = write!(h, "<div><b>{tag}</b></div>");
                sample_html(h, m, None);
            }
            h.push_str("</details>");
        }
        h.push_str("</div></div>");
    }
    h.push_str("</section>");
}

fn run(h: &mut String, stats: &Value, manifest: &Value) {
    open_section(h, "run");
    let _ = write!(
        h,
        "<table><tr><td>config fingerprint</td><td class=\"l\"><code>{}</code></td></tr>\
         <tr><td>tamis version</td><td class=\"l\">{}</td></tr>\
         <tr><td>threads</td><td class=\"l\">{}</td></tr>\
         <tr><td>wall time</td><td class=\"l\">{:.2} s</td></tr>\
         <tr><td>input files</td><td class=\"l\">{}</td></tr>\
         <tr><td>text read</td><td class=\"l\">{}</td></tr></table>",
        esc(stats["tamis_config"].as_str().unwrap_or("?")),
        esc(stats["tamis_version"].as_str().unwrap_or("?")),
        u(stats, "threads"),
        stats["elapsed_s"].as_f64().unwrap_or(0.0),
        int(u(stats, "input_files")),
        bytes(u(stats, "input_text_bytes")),
    );
    h.push_str(
        "<h3>time per step (summed over threads)</h3><table><tr><th>step</th><th>seconds</th></tr>",
    );
    for s in stats["steps"].as_array().into_iter().flatten() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.3}</td></tr>",
            esc(s["step"].as_str().unwrap_or("?")),
            s["time_s"].as_f64().unwrap_or(0.0)
        );
    }
    h.push_str("</table><h3>input manifest</h3>");
    let inputs = manifest["inputs"].as_array().cloned().unwrap_or_default();
    if manifest.is_null() {
        h.push_str("<p class=\"muted\">manifest.json is absent.</p>");
    } else if inputs.is_empty() {
        h.push_str("<p class=\"muted\">No per-input accounting (pipelines with dedup steps account for the run as a whole).</p>");
    } else {
        const SHOWN: usize = 200;
        h.push_str("<table><tr><th>file</th><th>size</th><th>read</th><th>kept</th><th>dropped</th><th>quarantined</th></tr>");
        for i in inputs.iter().take(SHOWN) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(i["path"].as_str().unwrap_or("?")),
                i["size"].as_u64().map_or("?".into(), bytes),
                int(u(i, "read")),
                int(u(i, "kept")),
                int(u(i, "dropped")),
                int(u(i, "quarantined"))
            );
        }
        h.push_str("</table>");
        if inputs.len() > SHOWN {
            let _ = write!(
                h,
                "<p class=\"muted\">and {} more files (see manifest.json)</p>",
                int((inputs.len() - SHOWN) as u64)
            );
        }
    }
    let outputs = manifest["outputs"].as_array().cloned().unwrap_or_default();
    if !outputs.is_empty() {
        let total: u64 = outputs.iter().map(|o| u(o, "bytes")).sum();
        let _ = write!(h, "<h3>outputs</h3><p>{} files, {} on disk; checksums in manifest.json (<code>tamis verify</code> rechecks them).</p>", int(outputs.len() as u64), bytes(total));
    }
    h.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        assert_eq!(
            esc("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(int(1234567), "1,234,567");
        assert_eq!(int(12), "12");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(pct(1, 4), "25.0%");
    }

    #[test]
    fn every_section_is_in_the_page_even_when_empty() {
        let page = render("t", &ReportData::default(), &Value::Null, &Value::Null);
        for (id, _) in SECTIONS {
            assert!(
                page.contains(&format!("<section id=\"{id}\" data-section>")),
                "{id}"
            );
        }
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
