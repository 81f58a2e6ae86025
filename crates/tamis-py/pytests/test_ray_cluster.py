"""tamis past one machine: a two-node Ray cluster made on this machine, as on real hosts
(`ray start --head`, then a second `ray start --address` with its own resources, one CPU each
so that two tasks cannot share a node), driven from this process as from a login node.
`tamis.ray.run` and `tamis.ray.dedup` write the CLI's bytes there too, and their tasks ran on
both nodes (each task leaves the id of its node through tamis.ray's test hook)."""

import os
import pathlib
import socket
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray")

import tamis  # noqa: E402
import tamis.ray  # noqa: E402
from conftest import run_cli  # noqa: E402
from test_ray import (  # noqa: E402
    STEPS,
    assert_same_dedup,
    assert_same_run,
    sample_twice,
    split_inputs,
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_nodes():
    """The cluster's two node ids, head first; the driver is connected to it."""
    ray_cli = pathlib.Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip(f"no `ray` command beside {sys.executable}")
    if ray.is_initialized():
        ray.shutdown()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}

    def ray_cmd(*args):
        r = subprocess.run([str(ray_cli), *args], env=env, capture_output=True, text=True,
                           timeout=180)
        assert r.returncode == 0, f"ray {' '.join(args)}:\n{r.stdout}\n{r.stderr}"

    address = f"127.0.0.1:{free_port()}"
    try:
        ray_cmd("start", "--head", f"--port={address.split(':')[1]}", "--num-cpus=1",
                "--include-dashboard=false", "--disable-usage-stats")
        ray_cmd("start", f"--address={address}", "--num-cpus=1",
                '--resources={"second_node": 1}')
        ray.init(address=address, log_to_driver=False)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2, nodes
        nodes.sort(key=lambda n: "second_node" in n["Resources"])
        assert [n["Resources"].get("CPU") for n in nodes] == [1.0, 1.0]
        yield [n["NodeID"] for n in nodes]
    finally:
        ray.shutdown()
        subprocess.run([str(ray_cli), "stop", "--force"], env=env, capture_output=True,
                       timeout=180)


def where_tasks_ran(tmp_path):
    """A folder where every task leaves its shard and node, and the runtime_env that says so."""
    marks = tmp_path / "nodes"
    marks.mkdir()
    return marks, {"env_vars": {"TAMIS_TEST_RAY_NODES": str(marks)}}


def nodes_of(marks, task):
    """The nodes that ran `task`'s shards (file names `TASK-SHARD-NODE`)."""
    return {p.name.split("-", 2)[2] for p in marks.iterdir() if p.name.startswith(f"{task}-")}


def test_ray_run_on_two_nodes_writes_the_clis_bytes(tmp_path, tamis_cli, sample_dir, two_nodes):
    inputs = split_inputs(tmp_path, sample_dir)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    flags = ["--max-file-bytes", "9000", "--checkpoint-every", "3"]
    run_cli(tamis_cli, ["run", "--steps", ",".join(STEPS), str(inputs), "-o", str(cli_out),
                        "--no-progress", *flags])
    marks, env = where_tasks_ran(tmp_path)
    # Default shards: one per CPU of the cluster, so one per node.
    stats = tamis.ray.run(tamis.Pipeline(STEPS), [inputs], ray_out, max_file_bytes=9000,
                          checkpoint_every=3, runtime_env=env)
    assert len(list(marks.iterdir())) == 2
    assert nodes_of(marks, "run") == set(two_nodes)
    assert_same_run(ray_out, cli_out, stats, tamis_cli)


@pytest.mark.parametrize("method,flags", [("minhash", []), ("exact", ["--exact"])])
def test_ray_dedup_on_two_nodes_writes_the_clis_bytes(tmp_path, tamis_cli, sample_dir, two_nodes,
                                                      method, flags):
    inputs = sample_twice(tmp_path, sample_dir)
    cli_out, ray_out = tmp_path / "cli", tmp_path / "ray"
    run_cli(tamis_cli, ["dedup", *flags, str(inputs), "-o", str(cli_out), "--no-progress"])
    marks, env = where_tasks_ran(tmp_path)
    stats = tamis.ray.dedup([inputs], ray_out, method=method, runtime_env=env)
    # Every sharded stage ran its two shards, one on each node.
    for stage in ("signatures", "buckets", "filter"):
        assert nodes_of(marks, stage) == set(two_nodes), stage
    assert_same_dedup(ray_out, cli_out, stats)


def test_threads_below_one_are_refused_before_any_task_starts(tmp_path, sample_dir, two_nodes):
    # Each task asks Ray for `threads` CPUs; 0 (a local run's "all cores") would ask for none.
    for call in (tamis.ray.run, tamis.ray.dedup):
        args = (tamis.Pipeline(STEPS),) if call is tamis.ray.run else ()
        with pytest.raises(tamis.ConfigError, match="threads must be"):
            call(*args, [sample_dir], tmp_path / "o", threads=0)
        assert not (tmp_path / "o").exists()
