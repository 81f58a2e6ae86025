#!/usr/bin/env python3
"""Run datatrove's own unit tests against tamis.

usage: tools/datatrove_tests.py DATATROVE_TESTS [pytest arguments...]

DATATROVE_TESTS is the `tests` folder of a checkout of https://github.com/huggingface/datatrove
(Apache-2.0; these results were taken with commit a649de79, whose tests match the 0.10.x
releases). datatrove 0.10.1 must be installed (pip install 'datatrove==0.10.1' pytest).

Each datatrove block that tamis has a step for is replaced, before the tests import it, by a
subclass whose decision or output comes from the `tamis` binary ($TAMIS_CLI, else
target/release/tamis or target/debug/tamis): the test builds the block with its own
parameters, the adapter turns them into that step's parameters, runs `tamis run` on the test's
document and hands back tamis's verdict (datatrove's return shape: `True`, `False`, or
`(False, reason)`) or tamis's text. Everything else (test texts, expected values, assertions)
is datatrove's, unchanged.

Blocks replaced: GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter,
FineWebQualityFilter, LanguageFilter (tamis's bundled lid.176; datatrove's own would download
it), URLFilter, FTFYFormatter and SymbolLinesFormatter by a generic adapter (the test's
parameters passed on by name); RegexFilter, C4ParagraphFilter, PIIFormatter, SamplerFilter and
UnigramLogProbFilter (with the word list of crates/tamis-filters/tests/golden/unigram/, as
datatrove downloads Google's from S3, out of reach here) by their own. The default selection is
every test of `tests/pipeline/filters`: 30 tests, 28 of which exercise a replaced block (the
other two test datatrove's LambdaFilter and formatter base class).
"""
import inspect
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

DEFAULT_TESTS = ["pipeline/filters"]
UNIGRAM_LIST = ROOT / "crates" / "tamis-filters" / "tests" / "golden" / "unigram" / "unigram_freq.csv.zst"


def tamis_binary():
    env = os.environ.get("TAMIS_CLI")
    if env:
        return env
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "tamis"
        if p.exists():
            return str(p)
    sys.exit("no tamis binary: build it (cargo build -p tamis-cli) or set TAMIS_CLI")


