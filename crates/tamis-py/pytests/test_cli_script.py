"""The `tamis` console script the wheel installs runs the CLI binary's code: on the same command
it writes the same output bytes, prints the same text with the same exit status, colours on a
terminal, reads standard input, and stops on Ctrl-C, as the binary ($TAMIS_CLI) does."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sysconfig
import time

import pytest


@pytest.fixture(scope="module")
def script():
    path = pathlib.Path(sysconfig.get_path("scripts")) / "tamis"
    assert path.is_file(), f"the installed package has no console script {path}"
    return str(path)


def both(tamis_cli, script):
    return [("binary", tamis_cli), ("script", script)]


def call(exe, args, cwd=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    r = subprocess.run(
        [exe, *map(str, args)], capture_output=True, cwd=cwd, input=stdin, env=env, timeout=300
    )
    return r.returncode, r.stdout, r.stderr


def tree(d):
    """Every file under `d` by relative path, with its bytes."""
    d = pathlib.Path(d)
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


# The run summary's timings and rates, which differ between any two runs.
TIMINGS = re.compile(rb"\d+\.\d+|\d+ docs/s")


def test_run_writes_the_binarys_outputs_and_messages(tmp_path, tamis_cli, script, sample_dir):
    results = {}
    for name, exe in both(tamis_cli, script):
        cwd = tmp_path / name
        cwd.mkdir()
        # A relative output directory, so the messages naming it are the same in both.
        args = ["run", "--preset", "fineweb-text", sample_dir, "-o", "out", "--no-progress",
                "--checkpoint-every", "7"]
        rc, out, err = call(exe, args, cwd=cwd)
        assert rc == 0, err.decode()
        files = tree(cwd / "out")
        stats = json.loads(files.pop("stats.json"))
        stats.pop("elapsed_s")
        for step in stats["steps"]:
            step.pop("time_s", None)
        results[name] = (out, TIMINGS.sub(b"#", err), files, stats)
    binary, script_ = results["binary"], results["script"]
    assert binary[1] == script_[1] and b"outputs in out" in binary[1]
    assert binary[0] == script_[0] == b""
    assert sorted(binary[2]) == sorted(script_[2]) and "manifest.json" in binary[2]
    assert any(p.startswith("kept/") for p in binary[2])
    for path in binary[2]:
        assert binary[2][path] == script_[2][path], path
    assert binary[3] == script_[3] and binary[3]["kept"] > 0


def test_commands_print_the_binarys_text(tmp_path, tamis_cli, script, sample_dir):
    text = (sample_dir / "seed-page.txt").read_bytes()
    cases = [
        (["--version"], None),
        (["--help"], None),
        (["run", "--help"], None),
        (["filters"], None),
        (["explain", "gopher_quality"], None),
        (["explain", "--doc", sample_dir / "seed-page.txt"], None),
        (["explain", "--doc", sample_dir / "seed-page.txt", "--format", "json"], None),
        # Standard input is the process's own, read by the Rust code.
        (["lid", "-k", "2"], text),
    ]
    for args, stdin in cases:
        got = {name: call(exe, args, stdin=stdin) for name, exe in both(tamis_cli, script)}
        assert got["binary"] == got["script"], args
        rc, out, _ = got["binary"]
        assert rc == 0 and out, args
        # Not a terminal: no colour codes.
        assert b"\x1b[" not in out, args


def test_errors_have_the_binarys_message_and_exit_status(tmp_path, tamis_cli, script, sample_dir):
    (tmp_path / "empty").mkdir()
    cases = [
        # A library error: status 2, "error: " and the cause.
        (["run", "--preset", "no_such_preset", sample_dir, "-o", tmp_path / "o"], 2,
         b"no_such_preset"),
        # Bad usage, from the argument parser: status 2 and the usage line.
        (["run", "--preset", "fineweb-text"], 2, b"Usage:"),
        (["no-such-command"], 2, b"no-such-command"),
        # A failed check: status 1.
        (["verify", tmp_path / "empty"], 1, b"verify failed"),
    ]
    for args, status, needle in cases:
        got = {name: call(exe, args) for name, exe in both(tamis_cli, script)}
        assert got["binary"] == got["script"], args
        rc, out, err = got["binary"]
        assert rc == status, (args, err.decode())
        assert out == b"" and needle in err and b"error" in err, (args, err.decode())


def test_colours_on_a_terminal_as_the_binary(tamis_cli, script, sample_dir):
    pty = pytest.importorskip("pty")
    got = {}
    for name, exe in both(tamis_cli, script):
        primary, secondary = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        p = subprocess.Popen([exe, "explain", "--doc", str(sample_dir / "seed-page.txt")],
                             stdout=secondary, stderr=secondary, env=env)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(primary)
        assert p.wait(timeout=60) == 0
        got[name] = b"".join(chunks)
    assert got["binary"] == got["script"]
    # Removed lines are red on a terminal.
    assert b"\x1b[31m" in got["binary"]


def wait_in_rust(p, fifo, timeout=60):
    """Opens `fifo` for writing once `p` has opened it for reading (so `p` is inside the Rust
    command, past Python's start-up); returns the descriptor."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert p.poll() is None, p.stderr.read().decode()
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.02)
    raise AssertionError("the command never opened its input")


def test_ctrl_c_stops_the_command_as_it_stops_the_binary(tmp_path, tamis_cli, script):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for name, exe in both(tamis_cli, script):
        # `lid` blocks reading a pipe nobody writes to; Ctrl-C must end it.
        p = subprocess.Popen([exe, "lid", str(fifo)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        fd = wait_in_rust(p, fifo)
        try:
            p.send_signal(signal.SIGINT)
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"{name}: still running 30 s after Ctrl-C")
        finally:
            os.close(fd)
        # Killed by the signal, as a shell sees an interrupted command (status 130).
        assert rc == -signal.SIGINT, (name, rc, p.stderr.read().decode())


def test_a_closed_pipe_ends_the_command_quietly_as_the_binary(tmp_path, tamis_cli, script):
    # `tamis lid big.txt | head -1`: the reader goes away while the command still writes.
    big = tmp_path / "big.txt"
    big.write_text("hello world, this is a line of english text\n" * 200_000)
    for name, exe in both(tamis_cli, script):
        p = subprocess.Popen([exe, "lid", str(big)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        assert p.stdout.readline().startswith(b"__label__en")
        p.stdout.close()
        assert p.wait(timeout=120) == 0, name
        assert p.stderr.read() == b"", name
