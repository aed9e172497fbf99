"""The Weights & Biases logger of a run, configured from ``run.wandb`` and the environment.

``wandb`` itself is imported only by Lightning's ``WandbLogger`` when a run asks for it, so the
package (and machines without wandb) never need it otherwise.
"""

from __future__ import annotations

import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import OmegaConf

from gan_lightning.config.schema import ExperimentConfig

WANDB_MODES = ("auto", "online", "offline", "disabled")
DEFAULT_PROJECT = "gan-lightning"
_WANDB_MODE_ALIASES = {"dryrun": "offline", "run": "online"}


def _has_wandb_login() -> bool:
    """An API key in the environment or a ``wandb login`` entry in ``~/.netrc`` (never read further)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname
    try:
        return host is not None and netrc.netrc(os.environ.get("NETRC")).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def resolve_mode(mode: str) -> str:
    """``run.wandb.mode`` as wandb understands it; ``auto`` never tries to go online without a login."""
    if mode != "auto":
        return mode
    from_env = os.environ.get("WANDB_MODE")
    if from_env:
        return _WANDB_MODE_ALIASES.get(from_env, from_env)
    if os.environ.get("WANDB_SWEEP_ID") or _has_wandb_login():
        return "online"
    return "offline"


class RunWandbLogger(WandbLogger):
    """Lightning's ``WandbLogger`` that also finishes the wandb run when training ends.

    Lightning leaves the run open, so a second fit in the same process (a notebook, the tests)
    would silently log into the first run; a failed fit is marked as failed in wandb.
    """

    @rank_zero_only
    def finalize(self, status: str) -> None:
        super().finalize(status)
        if self._experiment is not None:
            self._experiment.finish(exit_code=0 if status == "success" else 1)


def build_wandb_logger(config: ExperimentConfig, run_dir: Path, run_id: str | None = None) -> WandbLogger:
    """The wandb logger; ``run_id`` (from a checkpoint) continues that wandb run on ``--resume``."""
    settings = config.run.wandb
    save_dir = Path(settings.save_dir) if settings.save_dir else run_dir
    save_dir.mkdir(parents=True, exist_ok=True)
    resume: dict[str, str] = {"id": run_id, "resume": "allow"} if run_id else {}
    return RunWandbLogger(
        project=settings.project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT,
        entity=settings.entity,
        name=settings.name or f"{config.name}/{run_dir.name}",
        group=settings.group,
        tags=list(settings.tags),
        mode=resolve_mode(settings.mode),
        save_dir=str(save_dir),
        log_model=settings.log_checkpoints,
        config=OmegaConf.to_container(config, resolve=True),  # type: ignore[arg-type]
        **resume,
    )
