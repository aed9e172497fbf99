#!/usr/bin/env python
"""Benchmarks that back the numbers quoted in the README and docs/RESULTS.md.

    python scripts/benchmark.py toy [--seeds 5] [--datasets ring grid] [--max-steps N] [PROTOCOL OPTIONS]
    python scripts/benchmark.py quality --config C [--seeds 3] [--extractor E] [--device auto] [PROTOCOL OPTIONS]
    python scripts/benchmark.py timegan [--config configs/rnn_sines.yaml] [--seeds 3] [PROTOCOL OPTIONS]
    python scripts/benchmark.py video [--configs A B] [--seeds 3] [--num 4000] [PROTOCOL OPTIONS]
    python scripts/benchmark.py audio [--configs A B] [--seeds 3] [--num 800] [PROTOCOL OPTIONS]
    python scripts/benchmark.py stacked_mnist --configs A [B ...] [--seeds 3] [--num 26000] [PROTOCOL OPTIONS]
    python scripts/benchmark.py <a kind's command> [--configs A B] [--seeds N] [PROTOCOL OPTIONS]
        PROTOCOL OPTIONS: [--jobs J] [--root DIR] [--json FILE] [key=value ...]
    python scripts/benchmark.py text [--mle C] [--gan C] [--seeds 3] [--ngrams 2 3 5] [--jobs J] [--root DIR] [k=v ...]
    python scripts/benchmark.py train [--repeats 5] [--steps 100] [key=value ...]
    python scripts/benchmark.py data [--config C] [--batches 200] [--repeats 5] [--workers 0 2] [--threads N] [k=v ...]
    python scripts/benchmark.py fid [--num 1000] [--repeats 3] [--device auto] [--inception-weights W] [k=v ...]
    python scripts/benchmark.py profile --config C [--warmup 5] [--steps 20] [key=value ...]
    python scripts/benchmark.py bleu [--corpus DIR] [--hypotheses 1000] [--references 10000] [--nltk 20]
        [--torchmetrics 5]

``toy``, ``quality``, ``timegan``, ``video``, ``audio`` and ``stacked_mnist`` are one protocol
(gan_lightning/benchmarks/protocol.py): per config, one run per seed (``--jobs`` trained at once, each with cores / jobs
threads), then each final EMA generator scored as ``scripts/evaluate.py`` scores a checkpoint; beside the runs, controls
scored against the same reference set (an untrained generator of each config, and the real sets the command names); per
config the mean ± standard error over seeds of every value and each run's wall time, one markdown table beside the
published rows, and with ``--json`` every run's values (by config), the controls' (``controls``) and the means
(``summary``). ``--root`` keeps the runs: an interrupted benchmark resumes them exactly, a finished run is scored as it
is (without it they train in a temporary folder). Overrides apply to every run.

``stacked_mnist``: VEEGAN's protocol (PacGAN's and R3GAN's Table 2) on the configs named: 26,000 stacks from each EMA
generator, each channel read by the shipped MNIST classifier, modes covered of 1,000 and KL to uniform, beside real
training stacks, an untrained generator and the published figures.

``toy``: the PacGAN Table 1 protocol (Lin et al. 2018) on the shipped ``toy_ring`` / ``toy_grid``
configs: 2,500 samples from each EMA generator, modes captured, % high-quality samples and reverse KL, beside
PacGAN's published rows. ``--jobs 2`` trains two seeds at once (one thread each on 2 cores): half the total time,
each run's wall time measured with the other run beside it.

``quality``: Lucic et al.'s protocol for any image config: each final EMA generator evaluated with the config's
``metrics`` (default FID, KID, precision/recall; ``--extractor`` overrides ``metrics.extractor``) on ``--device``,
beside Lucic et al.'s best FID per model on MNIST, Fashion-MNIST and CIFAR-10 (Inception FID, 10,000 generated vs
10,000 test images).

``timegan``: TimeGAN's Table 2 protocol (Yoon et al. 2019) on a sequence config: the discriminative and predictive
scores of 10,000 EMA sequences (``metrics.timegan.runs`` post-hoc models each), beside an untrained generator of the
same size, the real data's own predictive score and TimeGAN's published rows for the sines.

``video``: MoCoGAN (``video_moving_mnist_quick.yaml``) against the 3D-conv baseline
(``video3d_moving_mnist_quick.yaml``): every video metric of ``--num`` EMA clips against ``--num`` clips of held-out
digits, beside real training clips (the floor), the same clips shuffled in time, and each config's untrained
generator.

``audio``: WaveGAN (``wavegan_spoken_digits_quick.yaml``) and SpecGAN (``specgan_spoken_digits_quick.yaml``) on the
spoken digits: every unconditional audio metric of ``--num`` EMA clips against ``--num`` clips of held-out voices,
and the Inception score as a ratio to the real test clips' own, beside real training clips (the floor), the real test
clips themselves (the ceiling), those heard through a config's representation where it changes them, and each
config's untrained generator.

A kind of data whose file declares a ``BenchmarkSpec`` (``DataKind.benchmark``, docs/FORKING.md) adds its command to
these: its configs (``--configs``) trained with its overrides, each final EMA generator scored by its metrics, a
column per logged value beside each config's untrained generator.

``text``: the oracle benchmark (SeqGAN, Texygen): per seed, the MLE-only config (``text_oracle_mle.yaml``) and the
GAN config (``text_oracle_gan.yaml``) continuing that run's final checkpoint, so both start from the same MLE state;
NLL_oracle, NLL_test and the unique-sample ratio of ``metrics.num_generated`` samples at temperature 1 (mean ± s.e.
over seeds), the GAN's gain in NLL_oracle over MLE per seed, each run's wall time, beside the oracle's entropy and
``ln V``, and the same metrics of n-grams of the training split (``--ngrams``: the controls). ``--root`` keeps the
runs: an interrupted benchmark resumes them exactly, a finished run is scored as is.

``data``: batches/s of the in-memory loader (one uint8 tensor indexed by a random permutation)
against torch DataLoaders over the same images and batch size: a ``TensorDataset`` (per-sample
indexing and collation) and torchvision's per-sample path (PIL image → ``ToTensor`` →
``Normalize``, what ``torchvision.datasets.FashionMNIST`` with transforms does), with
``--workers`` worker processes each. Every batch ends as float32 in the generator's range;
medians over interleaved repetitions, and the in-memory loader's speed-up over each.

``bleu``: wall time of BLEU-2..5 and Self-BLEU-2..5 at thousands of references (fortunes lines, word level, the first
``--references`` as references, the next ``--hypotheses`` as samples): ours (each n-gram's largest reference count
precomputed) against nltk's ``sentence_bleu`` (Texygen's call; checked to agree with ours) on ``--nltk`` samples and
torchmetrics' corpus-level ``BLEUScore`` on ``--torchmetrics``, both extrapolated linearly to all samples.

``profile``: where a training step of ``--config`` spends its time (``torch.profiler`` over ``--steps`` generator
steps after ``--warmup``, the run as ``fit.py`` makes it): each phase of the step (G's forward, the D updates with
their penalties and backward, the G update, the EMA, and the rest: Lightning's loop and the data), then the operators
with the most time of their own.

``fid``: seconds per repeated FID evaluation of ``--num`` generated vs ``--num`` real images
(``--config``'s data, an untrained generator: the cost does not depend on training) with the real
Inception features cached, against torchmetrics' default usage that recomputes them each time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from gan_lightning.benchmarks.audio_protocol import AUDIO
from gan_lightning.benchmarks.bleu_cost import benchmark_bleu_cost, fortune_lines
from gan_lightning.benchmarks.fid_cost import benchmark_fid_cost
from gan_lightning.benchmarks.loader_speed import benchmark_loaders, summarize_loaders
from gan_lightning.benchmarks.protocol import (
    BenchmarkCommandError,
    Protocol,
    add_protocol_command,
    kind_protocols,
    run_protocol,
)
from gan_lightning.benchmarks.quality import QUALITY
from gan_lightning.benchmarks.stacked_mnist_protocol import STACKED_MNIST
from gan_lightning.benchmarks.step_profile import profile_config
from gan_lightning.benchmarks.step_profile import summarize as summarize_profile
from gan_lightning.benchmarks.text_protocol import NGRAM_ORDERS, benchmark_text, ngram_controls, report_text
from gan_lightning.benchmarks.timegan_protocol import TIMEGAN
from gan_lightning.benchmarks.toy_modes import TOY
from gan_lightning.benchmarks.train_speed import benchmark_train, summarize
from gan_lightning.benchmarks.video_protocol import VIDEO
from gan_lightning.config.loading import ConfigError, load_config
from gan_lightning.metrics.bleu import BLEU_ORDERS
from gan_lightning.metrics.suite import latent_samples, real_subset
from gan_lightning.metrics.text_scores import TextMetricError
from gan_lightning.training import build_module, prepare_data

REPO = Path(__file__).resolve().parents[1]


def ngram_order(text: str) -> int:
    """``--ngrams``' values: an n-gram's order, a whole number from 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"an n-gram's order is a whole number from 1, got {text!r}")
    return int(text)


