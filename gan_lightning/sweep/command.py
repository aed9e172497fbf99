"""The command line of one trial, built exactly as ``wandb agent`` builds it.

A sweep YAML's ``command`` is a list of words with macros; the agent replaces ``${args}`` with
``--key=value`` for every parameter (``str(value)``, so ``1e-05``, ``True``, ``[0.5, 0.9]``).
Parameter names are dotted config keys (``g_optim.lr``), which ``scripts/fit.py`` reads as
overrides; nested ``parameters:`` blocks would reach the program as one dict and are not used.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from typing import Any

DEFAULT_COMMAND = ("${env}", "${interpreter}", "${program}", "${args}")


class SweepCommandError(ValueError):
    """The sweep YAML's command cannot be run locally."""


def agent_args(params: Mapping[str, Any]) -> list[str]:
    """``--key=value`` per parameter: the agent's ``${args}``."""
    return [f"--{key}={value}" for key, value in params.items()]


def trial_command(sweep: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """The words the agent would run for ``params``, with this interpreter for ``${interpreter}``.

    The agent runs ``python`` from ``PATH``; locally the interpreter of the sweep itself is used so
    trials run in the same environment.
    """
    macros = {
        "${env}": [shutil.which("env") or "/usr/bin/env"],
        "${interpreter}": [sys.executable],
        "${program}": [str(sweep["program"])],
        "${args}": agent_args(params),
        "${args_no_hyphens}": [arg[2:] for arg in agent_args(params)],
    }
    words: list[str] = []
    for word in sweep.get("command", DEFAULT_COMMAND):
        word = str(word)
        if word.startswith("${") and word.endswith("}"):
            if word not in macros:
                raise SweepCommandError(f"command macro {word} is not supported by local sweeps")
            words += macros[word]
        else:
            words.append(word)
    return words
