"""Hyper-parameter sweeps: wandb sweep YAMLs run locally (``scripts/sweep.py``) or by ``wandb agent``.

Only ``scripts/sweep.py`` imports this package: :mod:`gan_lightning.sweep.local` needs the
optional ``sweeps`` package (``pip install -e ".[sweep]"``).
"""
