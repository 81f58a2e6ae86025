"""The Python surface: generated step classes, pipelines, batches over lists and Arrow, errors,
pickling. Inputs are the committed sample's real pages."""

import inspect
import json
import pickle
import threading

import pytest

import tamis
from conftest import read_records


@pytest.fixture(scope="module")
def pages(sample_dir):
    return [json.loads(line) for line in (sample_dir / "pages.jsonl").read_text().splitlines()]


def test_every_registered_step_is_a_class_with_its_declared_parameters():
    ids = list(tamis.STEPS)
    for must in ("gopher_quality", "c4_quality", "fineweb_quality", "line_clean", "pii",
                 "token_count", "minhash_dedup"):
        assert must in ids
    cls = tamis.GopherQuality
    assert cls is tamis.STEPS["gopher_quality"]
    sig = inspect.signature(cls)
    # Defaults come from the Rust config's Default (datatrove's values).
    assert sig.parameters["min_doc_words"].default == cls.defaults["min_doc_words"] == 50
    assert set(sig.parameters) == set(cls.schema["properties"])
    # The docstring is the Rust doc comment plus the parameter docs and drop reasons.
    assert cls.description.split("\n")[0] in cls.__doc__
    assert "min_doc_words" in cls.__doc__ and "gopher_short_doc" in cls.__doc__
    assert tamis.explain("gopher_quality").startswith("# `gopher_quality`")


def test_bad_parameters_fail_at_construction_as_value_errors():
    with pytest.raises(tamis.ConfigError, match="min_doc_wrds"):
        tamis.GopherQuality(min_doc_wrds=3)
    with pytest.raises(ValueError, match="min_doc_words"):
        tamis.GopherQuality(min_doc_words="many")
    with pytest.raises(ValueError, match="short_line_thr"):
        tamis.FinewebQuality(short_line_thr=-2.0)
    with pytest.raises(tamis.ConfigError, match="c4_qualty"):
        tamis.Pipeline(["c4_qualty"])
    with pytest.raises(tamis.ConfigError, match="unknown preset"):
        tamis.Pipeline.preset("no-such-preset")
    with pytest.raises(TypeError):
        tamis.Pipeline([42])
    with pytest.raises(tamis.ConfigError, match="no steps"):
        tamis.Pipeline([])


def test_pipelines_from_steps_ids_toml_and_presets_agree():
    a = tamis.Pipeline([tamis.GopherQuality(), tamis.C4Quality(filter_no_terminal_punct=False)])
    b = tamis.Pipeline.from_toml(
        '[[step]]\ntype = "gopher_quality"\n'
        '[[step]]\ntype = "c4_quality"\nfilter_no_terminal_punct = false\n'
    )
    assert a == b and a.fingerprint == b.fingerprint
    assert tamis.Pipeline.from_toml(a.to_toml()) == a
    # Stating a default does not change the resolved pipeline.
    c = tamis.Pipeline([tamis.GopherQuality(min_doc_words=50), "c4_quality"])
    assert c.fingerprint != a.fingerprint  # filter_no_terminal_punct differs
    assert tamis.Pipeline(["gopher_quality"]).fingerprint == \
        tamis.Pipeline([tamis.GopherQuality(min_doc_words=50)]).fingerprint
    clean = tamis.Pipeline.preset("clean")
    assert [s.id for s in clean][0] == "line_clean"
    assert "clean" in tamis.presets()
    assert not clean.has_dedup
    assert tamis.Pipeline(["c4_quality", "minhash_dedup"]).has_dedup


def test_pipelines_and_steps_pickle(pages):
    p = tamis.Pipeline.preset("clean")
    q = pickle.loads(pickle.dumps(p))
    assert q == p and q.fingerprint == p.fingerprint
    texts = [d["text"] for d in pages]
    assert q.apply(texts) == p.apply(texts)
    step = tamis.C4Quality(min_num_sentences=3)
    assert pickle.loads(pickle.dumps(step)) == step


