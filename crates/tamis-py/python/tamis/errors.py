"""Exceptions raised by tamis. Every one is a :class:`TamisError`; configuration mistakes are
also :class:`ValueError` and I/O failures :class:`OSError`, so generic handlers catch them."""


class TamisError(Exception):
    """Base class of every tamis error."""


class ConfigError(TamisError, ValueError):
    """A pipeline, step parameter or option is invalid; nothing was read or written."""


class ResumeError(ConfigError):
    """The output directory holds an interrupted run of another pipeline or other options."""


class TamisIOError(TamisError, OSError):
    """Reading an input or writing an output failed."""


class OutputExistsError(TamisError, FileExistsError):
    """The output directory already holds a run's outputs (pass ``overwrite=True``)."""


class NoInputsError(TamisError, FileNotFoundError):
    """No input file matched the given paths, directories or globs."""


class TooManyErrors(TamisError):
    """The run stopped after ``max_errors`` quarantined records; ``stats`` holds the counts."""

    stats_json = "{}"

    @property
    def stats(self):
        import json

        return json.loads(self.stats_json)


class VerifyError(TamisError):
    """``verify`` found an output that does not match the run's manifest."""


class ShardFailedError(TamisError):
    """A task of ``tamis.ray.run`` or ``tamis.ray.dedup`` failed after its retries; the
    message names the shard (and, for ``run``, its input files; for ``dedup``, the stage) and
    the last error."""
