"""tamis from Python: the steps of ``tamis run`` as classes, pipelines over files (the same
outputs as the CLI, byte for byte), and batches of texts or Arrow tables.

>>> import tamis
>>> p = tamis.Pipeline([tamis.GopherQuality(min_doc_words=20), tamis.C4Quality()])
>>> stats = p.run(["corpus/"], "out", overwrite=True)      # writes kept/, dropped/, stats.json
>>> p.apply(["some text", "more text"])["kept"]             # a batch in memory

The step classes are generated from the Rust registry at import time: their names, parameters,
defaults and docstrings come from the one Rust declaration of each step (``tamis explain``).
Rust work runs with the GIL released.
"""

import inspect
import json
import os

from . import _tamis
from .errors import (
    ConfigError,
    NoInputsError,
    OutputExistsError,
    ResumeError,
    ShardFailedError,
    TamisError,
    TamisIOError,
    TooManyErrors,
    VerifyError,
)

__version__ = _tamis.__version__

__all__ = [
    "Pipeline",
    "Step",
    "STEPS",
    "dedup",
    "explain",
    "presets",
    "rehydrate",
    "select",
    "verify",
    "ConfigError",
    "NoInputsError",
    "OutputExistsError",
    "ResumeError",
    "ShardFailedError",
    "TamisError",
    "TamisIOError",
    "TooManyErrors",
    "VerifyError",
]


class Step:
    """One step of a pipeline with its parameters (those left out take their defaults).

    Subclasses are generated, one per registered step; parameters are checked by the Rust
    step's own validation when the object is made, so a bad value fails here, not mid-run.
    """

    id = ""
    kind = "step"
    description = ""
    origin = ""
    reasons = ()
    schema = {}
    defaults = {}

    def __init__(self, **params):
        known = set(self.schema.get("properties", {}))
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(
                f"step {self.id}: unknown parameter(s) {', '.join(unknown)}"
                f" (valid: {', '.join(sorted(known)) or 'none'})"
            )
        self.params = dict(params)
        _tamis.Spec(json.dumps({"step": [self.to_dict()]}))

    def to_dict(self):
        """The step as a pipeline file's ``[[step]]`` table holds it."""
        return {"type": self.id, **self.params}

    @property
    def resolved(self):
        """Every parameter: the defaults overlaid with the ones given."""
        return {**self.defaults, **self.params}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return isinstance(other, Step) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(json.dumps(self.to_dict(), sort_keys=True))


def _class_name(step_id):
    return "".join(part[:1].upper() + part[1:] for part in step_id.split("_"))


def _docstring(step_id, description, origin, reasons, schema, defaults):
    lines = [description.strip() or step_id, "", f"Step id: ``{step_id}``."]
    if origin:
        lines.append(f"Origin: {origin}.")
    props = schema.get("properties", {})
    if props:
        lines += ["", "Parameters", "----------"]
        for name, prop in props.items():
            lines.append(f"{name} : default {defaults.get(name)!r}")
            doc = (prop.get("description") or "").strip()
            if doc:
                lines += ["    " + line for line in doc.splitlines()]
    if reasons:
        lines += ["", "Drop reasons: " + ", ".join(reasons) + "."]
    return "\n".join(lines) + "\n"


def _make_step_class(step_id, kind, description, origin, reasons, schema_json, defaults_json):
    schema = json.loads(schema_json)
    defaults = json.loads(defaults_json)
    name = _class_name(step_id)
    params = [
        inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, default=defaults.get(p))
        for p in schema.get("properties", {})
    ]
    cls = type(
        name,
        (Step,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": _docstring(step_id, description, origin, reasons, schema, defaults),
            "__signature__": inspect.Signature(params),
            "id": step_id,
            "kind": kind,
            "description": description,
            "origin": origin,
            "reasons": tuple(reasons),
            "schema": schema,
            "defaults": defaults,
        },
    )
    return cls


#: Every step class by step id, in the order ``tamis filters`` lists them.
STEPS = {}
for _row in _tamis.registry():
    _cls = _make_step_class(*_row)
    STEPS[_cls.id] = _cls
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
del _row, _cls


def _step_from_dict(d):
    d = dict(d)
    step_id = d.pop("type")
    cls = STEPS.get(step_id)
    if cls is None:
        raise ConfigError(f"unknown step `{step_id}`")
    step = cls.__new__(cls)
    step.params = d
    return step