def test_apply_gives_verdicts_reasons_cleaned_texts_and_metadata(pages):
    p = tamis.Pipeline.preset("clean")
    texts = [d["text"] for d in pages]
    r = p.apply(texts, ids=[d["id"] for d in pages])
    assert len(r["kept"]) == len(texts)
    assert any(r["kept"]) and not all(r["kept"])
    for kept, reason, step, meta in zip(r["kept"], r["reason"], r["step"], r["metadata"]):
        assert meta["tamis_config"] == p.fingerprint
        if kept:
            assert reason is None and step is None
        else:
            assert step in tamis.STEPS and reason in tamis.STEPS[step].reasons
            assert meta["filter_reason"] == reason and meta["filter_step"] == step
    # line_clean removed lines from some pages and logged each removal; a logged page's text
    # changed (C4 may still drop blank or short lines of other pages, which it counts in the
    # stats but does not log per document).
    logged = [i for i, m in enumerate(r["metadata"]) if "tamis_edits" in m]
    assert logged
    assert all(texts[i] != r["text"][i] for i in logged if r["kept"][i])
    assert p.filter(texts) == [t for t, k in zip(r["text"], r["kept"]) if k]


def test_a_short_text_is_dropped_with_gophers_reason():
    r = tamis.Pipeline(["gopher_quality"]).apply(["too short to be a document"])
    assert r["kept"] == [False]
    assert r["reason"] == ["gopher_short_doc"] and r["step"] == ["gopher_quality"]


def test_metadata_reaches_the_steps():
    url = tamis.Pipeline(["url_filter"])
    text = "A page about gardening, long enough to read."
    r = url.apply([text, text], metadata=[{"url": "https://example.com/a"},
                                          {"url": "https://pornhub.com/x"}])
    assert r["kept"][0] and not r["kept"][1]
    assert r["metadata"][0]["url"] == "https://example.com/a"
    with pytest.raises(tamis.ConfigError, match="2 ids for 1 texts"):
        url.apply([text], ids=["a", "b"])


def test_arrow_batches_and_tables_match_the_list_api(pages):
    pa = pytest.importorskip("pyarrow")
    p = tamis.Pipeline.preset("clean")
    texts = [d["text"] for d in pages]
    ids = [d["id"] for d in pages]
    want = p.apply(texts, ids=ids)
    batch = pa.RecordBatch.from_pydict({"id": ids, "text": texts, "n": list(range(len(ids)))})
    out = p.apply_arrow(batch, id_column="id")
    assert isinstance(out, pa.RecordBatch)
    assert out.column("tamis_kept").to_pylist() == want["kept"]
    assert out.column("tamis_reason").to_pylist() == want["reason"]
    assert out.column("tamis_step").to_pylist() == want["step"]
    assert out.column("text").to_pylist() == want["text"]
    assert [json.loads(m) for m in out.column("tamis_metadata").to_pylist()] == want["metadata"]
    # Other columns pass through untouched.
    assert out.column("n").to_pylist() == list(range(len(ids)))
    # A table of several chunks, large_string and string_view texts: same verdicts.
    for ty in (pa.large_string(), pa.string_view()):
        table = pa.Table.from_batches(
            [pa.RecordBatch.from_pydict({"text": pa.array(texts[:10], ty)}),
             pa.RecordBatch.from_pydict({"text": pa.array(texts[10:], ty)})]
        )
        t = p.apply_arrow(table)
        assert isinstance(t, pa.Table)
        assert t.column("tamis_kept").to_pylist() == want["kept"]
    # A null text is not filtered, and says so.
    nulls = p.apply_arrow(pa.RecordBatch.from_pydict({"text": [None, texts[0]]}))
    assert nulls.column("tamis_kept").to_pylist()[0] is False
    assert nulls.column("tamis_reason").to_pylist()[0] == "null_text"
    with pytest.raises(tamis.ConfigError, match="no column `body`"):
        p.apply_arrow(batch, text_column="body")
    with pytest.raises(tamis.ConfigError, match="not a string column"):
        p.apply_arrow(batch, text_column="n")


def test_batches_refuse_dedup_pipelines():
    p = tamis.Pipeline(["gopher_quality", "minhash_dedup"])
    with pytest.raises(tamis.ConfigError, match="whole corpus"):
        p.apply(["text"])


def test_batches_run_concurrently_from_threads(pages):
    # The GIL is released during Rust work, so threads sharing one pipeline give the same
    # results as one thread (and do not deadlock).
    p = tamis.Pipeline.preset("clean")
    texts = [d["text"] for d in pages]
    want = p.apply(texts)
    got = [None] * 4

    def work(i):
        got[i] = p.apply(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == want for g in got)


