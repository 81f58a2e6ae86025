"""Helpers shared by the bench scripts (standard library only)."""
import shutil
import subprocess
import sys


def run(cmd, cpu=None):
    """Runs `cmd` (pinned to CPU `cpu` where taskset exists) and returns its stdout; exits with
    its stderr's end when it fails."""
    pin = ["taskset", "-c", cpu] if cpu is not None and shutil.which("taskset") else []
    p = subprocess.run(pin + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return p.stdout


def cleaning_parser(root):
    """The arguments every line-cleaning bench takes: --shared, --cpu and --param."""
    import argparse
    import os

    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    ap.add_argument("--cpu", default="0")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a line_clean parameter as TOML, e.g. foreign_language=true (repeatable)")
    return ap
