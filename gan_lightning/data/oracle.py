"""The SeqGAN/Texygen oracle, ``data.name=oracle``: an LSTM with every parameter drawn from N(0, 1) (SeqGAN, Yu et al.
2017; Texygen, Zhu et al. 2018): vocabulary 5,000, embedding 32, hidden 32, sequences of 20 tokens started from token
0. Its training and held-out sets are sampled from it; its per-token NLL of any sequences (NLL_oracle) is the
benchmark's quality measure, and its NLL of its own held-out samples estimates its entropy, the floor no model can
beat on average. Everything is drawn from ``data.seed``, not the run's seed, so every run and seed of the
benchmark scores against the same oracle and data.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from gan_lightning.config.options import at_least, positive
from gan_lightning.config.schema import ExperimentConfig
from gan_lightning.data import image_args, register_dataset
from gan_lightning.data.base import GeneratedData
from gan_lightning.data.text import TokenDataModule
from gan_lightning.files import atomic_path

START_TOKEN = 0
"""The oracle's first input token (SeqGAN's start token)."""


class OracleLSTM:
    """SeqGAN's oracle: an LSTM language model whose every parameter is drawn from N(0, 1) from ``seed``.

    Large random weights make a peaked, structured distribution over sequences (its entropy is far below
    ``T ln V``), which a model must learn from samples alone. Plain tensors, never trained.
    """

    def __init__(self, vocab_size: int, embedding: int, hidden: int, length: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)

        def draw(*shape: int) -> Tensor:
            return torch.randn(shape, generator=generator)

        self.vocab_size, self.hidden, self.length = vocab_size, hidden, length
        self.embedding = draw(vocab_size, embedding)
        self.weight_ih, self.weight_hh = draw(4 * hidden, embedding), draw(4 * hidden, hidden)
        self.bias = draw(4 * hidden)
        self.out_weight, self.out_bias = draw(vocab_size, hidden), draw(vocab_size)

    def _step(self, tokens: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Log-probabilities of the next token after ``tokens`` ``(B,)`` and the new (h, c)."""
        h, c = state
        gates = self.embedding[tokens] @ self.weight_ih.T + h @ self.weight_hh.T + self.bias
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return torch.log_softmax(h @ self.out_weight.T + self.out_bias, dim=1), (h, c)

    def _initial(self, batch: int) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        zeros = torch.zeros(batch, self.hidden)
        return torch.full((batch,), START_TOKEN, dtype=torch.long), (zeros, zeros.clone())

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator, batch_size: int = 2000) -> Tensor:
        """``num`` sequences ``(num, length)`` of token ids, by inverse-CDF sampling from ``generator``."""
        chunks = []
        for start in range(0, num, batch_size):
            batch = min(batch_size, num - start)
            tokens, state = self._initial(batch)
            sequence = []
            for _ in range(self.length):
                log_probs, state = self._step(tokens, state)
                cdf = log_probs.exp().cumsum(dim=1)
                u = torch.rand(batch, 1, generator=generator) * cdf[:, -1:]
                tokens = torch.searchsorted(cdf, u).squeeze(1).clamp_(max=self.vocab_size - 1)
                sequence.append(tokens)
            chunks.append(torch.stack(sequence, dim=1))
        return torch.cat(chunks)

    @torch.no_grad()
    def nll(self, sequences: Tensor, batch_size: int = 2000) -> float:
        """The oracle's mean negative log-likelihood per token (nats) of ``sequences`` ``(N, length)``: NLL_oracle."""
        sequences = sequences.long().cpu()
        total = 0.0
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            tokens, state = self._initial(len(chunk))
            for t in range(chunk.shape[1]):
                log_probs, state = self._step(tokens, state)
                tokens = chunk[:, t]
                total -= log_probs.gather(1, tokens[:, None]).double().sum().item()
        return total / sequences.numel()


@dataclass(frozen=True)
class OracleSpec:
    """What fixes an oracle and its data sets (``data.*``)."""

    vocab_size: int = 5000
    embedding: int = 32
    hidden: int = 32
    length: int = 20
    seed: int = 0
    num_train: int = 10_000
    num_test: int = 10_000

    def build(self) -> OracleLSTM:
        return OracleLSTM(self.vocab_size, self.embedding, self.hidden, self.length, self.seed)


