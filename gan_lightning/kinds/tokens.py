"""Tokens ``(T, V)``: sequences over a vocabulary, seen by the networks as (soft) one-hot rows; text metrics.

The dataset stores token ids ``(T,)`` and serves one-hots; the generator emits Gumbel-softmax rows whose argmax is
the sampled token, so :meth:`TokensKind.to_data_space` gives token ids and the kind's vocabulary (kept in the
checkpoint) decodes them without the dataset. Every picture is a text file of decoded samples (``.txt``, a line
each) with a PNG of its first lines beside it for loggers that show images; wandb gets the lines as a Table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightning.pytorch.loggers import Logger, TensorBoardLogger, WandbLogger
from torch import Tensor

from gan_lightning.data.text import decode, real_token_mask
from gan_lightning.files import atomic_path, write_text_atomically
from gan_lightning.kinds import DataKind, register_kind, value_range
from gan_lightning.metrics.text_quality import check_text_metrics

if TYPE_CHECKING:
    from gan_lightning.config.schema import ExperimentConfig
    from gan_lightning.data.base import GANDataModule

PICTURE_LINES = 32
"""Decoded samples the PNG beside a text file shows (the text file has them all)."""


@register_kind("tokens")
class TokensKind(DataKind):
    """Token sequences of ``data_shape`` ``(T, V)``, decoded through ``vocabulary`` (joined by ``separator``, cut at
    the first of ``stop_tokens``)."""

    name = "tokens"
    description = "token data (T, V)"
    picture_suffixes = (".txt", ".png")

    def __init__(
        self,
        data_shape: Sequence[int],
        value_range: Sequence[float],
        vocabulary: Sequence[str],
        separator: str = " ",
        stop_tokens: Sequence[int] = (),
    ) -> None:
        super().__init__(data_shape, value_range)
        self.vocabulary = [str(token) for token in vocabulary]
        self.separator = str(separator)
        self.stop_tokens = [int(token) for token in stop_tokens]

    def state(self) -> dict[str, Any]:
        return {
            **super().state(),
            "vocabulary": self.vocabulary,
            "separator": self.separator,
            "stop_tokens": self.stop_tokens,
        }

    @classmethod
    def from_datamodule(cls, datamodule: GANDataModule, config: ExperimentConfig) -> TokensKind:
        return cls(
            datamodule.data_shape,
            value_range(config),
            datamodule.vocabulary,  # type: ignore[attr-defined]
            datamodule.separator,  # type: ignore[attr-defined]
            datamodule.stop_tokens,  # type: ignore[attr-defined]
        )

    def to_data_space(self, samples: Tensor) -> Tensor:
        """Token ids ``(N, T)`` (int64): each row's argmax, the token the generator sampled."""
        return samples.argmax(dim=-1)

    def likelihood_mask(self, samples: Tensor) -> Tensor | None:
        """The real tokens of each one-hot sample, up to and including its first ``<eos>``; None without stop tokens
        (the oracle), so its likelihood is the plain mean over every position as before."""

        return real_token_mask(self.to_data_space(samples), self.stop_tokens)

    def decode(self, ids: Tensor) -> list[str]:
        """The text of every sequence of ``ids`` ``(N, T)``."""

        return [decode(row, self.vocabulary, self.separator, self.stop_tokens) for row in ids.tolist()]

    def draw(self, samples: Tensor, path: str | Path, title: str = "", columns: int | None = None) -> None:
        """The decoded samples, a line each, in ``path`` with ``.txt``; a ``.png`` path also gets a picture of the
        first :data:`PICTURE_LINES` of them."""

        path = Path(path)
        lines = self.decode(samples)
        write_text_atomically(path.with_suffix(".txt"), "".join(f"{line}\n" for line in lines))
        if path.suffix == ".png":
            save_text_picture(lines[:PICTURE_LINES], path, title)

    def log_picture(self, loggers: Iterable[Logger], key: str, path: Path, step: int) -> None:
        """The PNG on every image logger, and the text file's lines as a wandb Table and TensorBoard text."""
        super().log_picture(loggers, key, path, step)
        text = path.with_suffix(".txt")
        if not text.is_file():
            return
        lines = text.read_text(encoding="utf-8").splitlines()
        for logger in loggers:
            if isinstance(logger, WandbLogger):
                logger.log_text(f"{key}_text", columns=["sample"], data=[[line] for line in lines], step=step)
            elif isinstance(logger, TensorBoardLogger):
                logger.experiment.add_text(f"{key}_text", "\n\n".join(lines), global_step=step)

    @classmethod
    def default_metric_names(cls) -> tuple[str, ...]:
        return ("nll_test", "unique")

    @classmethod
    def check_config(cls, config: ExperimentConfig, datamodule: GANDataModule) -> str | None:

        if any(d.pack != 1 for d in (config.discriminator, *config.extra_discriminators.values())):
            return "discriminator.pack: token discriminators judge one sequence at a time; set pack=1"
        return check_text_metrics(config.metrics.names, datamodule, config.data.name, config.metrics)  # type: ignore[arg-type]


def save_text_picture(lines: Sequence[str], path: str | Path, title: str = "") -> None:
    """A PNG of ``lines`` in a monospaced font, so image loggers show the samples too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [line if len(line) <= 100 else line[:97] + "..." for line in lines] or ["(no samples)"]
    figure = plt.figure(figsize=(8, 0.6 + 0.2 * len(shown)))
    figure.text(0.01, 0.99, "\n".join(shown), family="monospace", fontsize=8, va="top", ha="left")
    if title:
        figure.suptitle(title, fontsize=9, x=0.99, ha="right")
    with atomic_path(path) as partial:
        figure.savefig(partial, format="png", dpi=100)
    plt.close(figure)