def _from_json(spec_json):
    """Unpickles a :class:`Pipeline` (the resolved spec is what pickling stores)."""
    return Pipeline._from_spec(_tamis.Spec(spec_json))


def _paths(inputs):
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    return [os.fspath(i) for i in inputs]


class Pipeline:
    """Steps in order, as ``tamis run`` runs them: a list of :class:`Step` objects or step ids.

    Build one from steps, :meth:`preset`, :meth:`from_toml` or :meth:`from_file`; every
    parameter is validated here. Pipelines pickle (to their resolved spec), so they can be
    shipped to worker processes (Ray, multiprocessing).
    """

    def __init__(self, steps):
        objs = []
        for s in steps:
            if isinstance(s, str):
                if s not in STEPS:
                    raise ConfigError(f"unknown step `{s}` (valid steps: {', '.join(STEPS)})")
                s = STEPS[s]()
            elif not isinstance(s, Step):
                raise TypeError(f"a pipeline step must be a tamis.Step or a step id, not {s!r}")
            objs.append(s)
        self._spec = _tamis.Spec(json.dumps({"step": [s.to_dict() for s in objs]}))
        self.steps = tuple(objs)

    @classmethod
    def _from_spec(cls, spec):
        self = cls.__new__(cls)
        self._spec = spec
        self.steps = tuple(_step_from_dict(d) for d in json.loads(spec.to_json())["step"])
        return self

    @classmethod
    def preset(cls, name):
        """A named preset (see :func:`presets`)."""
        return cls._from_spec(_tamis.Spec.preset(name))

    @classmethod
    def from_toml(cls, text):
        """A pipeline file's text (``[[step]]`` tables)."""
        return cls._from_spec(_tamis.Spec.from_toml(text))

    @classmethod
    def from_file(cls, path):
        """A pipeline file, as ``tamis run --pipeline PATH`` reads it."""
        return cls._from_spec(_tamis.Spec.from_file(os.fspath(path)))

    def to_toml(self):
        """The pipeline file for ``tamis run --pipeline``."""
        return self._spec.to_toml()

    @property
    def fingerprint(self):
        """The config fingerprint stamped into outputs as ``metadata.tamis_config``."""
        return self._spec.fingerprint

    @property
    def has_dedup(self):
        """True when a dedup step makes this pipeline need a whole corpus (``run`` only)."""
        return self._spec.has_dedup

    def __reduce__(self):
        return (_from_json, (self._spec.to_json(),))

    def __eq__(self, other):
        return isinstance(other, Pipeline) and self._spec.to_json() == other._spec.to_json()

    def __hash__(self):
        return hash(self._spec.to_json())

    def __repr__(self):
        return f"Pipeline([{', '.join(map(repr, self.steps))}])"

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def run(self, inputs, output, **options):
        """Runs over files exactly as ``tamis run`` does (same code, same output bytes) and
        returns ``stats.json`` as a dict.

        ``inputs`` are files, directories or globs; ``output`` gets ``kept/``, ``dropped/``,
        ``quarantine/``, ``stats.json`` and ``manifest.json``. Options (keyword only, as the
        CLI's flags): ``threads`` (0 = all cores), ``compression`` ("zstd", "gzip", "none"),
        ``format`` ("jsonl", "parquet"), ``output_template``, ``max_errors``, ``overwrite``,
        ``progress``, ``max_record_bytes``, ``max_decompressed_bytes``, ``checkpoint_every``,
        ``max_file_bytes``, and ``shard_trace`` (for distributed drivers such as
        :func:`tamis.ray.run`: also write the trace their merge needs).
        """
        return json.loads(self._spec.run(_paths(inputs), os.fspath(output), **options))

    def apply(self, texts, ids=None, metadata=None):
        """Filters texts in memory. Returns columns (lists, one item per text): ``kept``
        (bool), ``reason`` and ``step`` (why and where a text was dropped, else None),
        ``text`` (as the steps left it) and ``metadata`` (dict, labelled as ``tamis run``
        labels its outputs). ``metadata`` in: one dict per text (e.g. ``{"url": ...}``)."""
        texts = list(texts)
        meta_json = None if metadata is None else [json.dumps(m) for m in metadata]
        kept, reason, step, text, meta = self._spec.apply_texts(
            texts, None if ids is None else [str(i) for i in ids], meta_json
        )
        return {
            "kept": kept,
            "reason": reason,
            "step": step,
            "text": text,
            "metadata": [json.loads(m) for m in meta],
        }

    def filter(self, texts, ids=None, metadata=None):
        """The texts the pipeline keeps, as the steps left them."""
        r = self.apply(texts, ids, metadata)
        return [t for t, k in zip(r["text"], r["kept"]) if k]

    def apply_arrow(self, data, text_column="text", id_column=None, metadata_column=None):
        """Filters a ``pyarrow.RecordBatch`` or ``pyarrow.Table`` (anything with the Arrow
        C data interface). Returns the same kind of object: ``text_column`` holds the texts
        as the steps left them, and ``tamis_kept``, ``tamis_reason``, ``tamis_step`` and
        ``tamis_metadata`` (JSON text) are appended. ``metadata_column``, if given, holds a
        JSON object per row (e.g. the url for ``url_filter``)."""
        args = (text_column, id_column, metadata_column)
        if hasattr(data, "to_batches"):
            import pyarrow as pa

            batches = [self._spec.apply_arrow(b, *args) for b in data.to_batches()]
            if not batches:
                empty = pa.RecordBatch.from_pylist([], schema=data.schema)
                return pa.Table.from_batches([self._spec.apply_arrow(empty, *args)])
            return pa.Table.from_batches(batches)
        return self._spec.apply_arrow(data, *args)


