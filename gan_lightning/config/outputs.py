"""Where and how a run writes its outputs: the run directory, its loggers and Weights & Biases' settings.

Kept apart from :mod:`gan_lightning.config.schema` because nothing in them shapes training: two runs that differ
only here train the same networks.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WandbConfig:
    """Weights & Biases settings, used when ``run.loggers`` includes ``wandb``.

    There is deliberately no API-key setting: wandb reads the key from ``WANDB_API_KEY`` or
    ``~/.netrc`` (``wandb login``), so it can never be written into a saved config or checkpoint.
    """

    project: str | None = None
    """None: ``WANDB_PROJECT`` from the environment, else ``gan-lightning``."""
    entity: str | None = None
    """User or team; None: ``WANDB_ENTITY``, else your default entity."""
    name: str | None = None
    """Run name; None: ``<name>/<version>`` of the run directory."""
    group: str | None = None
    """Groups runs in the wandb UI (e.g. the seeds of one experiment)."""
    tags: list[str] = field(default_factory=list)
    """Tags of the wandb run."""
    mode: str = "auto"
    """auto | online | offline | disabled. auto: ``WANDB_MODE`` if set, else online when a wandb login
    is found (``WANDB_API_KEY``, ``~/.netrc``) or a wandb agent started the run, else offline, so a
    machine without network or login still trains (``wandb sync`` uploads the run later)."""
    save_dir: str | None = None
    """wandb writes ``<save_dir>/wandb/<run>``; None: the run directory."""
    log_checkpoints: bool = False
    """Upload the run's checkpoints as wandb artifacts at the end of training (they can be large)."""


@dataclass
class RunConfig:
    """Where and how a run writes its outputs."""

    root: str = "runs"
    """Run directories are ``<root>/<name>/<version>``."""
    version: str | None = None
    """Run directory name; default is a timestamp."""
    loggers: list[str] = field(default_factory=lambda: ["csv"])
    """Any of csv, tensorboard, wandb."""
    progress_bar: bool = True
    """One terminal bar over generator steps: total, ETA, images/s, latest losses, last FID or toy modes."""
    model_summary: bool = False
    """Print Lightning's table of the networks' parameter counts when training starts (off: the terminal shows the
    progress bar and the end of the run only)."""
    wandb: WandbConfig = field(default_factory=WandbConfig)