def text(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        runs = benchmark_text(Path(args.mle), Path(args.gan), args.seeds, args.root or Path(scratch), args.overrides,
                              args.jobs)  # fmt: skip
    controls = ngram_controls(Path(args.mle), args.overrides, args.ngrams)
    return report_text(runs, controls, args.jobs, args.json.with_suffix(".png") if args.json else None)


def bleu(args: argparse.Namespace) -> dict[str, object]:
    try:
        lines = fortune_lines(args.corpus, args.references + args.hypotheses)
    except TextMetricError as error:
        raise SystemExit(f"error: {error}") from error
    references, hypotheses = lines[: args.references], lines[args.references :]
    print(f"{len(hypotheses)} hypotheses x {len(references)} references (fortunes lines, word level)")
    result = benchmark_bleu_cost(references, hypotheses, args.nltk, args.torchmetrics)
    ours = result["ours"]
    build, score = ours["table_seconds"], ours["scoring_seconds"]
    print(f"ours: BLEU-2..5 {build + score:.2f} s (tables {build:.2f} s, scoring {score:.2f} s): "
          + ", ".join(f"BLEU-{n} {ours['bleu'][n]:.4f}" for n in BLEU_ORDERS))  # fmt: skip
    for name in ("hypotheses", "references"):
        diversity = ours[f"self_bleu_{name}"]
        print(f"ours: Self-BLEU-2..5 of the {diversity['count']} {name} {diversity['seconds']:.2f} s: "
              + ", ".join(f"Self-BLEU-{n} {diversity['self_bleu'][n]:.4f}" for n in BLEU_ORDERS))  # fmt: skip
    if "nltk" in result:
        nltk = result["nltk"]
        print(f"nltk sentence_bleu: {nltk['seconds']:.2f} s for {nltk['hypotheses']} hypotheses x 4 orders, "
              f"{nltk['extrapolated_seconds']:.0f} s extrapolated to {len(hypotheses)}; largest difference from ours "
              f"{nltk['largest_difference']:.1e}")  # fmt: skip
    if "torchmetrics" in result:
        torchmetrics = result["torchmetrics"]
        print(f"torchmetrics BLEUScore(n_gram=4, smooth=True), corpus level: {torchmetrics['seconds']:.2f} s for "
              f"{torchmetrics['hypotheses']} hypotheses ({torchmetrics['extrapolated_seconds']:.0f} s for "
              f"{len(hypotheses)}): {torchmetrics['corpus_bleu_4']:.4f}; our mean sentence BLEU-4 of the same "
              f"hypotheses {torchmetrics['ours_mean_sentence_bleu_4']:.4f}")  # fmt: skip
    return result


def train(args: argparse.Namespace) -> dict[str, object]:
    overrides = [
        f"train.max_steps={args.warmup + args.steps}",
        "train.sample_every=0",
        "train.log_every=50",
        "run.progress_bar=false",
        *args.overrides,
    ]
    with tempfile.TemporaryDirectory() as scratch:
        config = load_config([args.config], [f"run.root={scratch}", *overrides])
        results = benchmark_train(config, args.repeats, args.warmup, args.steps, tuple(args.variants))
    net = config.generator
    print(f"\n{net.arch}-{config.data.resolution} width {net.width}, batch {config.train.batch_size}, "
          f"{config.trainer.precision}, {torch.get_num_threads()} threads, {args.repeats} interleaved repeats "
          f"of {args.steps} steps")  # fmt: skip
    print("\n".join(summarize(results, config.train.batch_size)))
    return results


def data(args: argparse.Namespace) -> dict[str, object]:
    if args.threads:
        torch.set_num_threads(args.threads)
    config = load_config([args.config], args.overrides)
    result = benchmark_loaders(config, args.batches, args.repeats, args.workers)
    setting = f"{args.batches} batches x {args.repeats} interleaved repeats, {torch.get_num_threads()} threads"
    print(f"\n{config.data.name}: {result['images']} images {tuple(result['shape'])}, batch "
          f"{config.train.batch_size}, {setting}")  # fmt: skip
    print("\n".join(summarize_loaders(result)))
    return result


def fid(args: argparse.Namespace) -> dict[str, object]:
    config = load_config([args.config], args.overrides)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    datamodule = prepare_data(config)
    real = real_subset(datamodule.evaluation_images(config.metrics.real_split), args.num)
    module = build_module(config, datamodule).to(device)
    generate = latent_samples(module, args.num, config.seed).generate
    result = benchmark_fid_cost(real, generate, args.num, args.repeats, args.batch, args.inception_weights, device)
    medians = result["medians"]
    assert isinstance(medians, dict)
    print(f"FID of {args.num} generated vs {len(real)} real images on {device}, median of {args.repeats}:")
    print("| evaluation | seconds |")
    print("|---|---|")
    print(f"| first, extracting and caching real features | {result['first_cached_evaluation_s']:.2f} |")
    print(f"| repeated, cached real features | {medians['cached']:.2f} |")
    print(f"| repeated, torchmetrics default (recomputes real) | {medians['torchmetrics_default']:.2f} |")
    print(f"ratio (torchmetrics default / cached): {result['ratio']:.2f}x")
    return result


def profile_step(args: argparse.Namespace) -> dict[str, object]:
    try:
        result = profile_config(args.config, args.overrides, args.warmup, args.steps)
    except (ConfigError, ValueError) as error:
        raise SystemExit(f"error: {error}") from error
    print("\n".join(summarize_profile(result)))
    return result


COMMANDS: dict[str, Callable[[argparse.Namespace], dict[str, object]]] = {
    "train": train,
    "data": data,
    "fid": fid,
    "text": text,
    "bleu": bleu,
    "profile": profile_step,
}
"""The commands outside the one protocol."""


def protocols() -> dict[str, Protocol]:
    """The commands of the one protocol (gan_lightning/benchmarks/protocol.py): the shipped specs, then every kind's
    that declares one. A kind's command that another command has stops the script with one line."""
    shipped = {protocol.command: protocol for protocol in (TOY, QUALITY, TIMEGAN, VIDEO, AUDIO, STACKED_MNIST)}
    try:
        return {**shipped, **kind_protocols([*shipped, *COMMANDS])}
    except BenchmarkCommandError as error:
        raise SystemExit(f"error: {error}") from error


PROTOCOLS = protocols()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for protocol in PROTOCOLS.values():
        add_protocol_command(commands, protocol, REPO / "configs")
    train_parser = commands.add_parser("train", help="template training step vs hand loop vs Lightning's example")
    train_parser.add_argument("--config", default=str(REPO / "configs" / "quickstart.yaml"))
    train_parser.add_argument("--repeats", type=int, default=5)
    train_parser.add_argument("--warmup", type=int, default=10)
    train_parser.add_argument("--steps", type=int, default=100)
    train_parser.add_argument("--variants", nargs="+", default=["template", "hand_loop", "lightning_example"])
    train_parser.add_argument("--json", type=Path, help="also write the per-repeat results here")
    train_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. generator.width=64")
    data_parser = commands.add_parser("data", help="in-memory loader vs torch DataLoaders, batches/s")
    data_parser.add_argument("--config", default=str(REPO / "configs" / "dcgan_fashion_mnist.yaml"))
    data_parser.add_argument("--batches", type=int, default=200, help="batches per timed repetition")
    data_parser.add_argument("--repeats", type=int, default=5)
    data_parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader worker counts")
    data_parser.add_argument(
        "--threads",
        type=int,
        help="torch threads of the main process (1 beside other processes: oversubscribed cores stall OpenMP)",
    )
    data_parser.add_argument("--json", type=Path, help="also write the per-repeat results here")
    data_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.data_dir=/path")
    fid_parser = commands.add_parser("fid", help="repeated FID with cached real features vs torchmetrics' default")
    fid_parser.add_argument("--config", default=str(REPO / "configs" / "dcgan_fashion_mnist.yaml"))
    fid_parser.add_argument("--num", type=int, default=1000, help="generated and real images per evaluation")
    fid_parser.add_argument("--repeats", type=int, default=3)
    fid_parser.add_argument("--batch", type=int, default=100)
    fid_parser.add_argument("--device", default="auto")
    fid_parser.add_argument(
        "--inception-weights", help="local copy of the Inception weights (see metrics.inception_weights)"
    )
    fid_parser.add_argument("--json", type=Path, help="also write the timings here")
    fid_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. data.data_dir=/path")
    text_parser = commands.add_parser("text", help="GAN against MLE on the oracle, from one MLE checkpoint per seed")
    text_parser.add_argument("--mle", default=str(REPO / "configs" / "text_oracle_mle.yaml"))
    text_parser.add_argument("--gan", default=str(REPO / "configs" / "text_oracle_gan.yaml"))
    text_parser.add_argument("--seeds", type=int, default=3)
    text_parser.add_argument("--jobs", type=int, default=1, help="seeds trained at once (cores/jobs threads each)")
    text_parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    text_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    text_parser.add_argument("--ngrams", type=ngram_order, nargs="*", default=list(NGRAM_ORDERS),
                             help="orders of the n-gram controls (none: no controls)")  # fmt: skip
    text_parser.add_argument("overrides", nargs="*", help="config overrides of both runs, e.g. seed-independent sizes")
    profile_parser = commands.add_parser("profile", help="where a training step's time goes, phase by phase")
    profile_parser.add_argument("--config", required=True, action="append", help="config file(s); later ones win")
    profile_parser.add_argument("--warmup", type=int, default=5, help="steps before the profiled ones")
    profile_parser.add_argument("--steps", type=int, default=20, help="generator steps profiled")
    profile_parser.add_argument("--json", type=Path, help="also write the phases and operators here")
    profile_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. trainer.precision=bf16-mixed")
    bleu_parser = commands.add_parser("bleu", help="BLEU at thousands of references: ours against nltk, torchmetrics")
    bleu_parser.add_argument("--corpus", type=Path, default=Path("/usr/share/games/fortunes"))
    bleu_parser.add_argument("--hypotheses", type=int, default=1000)
    bleu_parser.add_argument("--references", type=int, default=10000)
    bleu_parser.add_argument("--nltk", type=int, default=20, help="hypotheses nltk scores (0: skip)")
    bleu_parser.add_argument(
        "--torchmetrics", type=int, default=5, help="hypotheses torchmetrics scores (0: skip; 1,000 take about 26 h)"
    )
    bleu_parser.add_argument("--json", type=Path, help="also write the timings and values here")
    args = parser.parse_args(argv)

    if args.command in PROTOCOLS:
        protocol = PROTOCOLS[args.command]
        results = run_protocol(protocol, protocol.options(args))
    else:
        results = COMMANDS[args.command](args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