def dedup(inputs, output, **options):
    """``tamis dedup``: MinHash (default), ``method="exact"`` or ``method="lines"``; all
    stages, or one ``stage`` ("signatures", "buckets", "clusters", "filter", "stats") and
    ``shard=(index, count)`` of it, with a shared ``work_dir``. Returns the stats dict when the
    run finished, else None. Other options as the CLI's flags: ``survivor``, ``key_field``,
    ``normalize``, ``priority``, ``min_docs``, ``precision`` (MinHash: 64 or 32 bits),
    ``memory_bytes``, ``threads``, ``compression``, ``overwrite``, ``keep_work``,
    ``progress``."""
    if "work_dir" in options and options["work_dir"] is not None:
        options["work_dir"] = os.fspath(options["work_dir"])
    stats = _tamis.dedup(_paths(inputs), os.fspath(output), **options)
    return None if stats is None else json.loads(stats)


def select(inputs, output, **options):
    """``tamis select``: keep the top of the corpus by a metadata score (``fields=[...]``,
    ``top=0.1``) or bucket it by weighted percentiles (``buckets=20``, ``min_bucket``,
    ``weight_field``, ``key``); the same stages, shards and options as :func:`dedup`
    (``method="rank"``). Returns the stats dict when the run finished, else None."""
    return dedup(inputs, output, method="rank", **options)


def rehydrate(inputs, output, *, max_reps=None, weights=None, **options):
    """``tamis rehydrate``: writes each document as many times as its
    ``metadata.minhash_cluster_size`` gets in FineWeb-2's per-language tables for at most
    ``max_reps`` copies (3 to 10), or in ``weights``: a dict ``{cluster size: copies}`` for every
    document, or ``{"fra_Latn": {...}, ...}`` per language. Other options as the CLI's flags:
    ``language``, ``size_field``, ``threads``, ``compression``, ``overwrite``, ``progress``.
    Returns the stats dict."""
    if weights is not None:
        weights = json.dumps(
            {
                str(k): ({str(s): c for s, c in v.items()} if isinstance(v, dict) else v)
                for k, v in weights.items()
            }
        )
    stats = _tamis.rehydrate(
        _paths(inputs), os.fspath(output), max_reps=max_reps, weights=weights, **options
    )
    return json.loads(stats)


def verify(output):
    """``tamis verify``: rechecks a finished run's outputs against its manifest; returns the
    summary line or raises :class:`VerifyError`."""
    return _tamis.verify(os.fspath(output))


def explain(step_id):
    """A step's reference page (Markdown), as ``tamis explain`` prints it."""
    return _tamis.explain(step_id)


def presets():
    """Preset names and their pipeline files (TOML)."""
    return dict(_tamis.presets())
