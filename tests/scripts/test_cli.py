"""scripts/fit.py and scripts/sample.py as a user runs them: in subprocesses, bad-input cases in this process."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, TINY, only_run, run_script, script


@pytest.mark.slow  # script processes end to end; the fast tier checks the exit code of one (bad input)
def test_fit_then_sample_toy(tmp_path: Path) -> None:
    config = str(REPO / "configs" / "toy_ring.yaml")
    # the wandb-agent form (--key=value) and the plain form mix freely
    done = run_script(
        "fit.py", "--config", config, f"--run.root={tmp_path}", "data.num_samples=512", *TINY, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    run_dir = only_run(tmp_path)
    for name in (
        "config.yaml",
        "metrics.csv",
        "checkpoints/last.ckpt",
        "samples/final.png",
        "samples/step_0000002.png",
    ):
        assert (run_dir / name).is_file(), name
    ckpt = str(run_dir / "checkpoints" / "last.ckpt")

    first, again, other = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    for out, seed in ((first, "1"), (again, "1"), (other, "2")):
        done = run_script("sample.py", "--ckpt", ckpt, "--num", "2500", "--out", str(out), "--seed", seed, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    samples = np.load(first)["samples"]
    assert samples.shape == (2500, 2) and samples.dtype == np.float32
    assert np.array_equal(samples, np.load(again)["samples"])
    assert not np.array_equal(samples, np.load(other)["samples"])

    raw = tmp_path / "raw.npz"
    assert (
        run_script("sample.py", "--ckpt", ckpt, "--num", "10", "--out", str(raw), "--no-ema", cwd=tmp_path).returncode
        == 0
    )
    assert not np.array_equal(np.load(raw)["samples"], samples[:10])
    scatter = tmp_path / "scatter.png"
    assert run_script("sample.py", "--ckpt", ckpt, "--num", "500", "--out", str(scatter), cwd=tmp_path).returncode == 0
    assert scatter.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # three script processes; the fast tier resumes in-process (tests/test_resume.py)
def test_fit_quickstart_sample_grid_and_resume(tmp_path: Path) -> None:
    config = str(REPO / "configs" / "quickstart.yaml")
    done = run_script("fit.py", "--config", config, f"run.root={tmp_path}", *TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = only_run(tmp_path)
    ckpt = str(run_dir / "checkpoints" / "last.ckpt")
    out = tmp_path / "digits.npz"
    assert run_script("sample.py", "--ckpt", ckpt, "--num", "7", "--out", str(out), cwd=tmp_path).returncode == 0
    digits = np.load(out)["samples"]
    assert digits.shape == (7, 1, 28, 28) and digits.min() >= 0 and digits.max() <= 1
    grid = tmp_path / "grid.png"
    assert run_script("sample.py", "--ckpt", ckpt, "--num", "16", "--out", str(grid), cwd=tmp_path).returncode == 0
    # The quickstart's classifier metrics: in the CSV at every metrics.every step, best.ckpt kept by FID.
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    fids = {int(r["step"]): float(r["val/mnist_classifier_fid"]) for r in rows if r.get("val/mnist_classifier_fid")}
    assert sorted(fids) == [2, 4] and all(math.isfinite(v) and v > 0 for v in fids.values())
    assert any(r.get("val/mnist_classifier_classes_covered") for r in rows)
    assert (run_dir / "checkpoints" / "best.ckpt").is_file() and (run_dir / "curves.png").is_file()

    # resume the newest run of this experiment with a longer budget
    done = run_script("fit.py", "--config", config, "--resume", "last", f"run.root={tmp_path}", *TINY,
                      "train.max_steps=6", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert only_run(tmp_path) == run_dir
    assert (run_dir / "checkpoints" / "gen_step=0000006.ckpt").is_file()
    # or resume from the run directory alone: its saved config is used
    done = run_script("fit.py", "--resume", str(run_dir), "train.max_steps=8", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (run_dir / "checkpoints" / "gen_step=0000008.ckpt").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train.batchsize=3"], "error: unknown config key 'train.batchsize' on the command line"),
        (["--train.batch_size=abc"], "error: config key 'train.batch_size' on the command line: value 'abc'"),
        (["train.batch_size=0"], "error: invalid value 0 for config key 'train.batch_size'"),
        (["d_optim.lr=-1e-4"], "error: invalid value -0.0001 for config key 'd_optim.lr'"),
        (["loss.name=wgan"], "error: invalid value 'wgan' for config key 'loss.name'"),
        (["generator.arch=stylegan"], "error: invalid value 'stylegan' for config key 'generator.arch'"),
        (
            ["data.name=mnist", "data.data_dir=/nonexistent"],
            "error: data.data_dir='/nonexistent' lacks the MNIST",
        ),
        (["metrics.names=[fid,lpips]"], "error: invalid value ['fid', 'lpips'] for config key 'metrics.names'"),
        (["metrics.real_split=test"], "error: invalid value 'test' for config key 'metrics.real_split' with mnist_"),
        (
            ["metrics.extractor=inception", "metrics.inception_weights=/nonexistent.pt"],
            "error: metrics.inception_weights='/nonexistent.pt': no such file",
        ),
        (
            ["--resume", "/nonexistent/run"],
            "error: --resume /nonexistent/run: no such checkpoint file or run",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """scripts/fit.py's ``main`` in this process (a fresh interpreter per case would cost seconds each)."""
    monkeypatch.chdir(tmp_path)
    config = str(REPO / "configs" / "quickstart.yaml")
    assert script("fit").main(["--config", config, f"run.root={tmp_path / 'runs'}", *args]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(message), stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert not (tmp_path / "runs").exists()


def test_a_bad_input_ends_the_process_with_exit_2(tmp_path: Path) -> None:
    config = str(REPO / "configs" / "quickstart.yaml")
    done = run_script("fit.py", "--config", config, f"run.root={tmp_path / 'runs'}", "train.batchsize=3", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown config key 'train.batchsize' on the command line")
    assert done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow  # FID of a trained run; the fast tier evaluates conditional and translation runs
def test_evaluate_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    config = str(REPO / "configs" / "quickstart.yaml")
    assert run_script("fit.py", "--config", config, f"run.root={tmp_path}", *TINY, cwd=tmp_path).returncode == 0
    ckpt = str(only_run(tmp_path) / "checkpoints" / "last.ckpt")
    out = tmp_path / "eval.json"
    args = ["--ckpt", ckpt, "--metrics", "fid,pr,classes", "--num", "100", "--json", str(out), "metrics.num_real=80"]
    done = run_script("evaluate.py", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["generator_step"] == 4 and report["num_generated"] == 100 and report["num_real"] == 80
    assert set(report["metrics"]) == {"fid", "precision", "recall", "classes_covered", "class_kl"}
    assert f"{report['metrics']['fid']:.6g}" in done.stdout
    # Same checkpoint and options: the same numbers, and the real features now come from the cache.
    again = run_script("evaluate.py", *args, cwd=tmp_path)
    assert again.returncode == 0 and json.loads(out.read_text())["metrics"] == report["metrics"]
    assert json.loads(out.read_text())["real_features_from_cache"] is True
    # the EMA generator's statistics re-estimated on its own outputs: other samples, so another FID
    standing = run_script("evaluate.py", *args, "train.ema_standing_batches=4", cwd=tmp_path)
    assert standing.returncode == 0 and json.loads(out.read_text())["metrics"]["fid"] != report["metrics"]["fid"]
    missing = "metrics.classifier_weights=/nonexistent.pt"
    bad = run_script("evaluate.py", "--ckpt", ckpt, "--json", str(tmp_path / "no.json"), missing, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error: classifier weights /nonexistent.pt")
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert not (tmp_path / "no.json").exists()


def test_corrupt_checkpoint_is_reported(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.ckpt"
    corrupt.write_bytes(b"\x00" * 100)
    done = run_script("sample.py", "--ckpt", str(corrupt), "--num", "4", "--out", str(tmp_path / "x.npz"), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: cannot read checkpoint")
    assert not (tmp_path / "x.npz").exists()
    done = run_script("fit.py", "--resume", str(corrupt), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: cannot read checkpoint")


@pytest.mark.slow  # a process killed mid-run and resumed
def test_sigterm_stops_with_its_own_exit_code_and_the_run_resumes(tmp_path: Path) -> None:
    """A preempted run (SIGTERM) must not look finished: exit 143, one line, and --resume completes it."""
    import signal
    import time

    config = str(REPO / "configs" / "toy_ring.yaml")
    long_run = ["train.max_steps=100000", "train.checkpoint_every=20", "metrics.every=0"]
    args = [sys.executable, str(REPO / "scripts" / "fit.py"), "--config", config, f"run.root={tmp_path}",
            "data.num_samples=512", *TINY, *long_run]  # fmt: skip
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(tmp_path.glob("*/*/checkpoints/last.ckpt")) and time.monotonic() < deadline:
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr[-2000:]
    assert "error: stopped by SIGTERM; the last checkpoint is kept" in stderr
    run_dir = only_run(tmp_path)
    done = run_script("fit.py", "--resume", str(run_dir), "train.max_steps=40", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "run finished" in done.stdout


def test_the_quickstart_prints_its_progress_bar_and_the_end_only(tmp_path: Path) -> None:
    """What a newcomer sees: the generator-step bar and ``run finished``; no summary table, device lines or warnings."""
    done = run_script(
        "fit.py", "--config", str(REPO / "configs" / "quickstart.yaml"), f"run.root={tmp_path}", *TINY[1:],
        "metrics.names=[fid]", "metrics.extractor=mnist_classifier", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line.strip() for line in (done.stdout + done.stderr).replace("\r", "\n").splitlines() if line.strip()]
    others = [line for line in lines if not line.startswith("generator steps:")]
    assert others == [f"run finished: {only_run(tmp_path)}"], others
    assert any("fid=" in line for line in lines)  # the metric the bar promises