def run_step(step, text, metadata=None, doc_id="0"):
    """`tamis run` with one step on one document: (kept, reason, text, metadata)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "in.jsonl").write_text(
            json.dumps({"id": doc_id, "text": text, "metadata": metadata or {}}) + "\n", encoding="utf-8"
        )
        lines = ["[[step]]"] + [f"{k} = {json.dumps(v)}" for k, v in step.items()]
        (tmp / "p.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        subprocess.run(
            [tamis_binary(), "run", "--pipeline", str(tmp / "p.toml"), str(tmp / "in.jsonl"),
             "-o", str(tmp / "out"), "--compression", "none", "--no-progress"],
            check=True, capture_output=True,
        )
        for sub, kept in (("kept", True), ("dropped", False)):
            for f in sorted((tmp / "out" / sub).glob("*.jsonl")):
                for line in f.read_text(encoding="utf-8").splitlines():
                    d = json.loads(line)
                    meta = d.get("metadata", {})
                    return kept, meta.get("filter_reason"), d["text"], meta
    raise RuntimeError("tamis wrote no document")


def generic(orig, step_id, kind="filter"):
    """A subclass of datatrove block `orig` that runs tamis step `step_id` with the parameters the
    test gave the block (same names; tuples as lists, None left out). A filter hands back tamis's
    verdict as `True` or `(False, reason)` (`kind="bool"`: `False`, for the blocks that give no
    reason) and leaves tamis's text and labels in the document; a formatter returns tamis's text."""
    signature = inspect.signature(orig.__init__)

    class Shim(orig):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            given = signature.bind(self, *args, **kwargs).arguments
            self.step = {"type": step_id}
            for k, v in given.items():
                if k not in ("self", "exclusion_writer") and v is not None:
                    self.step[k] = list(v) if isinstance(v, (tuple, set, frozenset)) else v

        if kind == "formatter":
            def format(self, text):
                return run_step(self.step, text)[2]
        else:
            def filter(self, doc):
                kept, reason, text, meta = run_step(self.step, doc.text, doc.metadata, doc.id)
                doc.text = text
                # Labels tamis wrote (a language, its score); the reason is datatrove's to add.
                doc.metadata.update({k: v for k, v in meta.items() if k != "filter_reason"})
                return kept if kind == "bool" else True if kept else (False, reason)

    Shim.__name__ = Shim.__qualname__ = "Tamis" + orig.__name__
    return Shim


def install():
    """Replaces datatrove's blocks by tamis-backed subclasses, where tests import them."""
    import datatrove.pipeline.filters as filters
    import datatrove.pipeline.filters.c4_filters as c4
    import datatrove.pipeline.filters.regex_filter as regex
    import datatrove.pipeline.filters.sampler_filter as sampler
    import datatrove.pipeline.formatters as formatters
    import datatrove.pipeline.filters.unigram_log_probs as unigram
    import datatrove.pipeline.formatters.pii as pii
    import zstandard

    # The word list datatrove would download, written where its filter looks for it.
    cache = pathlib.Path(tempfile.mkdtemp(prefix="unigram-"))
    (cache / "unigram_freq.csv").write_bytes(zstandard.ZstdDecompressor().decompress(UNIGRAM_LIST.read_bytes()))
    unigram.cached_assets_path = lambda **_: str(cache)

    class TamisRegexFilter(regex.RegexFilter):
        def filter(self, doc):
            return run_step({"type": "regex_filter", "regex_exp": self.regex.pattern}, doc.text)[0]  # datatrove's RegexFilter gives no reason

    class TamisC4ParagraphFilter(c4.C4ParagraphFilter):
        def filter(self, doc):
            step = {"type": "c4_paragraph", "min_paragraphs": self.min_paragraphs,
                    "min_paragraph_len": self.min_paragraph_len, "line_delimiter": self.line_delimiter}
            kept, reason = run_step(step, doc.text)[:2]
            return True if kept else (False, reason)

    class TamisPIIFormatter(pii.PIIFormatter):
        def __init__(self, remove_emails=True, remove_ips=True, only_remove_public_ips=True,
                     email_replacement=None, ip_replacement=None):
            given = {k: v for k, v in (("email_replacement", email_replacement),
                                        ("ip_replacement", ip_replacement)) if v is not None}
            super().__init__(remove_emails, remove_ips, only_remove_public_ips, **given)
            self.step = {"type": "pii", "remove_emails": remove_emails, "remove_ips": remove_ips,
                         "only_remove_public_ips": only_remove_public_ips}
            for key, value in (("email_replacement", email_replacement), ("ip_replacement", ip_replacement)):
                if value is not None:
                    self.step[key] = value if isinstance(value, str) else list(value)

        def format(self, text):
            return run_step(self.step, text)[2]

    class TamisUnigramLogProbFilter(unigram.UnigramLogProbFilter):
        def filter(self, doc):
            step = {"type": "unigram_logprob", "frequencies": str(cache / "unigram_freq.csv"),
                    "logprobs_threshold": self.logprobs_threshold, "language": self.language}
            return run_step(step, doc.text)[0]  # datatrove's gives no reason

    class TamisSamplerFilter(sampler.SamplerFilter):
        def __init__(self, rate=0.5, seed=None, exclusion_writer=None):
            super().__init__(rate, seed, exclusion_writer)
            self.step = {"type": "sampler", "rate": rate}
            if seed is not None:
                self.step["seed"] = seed

        def filter(self, doc):
            return run_step(self.step, doc.text, doc_id=doc.id)[0]  # datatrove's gives no reason

    import datatrove.pipeline.filters.fineweb_quality_filter as fineweb
    import datatrove.pipeline.filters.gopher_quality_filter as gopher_q
    import datatrove.pipeline.filters.gopher_repetition_filter as gopher_r
    import datatrove.pipeline.filters.language_filter as language
    import datatrove.pipeline.filters.url_filter as url
    import datatrove.pipeline.formatters.ftfy as ftfy
    import datatrove.pipeline.formatters.symbol_lines_remover as symbol_lines

    for module, name, step_id, kind, package in (
        (gopher_r, "GopherRepetitionFilter", "gopher_repetition", "filter", filters),
        (gopher_q, "GopherQualityFilter", "gopher_quality", "filter", filters),
        (c4, "C4QualityFilter", "c4_quality", "filter", filters),
        (fineweb, "FineWebQualityFilter", "fineweb_quality", "filter", filters),
        (language, "LanguageFilter", "language", "bool", filters),
        (url, "URLFilter", "url_filter", "filter", filters),
        (ftfy, "FTFYFormatter", "ftfy", "formatter", formatters),
        (symbol_lines, "SymbolLinesFormatter", "symbol_lines", "formatter", formatters),
    ):
        cls = generic(getattr(module, name), step_id, kind)
        setattr(module, name, cls)
        setattr(package, name, cls)

    for module, name, cls in (
        (regex, "RegexFilter", TamisRegexFilter),
        (filters, "RegexFilter", TamisRegexFilter),
        (c4, "C4ParagraphFilter", TamisC4ParagraphFilter),
        (filters, "C4ParagraphFilter", TamisC4ParagraphFilter),
        (pii, "PIIFormatter", TamisPIIFormatter),
        (formatters, "PIIFormatter", TamisPIIFormatter),
        (sampler, "SamplerFilter", TamisSamplerFilter),
        (filters, "SamplerFilter", TamisSamplerFilter),
        (unigram, "UnigramLogProbFilter", TamisUnigramLogProbFilter),
        (filters, "UnigramLogProbFilter", TamisUnigramLogProbFilter),
    ):
        setattr(module, name, cls)


class Plugin:
    """Installs the replacements before pytest imports any test module."""

    @staticmethod
    def pytest_configure(config):
        install()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tests = pathlib.Path(sys.argv[1]).resolve()
    extra = sys.argv[2:]
    selected = [a for a in extra if not a.startswith("-")] or [str(tests / t) for t in DEFAULT_TESTS]
    flags = [a for a in extra if a.startswith("-")]
    import pytest

    # datatrove's tests import `tests.utils` relative to the checkout.
    sys.path.insert(0, str(tests.parent))
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *flags, *selected], plugins=[Plugin()]))


if __name__ == "__main__":
    main()