def test_run_errors_are_typed(tmp_path, sample_dir):
    p = tamis.Pipeline(["gopher_quality"])
    out = tmp_path / "out"
    stats = p.run([sample_dir], out)
    assert stats["read"] == stats["kept"] + stats["dropped"] + stats["quarantined"] > 0
    assert stats["tamis_config"] == p.fingerprint
    assert tamis.verify(out).startswith(f"OK: 2 output files match the manifest; read {stats['read']}")
    with pytest.raises(tamis.OutputExistsError) as e:
        p.run([sample_dir], out)
    assert isinstance(e.value, FileExistsError) and isinstance(e.value, OSError)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        p.run([sample_dir], blocker / "out")
    with pytest.raises(tamis.TamisIOError):
        tamis.Pipeline.from_file(tmp_path / "missing.toml")
    with pytest.raises(tamis.ConfigError, match="compression"):
        p.run([sample_dir], tmp_path / "o2", compression="lz4")
    kept = next((out / "kept").iterdir())
    kept.write_bytes(kept.read_bytes()[:-1])
    with pytest.raises(tamis.VerifyError, match=kept.name):
        tamis.verify(out)
    # Corrupt input lines are quarantined; max_errors stops the run with the stats so far.
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\nnot json either\n')
    with pytest.raises(tamis.TooManyErrors) as e:
        p.run([bad], tmp_path / "o3", max_errors=1)
    assert e.value.stats["quarantined"] >= 1


@pytest.fixture
def doubled(tmp_path, sample_dir):
    """A folder with the sample pages twice: a.jsonl and b.jsonl."""
    pages = sample_dir / "pages.jsonl"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(pages.read_text())
    (folder / "b.jsonl").write_text(pages.read_text())
    return folder


def test_python_dedup_matches_the_stage_by_stage_run(tmp_path, sample_dir, doubled):
    pages = sample_dir / "pages.jsonl"
    stats = tamis.dedup([doubled], tmp_path / "all", compression="none")
    n = len(pages.read_text().splitlines())
    assert stats["read"] == 2 * n and stats["dropped"] >= n
    # Outputs are numbered by input file: every page of b.jsonl (input 1) duplicates one in
    # a.jsonl, and the earliest copy survives.
    out = tmp_path / "all"
    assert not (out / "kept" / "00001.jsonl").exists()
    assert len(read_records(out / "dropped" / "00001.jsonl")) == n
    assert len(read_records(out / "kept" / "00000.jsonl")) == stats["kept"]
    with pytest.raises(tamis.ConfigError, match="stage"):
        tamis.dedup([doubled], tmp_path / "x", stage="sort")


def test_rehydrate_repeats_dedup_survivors_by_cluster_size(tmp_path, doubled):
    tamis.dedup([doubled], tmp_path / "dedup", compression="none")
    kept = read_records(tmp_path / "dedup" / "kept" / "00000.jsonl")
    sizes = [d["metadata"]["minhash_cluster_size"] for d in kept]
    assert 2 in sizes, "every page has its copy in b.jsonl"
    # FineWeb-2's README table, keyed by cluster size as in Python.
    stats = tamis.rehydrate([tmp_path / "dedup" / "kept"], tmp_path / "r",
                            weights={1: 1, 2: 2, 3: 3, 5: 5, 100: 8, 1000: 1}, compression="none")
    out = read_records(tmp_path / "r" / "kept" / "00000.jsonl")
    def copies(n):
        return 1 if n >= 1000 else 8 if n >= 100 else 5 if n >= 5 else min(n, 3)

    want = [d["id"] for d in kept for _ in range(copies(d["metadata"]["minhash_cluster_size"]))]
    assert [d["id"] for d in out] == want
    assert stats["read"] == len(kept) and stats["written"] == len(want)
    stats = tamis.rehydrate([tmp_path / "dedup" / "kept"], tmp_path / "r", max_reps=3,
                            overwrite=True)
    assert stats["steps"][0]["weights"].startswith("fineweb-2 up_to_03_reps")
    with pytest.raises(tamis.ConfigError, match="exactly one"):
        tamis.rehydrate([tmp_path / "dedup" / "kept"], tmp_path / "x")
    with pytest.raises(tamis.OutputExistsError):
        tamis.rehydrate([tmp_path / "dedup" / "kept"], tmp_path / "r", max_reps=3)
