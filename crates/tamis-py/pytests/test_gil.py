"""`apply` and `apply_arrow` release the GIL while the Rust steps run: a Python thread keeps
counting through a long batch as fast as when it runs alone, while it stalls through a C call
that holds the GIL (a list sort). Rates are compared with each other, measured back to back,
not with fixed numbers, so a loaded machine slows all of them alike."""

import random
import threading
import time

import pytest

import tamis

STEPS = ["line_clean", "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality"]


class Counter:
    """A Python thread that counts loop iterations until stopped."""

    def __init__(self):
        self.n = 0
        self.stop = False
        self.thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self):
        while not self.stop:
            self.n += 1

    def __enter__(self):
        self.thread.start()
        while self.n == 0:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()

    def rate_during(self, fn):
        """Counts per second while `fn()` runs in this thread, and how long it ran."""
        n0, t0 = self.n, time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        return (self.n - n0) / dt, dt


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sized(make, run, seconds=0.4):
    """`make(n)` with `n` doubled until `run` of it takes `seconds` (on its own)."""
    n = 1
    while True:
        arg = make(n)
        if timed(lambda: run(arg)) >= seconds or n >= 1 << 16:
            return arg
        n *= 2


def ratios(call):
    """(counting rate while `call` runs, while a GIL-holding sort runs) over the rate of the
    counter alone."""
    floats = sized(lambda n: [random.random() for _ in range(n * 20_000)], sorted)
    with Counter() as c:
        alone, _ = c.rate_during(lambda: time.sleep(0.3))
        held, held_s = c.rate_during(lambda: sorted(floats))
        during, during_s = c.rate_during(call)
    assert held_s > 0.1 and during_s > 0.1, (held_s, during_s)
    return during / alone, held / alone


def check_releases_the_gil(call):
    # Released, the counter keeps about its own pace (0.4-1 on a loaded 2-core machine); held,
    # it gets only the slices Python hands out around the call (about 0.02-0.04 of it). A loaded
    # machine can starve one measurement, so three tries; a held GIL fails all of them.
    seen = []
    for _ in range(3):
        during, held = ratios(call)
        seen.append((round(during, 3), round(held, 3)))
        if during > 0.2 and during > 4 * held:
            return
    pytest.fail(f"the counter stalled while tamis ran (its rate with tamis, with a sort): {seen}")


@pytest.fixture(scope="module")
def texts(sample_dir):
    from conftest import read_records

    return [r["text"] for r in read_records(sample_dir / "pages.jsonl")]


def test_apply_releases_the_gil(texts):
    p = tamis.Pipeline(STEPS)
    batch = sized(lambda n: texts * n, p.apply)
    check_releases_the_gil(lambda: p.apply(batch))


def test_apply_arrow_releases_the_gil(texts):
    pa = pytest.importorskip("pyarrow")
    p = tamis.Pipeline(STEPS)
    batch = sized(lambda n: pa.record_batch({"text": texts * n}), p.apply_arrow)
    check_releases_the_gil(lambda: p.apply_arrow(batch))
