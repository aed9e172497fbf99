"""The pre-commit configuration is valid and has the hooks CONTRIBUTING.md promises.

Running the hooks needs GitHub (pre-commit clones them), which CI cannot rely on; validating the file does not.
"""

from __future__ import annotations

import subprocess
import sys

import yaml
from helpers import REPO

CONFIG = REPO / ".pre-commit-config.yaml"


def test_hooks_for_lint_format_notebooks_and_hygiene() -> None:
    repos = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["repos"]
    hooks = {hook["id"] for repo in repos for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "nbstripout"} <= hooks
    assert {"trailing-whitespace", "end-of-file-fixer", "check-yaml", "check-merge-conflict"} <= hooks
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
