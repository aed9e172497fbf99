"""Every shipped sweep YAML is valid for wandb, and scripts/fit.py accepts what the agent sends."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import REPO, script
from omegaconf import OmegaConf

pytest.importorskip("sweeps")
from sweeps import next_run, schema_violations_from_proposed_config

from gan_lightning.config.loading import load_config
from gan_lightning.sweep.command import trial_command

SWEEPS = sorted((REPO / "configs" / "sweeps").glob("*.yaml"))


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_required_searches_are_shipped() -> None:
    sweeps = [read(p) for p in SWEEPS]
    assert {"random", "bayes"} <= {s["method"] for s in sweeps}
    assert any(s.get("early_terminate", {}).get("type") == "hyperband" for s in sweeps)
    assert any(s["metric"] == {"name": "val/mnist_classifier_fid", "goal": "minimize"} for s in sweeps)


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_sweep_passes_the_schema_and_fit_accepts_the_agent_command(path: Path) -> None:
    sweep = read(path)
    assert schema_violations_from_proposed_config(sweep) == []
    assert sweep["program"] == "scripts/fit.py" and "${args}" in sweep["command"]
    params = {k: v["value"] for k, v in next_run(sweep, [], validate=True).config.items()}

    words = trial_command(sweep, params)
    args, overrides = script("fit").parse_args(words[words.index(sweep["program"]) + 1 :])
    config = load_config([REPO / f for f in args.config], overrides)
    for key, value in params.items():
        assert OmegaConf.select(config, key) == value, key
    assert "wandb" in config.run.loggers  # agent-started trials must report to the sweep


def test_local_command_matches_wandb_agent() -> None:
    """The same words as wandb's agent builds, except the interpreter (this one, not PATH's python)."""
    utils = pytest.importorskip("wandb.sdk.launch.sweeps.utils")
    sweep = read(REPO / "configs" / "sweeps" / "toy_ring_random.yaml")
    params = {"g_optim.lr": 1e-05, "loss.name": "hinge", "discriminator.pack": 2, "flag": True, "betas": [0.5, 0.9]}
    agent = utils.create_sweep_command_args({"args": {k: {"value": v} for k, v in params.items()}})["args"]
    words = trial_command(sweep, params)
    assert words[-len(agent) :] == agent
    assert "--g_optim.lr=1e-05" in words