@functools.cache
def oracle_and_data(spec: OracleSpec, cache_dir: str | None = None) -> tuple[OracleLSTM, Tensor, Tensor, float]:
    """The oracle, its training and held-out samples and its entropy estimate (its NLL of the held-out samples),
    made once per process and kept under ``cache_dir`` (``metrics.cache_dir``) by a hash of ``spec``: at the
    benchmark's size they take a minute on one core, every run of the benchmark needs them."""
    oracle = spec.build()
    cached = None
    if cache_dir is not None:
        key = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]
        cached = Path(cache_dir).expanduser() / "oracle" / f"{key}.pt"
        if cached.is_file():
            saved = torch.load(cached, weights_only=True)
            return oracle, saved["train"].long(), saved["test"].long(), float(saved["entropy"])
    generator = torch.Generator().manual_seed(spec.seed + 1)
    train, test = oracle.sample(spec.num_train, generator), oracle.sample(spec.num_test, generator)
    entropy = oracle.nll(test)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as partial:
            torch.save({"train": train.short(), "test": test.short(), "entropy": entropy}, partial)
    return oracle, train, test, entropy


class OracleDataModule(TokenDataModule):
    """The oracle's samples; :attr:`oracle` scores generated sequences."""

    has_oracle = True

    def __init__(self, batch_size: int, seed: int, spec: OracleSpec, cache_dir: str | None = None) -> None:
        super().__init__(batch_size, seed, spec.length)
        for key, value in (
            ("vocab_size", spec.vocab_size),
            ("oracle_embedding", spec.embedding),
            ("oracle_hidden", spec.hidden),
            ("num_test_samples", spec.num_test),
        ):
            if value < 1:
                raise ValueError(f"invalid value {value} for config key 'data.{key}' with oracle; allowed: >= 1")
        if spec.vocab_size > 32767:  # the cache keeps ids as int16
            raise ValueError(f"invalid value {spec.vocab_size} for config key 'data.vocab_size'; allowed: <= 32767")
        self.spec, self.cache_dir = spec, cache_dir

    def _made(self) -> tuple[OracleLSTM, Tensor, Tensor, float]:
        return oracle_and_data(self.spec, self.cache_dir)

    @property
    def vocabulary(self) -> list[str]:
        return [str(token) for token in range(self.spec.vocab_size)]

    @property
    def oracle(self) -> OracleLSTM:
        return self._made()[0]

    @property
    def entropy(self) -> float:
        """The oracle's NLL of its own held-out samples: its entropy per token, estimated."""
        return self._made()[3]

    def load(self) -> Tensor:
        return self._made()[1]

    def test_ids(self) -> Tensor:
        return self._made()[2]


@dataclass
class OracleData(GeneratedData):
    """SeqGAN's oracle: its size, and how many sequences it says for training and for the held-out scores (``seed``
    draws its parameters and its samples: every run scores against one oracle)."""

    num_samples: int = positive(100_000)
    """Training sequences sampled from the oracle (SeqGAN: 10,000)."""
    sequence_length: int = at_least(24, 2)
    """Tokens per sequence (SeqGAN: 20, or 40)."""
    vocab_size: int = positive(5000)
    """The oracle's vocabulary (SeqGAN: 5,000)."""
    oracle_embedding: int = positive(32)
    """The oracle LSTM's embedding size (SeqGAN: 32)."""
    oracle_hidden: int = positive(32)
    """The oracle LSTM's hidden size (SeqGAN: 32)."""
    num_test_samples: int = positive(10_000)
    """Held-out sequences sampled from the oracle (NLL_test, the entropy estimate) (SeqGAN: 10,000)."""


@register_dataset("oracle", section=OracleData)
def _oracle(cfg: ExperimentConfig) -> OracleDataModule:
    data = cfg.data
    spec = OracleSpec(
        data.vocab_size,
        data.oracle_embedding,
        data.oracle_hidden,
        data.sequence_length,
        data.seed,
        data.num_samples,
        data.num_test_samples,
    )
    return OracleDataModule(*image_args(cfg)[:2], spec, cfg.metrics.cache_dir)
