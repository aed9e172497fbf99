#!/usr/bin/env python
"""Benchmarks that back the numbers quoted in the README and issue notes.

    python scripts/benchmark.py toy [--seeds 5] [--datasets ring grid] [--max-steps N] [--jobs J]
    python scripts/benchmark.py quality --config C [--seeds 3] [--jobs J] [--root DIR] [--extractor E] [--device auto]
        [key=value ...]
    python scripts/benchmark.py train [--repeats 5] [--steps 100] [key=value ...]
    python scripts/benchmark.py data [--config C] [--batches 200] [--repeats 5] [--workers 0 2] [--threads N] [k=v ...]
    python scripts/benchmark.py fid [--num 1000] [--repeats 3] [--device auto] [--inception-weights W] [k=v ...]
    python scripts/benchmark.py timegan [--config configs/rnn_sines.yaml] [--seeds 3] [--jobs J] [k=v ...]
    python scripts/benchmark.py video [--configs A B] [--seeds 3] [--jobs J] [--num 4000] [--root DIR] [k=v ...]
    python scripts/benchmark.py text [--mle C] [--gan C] [--seeds 3] [--jobs J] [--root DIR] [k=v ...]
    python scripts/benchmark.py audio [--configs A B] [--seeds 3] [--jobs J] [--num 800] [--root DIR] [k=v ...]
    python scripts/benchmark.py profile --config C [--warmup 5] [--steps 20] [key=value ...]
    python scripts/benchmark.py bleu [--corpus DIR] [--hypotheses 1000] [--references 10000] [--nltk 20]
        [--torchmetrics 5]

``toy``: the PacGAN Table 1 protocol (Lin et al. 2018) on the shipped ``toy_ring`` / ``toy_grid``
configs: train one run per seed, draw 2,500 samples from the EMA generator, report modes
captured, % high-quality samples and reverse KL (mean ± standard error over seeds) and the wall
time per run, beside PacGAN's published rows. ``--jobs 2`` trains two seeds at once (one thread
each on 2 cores): half the total time, each run's wall time measured while sharing the machine.

``quality``: Lucic et al.'s protocol for any image config: train one run per seed (``seed`` overridden), evaluate
each final EMA generator with the config's ``metrics`` (default FID, KID, precision/recall; ``--extractor`` overrides
``metrics.extractor``), print mean ± standard error over seeds and the training wall time per run, beside Lucic et
al.'s best FID per model on MNIST, Fashion-MNIST and CIFAR-10 (Inception FID, 10,000 generated vs 10,000 test
images). ``--root`` keeps the runs: an interrupted benchmark resumes them exactly, a finished run is scored as is.

``data``: batches/s of the in-memory loader (one uint8 tensor indexed by a random permutation)
against torch DataLoaders over the same images and batch size: a ``TensorDataset`` (per-sample
indexing and collation) and torchvision's per-sample path (PIL image → ``ToTensor`` →
``Normalize``, what ``torchvision.datasets.FashionMNIST`` with transforms does), with
``--workers`` worker processes each. Every batch ends as float32 in the generator's range;
medians over interleaved repetitions, and the in-memory loader's speed-up over each.

``timegan``: TimeGAN's Table 2 protocol (Yoon et al. 2019) on a sequence config: one run per seed,
then the discriminative and predictive scores of 10,000 EMA sequences (``metrics.timegan.runs`` post-hoc
models each; mean ± s.e. over seeds, and the wall time per run), beside an untrained generator of the
same size, the real data's own predictive score and TimeGAN's published rows for the sines.

``video``: MoCoGAN (``video_moving_mnist_quick.yaml``) against the 3D-conv baseline
(``video3d_moving_mnist_quick.yaml``): one run per config and seed, then every video metric of ``--num`` EMA clips
against ``--num`` clips of held-out digits (mean ± s.e. over seeds, and each run's wall time), beside three controls
scored the same way: real training clips (the floor), the same clips shuffled in time, and each config's untrained
generator. ``--root`` keeps the runs: an interrupted benchmark resumes them exactly, a finished run is scored as is.

``text``: the oracle benchmark (SeqGAN, Texygen): per seed, the MLE-only config (``text_oracle_mle.yaml``) and the
GAN config (``text_oracle_gan.yaml``) continuing that run's final checkpoint, so both start from the same MLE state;
NLL_oracle, NLL_test and the unique-sample ratio of ``metrics.num_generated`` samples at temperature 1 (mean ± s.e.
over seeds), the GAN's gain in NLL_oracle over MLE per seed, each run's wall time, beside the oracle's entropy and
``ln V``. ``--root`` keeps the runs: an interrupted benchmark resumes them exactly, a finished run is scored as is.

``audio``: WaveGAN (``wavegan_spoken_digits_quick.yaml``) and SpecGAN (``specgan_spoken_digits_quick.yaml``) on the
spoken digits: one run per config and seed, then every unconditional audio metric of ``--num`` EMA clips against
``--num`` clips of held-out voices (mean ± s.e. over seeds, each run's wall time, and the Inception score as a ratio to
the real test clips' own), beside three controls scored the same way: real training clips (the floor), the real test
clips themselves (the ceiling) and each config's untrained generator. ``--root`` keeps the runs: an interrupted
benchmark resumes them exactly, a finished run is scored as is.

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
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gan_lightning.benchmarks.audio_protocol import benchmark_audio
from gan_lightning.benchmarks.audio_protocol import controls as audio_controls
from gan_lightning.benchmarks.bleu_cost import benchmark_bleu_cost, fortune_lines
from gan_lightning.benchmarks.fid_cost import benchmark_fid_cost
from gan_lightning.benchmarks.quality import LUCIC_2018, LUCIC_DATASETS, benchmark_quality
from gan_lightning.benchmarks.text_protocol import benchmark_text
from gan_lightning.benchmarks.timegan_protocol import benchmark_timegan, real_baseline, untrained_floor
from gan_lightning.benchmarks.toy_modes import benchmark_toy
from gan_lightning.benchmarks.train_speed import benchmark_train, summarize
from gan_lightning.benchmarks.video_protocol import benchmark_video, controls
from gan_lightning.config import load_config
from gan_lightning.metrics.bleu import BLEU_ORDERS
from gan_lightning.metrics.suite import latent_samples, real_subset
from gan_lightning.metrics.text_quality import QUALITY_DIVERSITY_AXES, plot_quality_diversity
from gan_lightning.metrics.text_scores import TextMetricError
from gan_lightning.training import build_module, prepare_data

REPO = Path(__file__).resolve().parents[1]

PACGAN_TABLE1 = {  # method, modes, high-quality %, reverse KL (mean ± s.e. over 10 trials)
    "ring": [
        ("GAN", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09"),
        ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03"),
        ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02"),
        ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02"),
    ],
    "grid": [
        ("GAN", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
        ("PacGAN2", "23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
        ("PacGAN3", "24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
        ("PacGAN4", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
    ],
}


TIMEGAN_TABLE2_SINES = [  # method, discriminative, predictive (mean ± std over 10 post-hoc runs)
    ("TimeGAN", ".011 ± .008", ".093 ± .019"),
    ("RCGAN", ".022 ± .008", ".097 ± .001"),
    ("C-RNN-GAN", ".229 ± .040", ".127 ± .004"),
    ("original data", "–", ".094 ± .001"),
]


def mean_se(values: list[float], decimals: int = 2) -> str:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{mean:.{decimals}f} ± {se:.{decimals}f}"


TOY_COLUMNS = ("modes", "high_quality", "reverse_kl", "seconds")


def toy(args: argparse.Namespace) -> dict[str, object]:
    overrides = [f"train.max_steps={args.max_steps}"] if args.max_steps else []
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for dataset in args.datasets:
            config = REPO / "configs" / f"toy_{dataset}.yaml"
            runs = benchmark_toy(config, args.seeds, Path(scratch), overrides, args.jobs)
            for seed, run in enumerate(runs):
                print(f"{dataset} seed {seed}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()), flush=True)
            results[dataset] = runs
    print(f"\n{args.seeds} seeds per dataset, {args.jobs} run(s) at a time on {os.cpu_count()} cores")
    print("| data | method | modes | high-quality % | reverse KL | wall time / run (s) |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets:
        runs = results[dataset]
        assert isinstance(runs, list)
        row = [mean_se([r[k] for r in runs], 4 if k == "reverse_kl" else 2) for k in TOY_COLUMNS]
        print(f"| {dataset} | gan-lightning ({args.seeds} seeds) | " + " | ".join(row) + " |")
        for name, *published in PACGAN_TABLE1[dataset]:
            print(f"| {dataset} | {name} (PacGAN Table 1) | " + " | ".join(published) + " | |")
    return results


def timegan(args: argparse.Namespace) -> dict[str, object]:
    config = Path(args.config)
    with tempfile.TemporaryDirectory() as scratch:
        runs = benchmark_timegan(config, args.seeds, Path(scratch), args.overrides, args.jobs)
        for seed, run in enumerate(runs):
            print(f"seed {seed}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()), flush=True)
        floor = untrained_floor(config, Path(scratch), args.overrides)
        real = real_baseline(config, Path(scratch), args.overrides)
    print(f"\n{config.name}: {args.seeds} seeds, {args.jobs} run(s) at a time on {os.cpu_count()} cores; "
          "scores: mean ± s.e. over seeds (references: mean ± std over post-hoc runs)")  # fmt: skip
    print("| method | discriminative | predictive | train wall time / run (s) | scoring (s) |")
    print("|---|---|---|---|---|")
    columns = ("discriminative", "predictive", "seconds", "scoring_seconds")
    row = [mean_se([run[k] for run in runs], 4 if "seconds" not in k else 0) for k in columns]
    print(f"| gan-lightning {config.stem} ({args.seeds} seeds) | " + " | ".join(row) + " |")
    print(f"| untrained generator, same size | {floor['discriminative']:.4f} ± {floor['discriminative_std']:.4f} | "
          f"{floor['predictive']:.4f} ± {floor['predictive_std']:.4f} | | |")  # fmt: skip
    print(f"| real data (train and test on real) | – | {real['predictive']:.4f} ± {real['predictive_std']:.4f} | | |")
    if "sines" in config.stem:
        for name, discriminative, predictive in TIMEGAN_TABLE2_SINES:
            print(f"| {name} (TimeGAN Table 2, sines) | {discriminative} | {predictive} | | |")
    return {"runs": runs, "untrained": floor, "real_data": real}


VIDEO_COLUMNS = ("frame_fd", "clip_fd", "content_consistency", "motion_ratio", "motion_w1", "frozen")


def generators_against_controls(
    args: argparse.Namespace,
    benchmark: Callable[..., list[dict[str, float]]],
    score_controls: Callable[..., dict[str, dict[str, float]]],
    columns: tuple[str, ...],
    real: str,
) -> dict[str, object]:
    """``video`` and ``audio``: ``benchmark`` each of ``args.configs`` over seeds, score ``score_controls`` beside
    them, print per-run lines and one table of ``columns`` (mean ± s.e. over seeds, then the controls); ``real`` names
    the held-out clips in the table's caption."""
    overrides = [*args.overrides, f"metrics.num_generated={args.num}", f"metrics.num_real={args.num}"]
    results: dict[str, object] = {"controls": {}}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = args.root or Path(scratch)
        for index, config in enumerate(map(Path, args.configs)):
            runs = benchmark(config, args.seeds, root, overrides, args.jobs)
            for seed, run in enumerate(runs):
                print(f"{config.stem} seed {seed}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()), flush=True)
            results[config.stem] = runs
            cells = [mean_se([run[k] for run in runs], 3) for k in (*columns, "seconds")]
            rows.append(f"| {config.stem} ({args.seeds} seeds) | " + " | ".join(cells) + " |")
            # the real clips are the same for every config: scored once
            for name, values in score_controls(config, root, overrides, real=index == 0).items():
                label = f"{name} {config.stem}" if name == "untrained" else name
                results["controls"][label] = values  # type: ignore[index]
                rows.append(f"| {label} | " + " | ".join(f"{values[k]:.3f}" for k in columns) + " | |")
    print(f"\n{args.seeds} seeds, {args.jobs} run(s) at a time on {os.cpu_count()} cores; {args.num} generated clips "
          f"against {args.num} clips of {real}; runs: mean ± s.e. over seeds")  # fmt: skip
    print("| clips | " + " | ".join(columns) + " | wall time / run (s) |")
    print("|---" * (len(columns) + 2) + "|")
    print("\n".join(rows))
    return results


def video(args: argparse.Namespace) -> dict[str, object]:
    return generators_against_controls(args, benchmark_video, controls, VIDEO_COLUMNS, "held-out digits")


TEXT_CONTEXT = ("oracle_entropy", "ln_vocab", "seconds", "seconds_this_call")
"""Values of a text run printed beside the table, not as its columns."""


def text(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        runs = benchmark_text(Path(args.mle), Path(args.gan), args.seeds, args.root or Path(scratch), args.overrides,
                              args.jobs)  # fmt: skip
    for seed, run in enumerate(runs):
        for label in ("mle", "gan"):
            print(f"seed {seed} {label}: " + ", ".join(f"{k}={v:.4g}" for k, v in run[label].items()), flush=True)
    first = runs[0]["mle"]
    columns = [*(k for k in first if k not in TEXT_CONTEXT), "seconds"]
    floor = ""
    if "ln_vocab" in first:  # the oracle's floor and a uniform model, beside its NLL values
        floor = f"oracle entropy {first['oracle_entropy']:.3f}, ln V {first['ln_vocab']:.3f}; "
    print(f"\n{args.seeds} seeds, {args.jobs} run(s) at a time on {os.cpu_count()} cores; {floor}mean ± s.e. over "
          "seeds, at temperature 1")  # fmt: skip
    print("| run | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for label in ("mle", "gan"):
        cells = [mean_se([run[label][k] for run in runs], 0 if k == "seconds" else 3) for k in columns]
        print(f"| {label} | " + " | ".join(cells) + " |")
    results: dict[str, object] = {"runs": runs}
    if "nll_oracle" in first:
        gains = [run["mle"]["nll_oracle"] - run["gan"]["nll_oracle"] for run in runs]
        print(f"GAN's NLL_oracle gain over MLE from the same checkpoint: {mean_se(gains, 3)} nats (SeqGAN: 0.30)")
        results["nll_oracle_gain"] = gains
    if args.json and runs[0]["sweep"]:  # seed 0's quality-diversity curves, beside the JSON
        picture = args.json.with_suffix(".png")
        axes = runs[0]["quality_diversity"]
        plot_quality_diversity(runs[0]["sweep"], picture, QUALITY_DIVERSITY_AXES[axes["axes"]], axes["reference"],
                               "MLE and GAN, seed 0")  # fmt: skip
        print(f"wrote {picture}")
    return results


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


AUDIO_COLUMNS = ("audio_is", "is_ratio", "audio_fd", "audio_kid", "audio_classes_covered", "d_self", "d_train")


def audio(args: argparse.Namespace) -> dict[str, object]:
    return generators_against_controls(args, benchmark_audio, audio_controls, AUDIO_COLUMNS, "held-out voices")


def quality(args: argparse.Namespace) -> dict[str, object]:
    overrides = [*args.overrides, *([f"metrics.extractor={args.extractor}"] if args.extractor else [])]
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.root or Path(scratch)
        runs = benchmark_quality(Path(args.config), args.seeds, root, overrides, device, args.jobs)
    for seed, run in enumerate(runs):
        print(f"seed {seed}: " + ", ".join(f"{k}={v:.4g}" for k, v in run.items()), flush=True)
    config = load_config([args.config], overrides)
    columns = [k for k in runs[0] if not k.endswith("_std")]
    print(f"\n{config.name}: {args.seeds} seeds, {config.train.max_steps} generator steps at batch "
          f"{config.train.batch_size}, {config.metrics.extractor} features, {config.metrics.num_generated} generated "
          f"vs {config.metrics.num_real} real {config.metrics.real_split} images, on {device}")  # fmt: skip
    print("| " + " | ".join(["run", *columns]) + " |")
    print("|" + "---|" * (len(columns) + 1))
    means = [mean_se([r[k] for r in runs], 4 if k in ("kid", "precision", "recall") else 2) for k in columns]
    print(f"| {config.name} | " + " | ".join(means) + " |")
    if config.metrics.extractor != "inception":
        print(f"({config.metrics.extractor} FID: not comparable with the Inception FID below)")
    print("\nLucic et al. 2018, best FID per model after a large search (Inception; batch 64; 20 epochs, CIFAR-10 100)")
    print("| model | " + " | ".join(LUCIC_DATASETS) + " |")
    print("|" + "---|" * (len(LUCIC_DATASETS) + 1))
    for model, fids in LUCIC_2018.items():
        print(f"| {model} | " + " | ".join(fids) + " |")
    return {"config": args.config, "overrides": overrides, "device": str(device), "runs": runs}


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


class PerSamplePIL(torch.utils.data.Dataset):
    """What torchvision's MNIST-style datasets do per item: uint8 array → PIL image → ToTensor → Normalize."""

    def __init__(self, images: torch.Tensor, value_range: tuple[float, float]) -> None:
        from torchvision import transforms

        low, high = value_range
        self.images = images.numpy()
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize([-low / (high - low)], [1 / (high - low)])]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        from PIL import Image

        image = self.images[index]
        return self.transform(Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)))


def batches_per_second(loader: object, convert: object, count: int) -> float:
    """Seconds for ``count`` batches from a fresh iterator of ``loader``, as batches/s."""
    start = time.perf_counter()
    iterator = iter(loader)  # type: ignore[call-overload]
    for _ in range(count):
        convert(next(iterator))  # type: ignore[operator]
    return count / (time.perf_counter() - start)


def data(args: argparse.Namespace) -> dict[str, object]:
    from torch.utils.data import DataLoader, TensorDataset

    from gan_lightning.data import InMemoryDataModule, build_datamodule
    from gan_lightning.data.base import ImageSpace
    from gan_lightning.data.loader import InMemoryLoader

    if args.threads:
        torch.set_num_threads(args.threads)
    config = load_config([args.config], args.overrides)
    datamodule = build_datamodule(config)
    if not isinstance(datamodule, InMemoryDataModule):
        raise SystemExit(f"data.name={config.data.name} is not an in-memory dataset")
    datamodule.prepare_data()
    datamodule.setup()
    images, batch = datamodule.data, config.train.batch_size
    to_model = datamodule.to_model_space
    value_range = getattr(datamodule, "value_range", (-1.0, 1.0))
    loaders: dict[str, tuple[object, object]] = {"in_memory": (InMemoryLoader(images, batch, config.seed), to_model)}
    conditions = datamodule.training_conditions()  # labels (data.conditional) or input images (paired data)
    if conditions is not None:
        labelled = InMemoryLoader(images, batch, config.seed, labels=conditions)
        loaders["in_memory_with_conditions"] = (labelled, lambda b: datamodule.on_after_batch_transfer(b, 0))
    for workers in args.workers:
        options = {"batch_size": batch, "shuffle": True, "drop_last": True, "num_workers": workers}
        options["persistent_workers"] = workers > 0
        tensor_loader = DataLoader(TensorDataset(images), **options)
        loaders[f"dataloader_tensor_w{workers}"] = (tensor_loader, lambda b: to_model(b[0]))
        if isinstance(datamodule, ImageSpace):  # uint8 images: torchvision's per-sample PIL pipeline applies
            pil_loader = DataLoader(PerSamplePIL(images, value_range), **options)
            loaders[f"dataloader_torchvision_w{workers}"] = (pil_loader, lambda b: b)
    for loader, convert in loaders.values():  # warm-up: worker start-up, allocator, caches
        batches_per_second(loader, convert, min(args.batches, 20))
    rates: dict[str, list[float]] = {name: [] for name in loaders}
    for _ in range(args.repeats):  # interleaved, so load from other processes hits every variant alike
        for name, (loader, convert) in loaders.items():
            rates[name].append(batches_per_second(loader, convert, args.batches))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    setting = f"{args.batches} batches x {args.repeats} interleaved repeats, {torch.get_num_threads()} threads"
    print(f"\n{config.data.name}: {len(images)} images {tuple(images.shape[1:])}, batch {batch}, {setting}")
    print("| loader | batches/s (median) | in-memory speed-up |")
    print("|---|---|---|")
    for name, median in medians.items():
        print(f"| {name} | {median:,.0f} | {medians['in_memory'] / median:.1f}x |")
    return {"rates": rates, "medians": medians}


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
    from gan_lightning.benchmarks.step_profile import profile_config, summarize
    from gan_lightning.config import ConfigError

    try:
        result = profile_config(args.config, args.overrides, args.warmup, args.steps)
    except (ConfigError, ValueError) as error:
        raise SystemExit(f"error: {error}") from error
    print("\n".join(summarize(result)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    toy_parser = commands.add_parser("toy", help="PacGAN Table 1 protocol on the 2D ring and grid")
    toy_parser.add_argument("--seeds", type=int, default=5)
    toy_parser.add_argument("--datasets", nargs="+", choices=["ring", "grid"], default=["ring", "grid"])
    toy_parser.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
    toy_parser.add_argument("--jobs", type=int, default=1, help="runs trained at once, each with cores/jobs threads")
    toy_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    quality_parser = commands.add_parser("quality", help="FID/KID/precision/recall of a config over seeds")
    quality_parser.add_argument("--config", required=True)
    quality_parser.add_argument("--seeds", type=int, default=3)
    quality_parser.add_argument("--extractor", help="overrides metrics.extractor (inception, mnist_classifier, ...)")
    quality_parser.add_argument("--device", default="auto", help="evaluation device: auto | cpu | cuda")
    quality_parser.add_argument("--jobs", type=int, default=1, help="runs trained at once (cores/jobs threads each)")
    quality_parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    quality_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    quality_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. trainer.accelerator=gpu")
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
        "--threads", type=int, help="torch threads of the main process (1 on a shared machine: busy cores stall OpenMP)"
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
    timegan_parser = commands.add_parser("timegan", help="TimeGAN's discriminative/predictive scores over seeds")
    timegan_parser.add_argument("--config", default=str(REPO / "configs" / "rnn_sines.yaml"))
    timegan_parser.add_argument("--seeds", type=int, default=3)
    timegan_parser.add_argument("--jobs", type=int, default=1, help="runs trained at once (cores/jobs threads each)")
    timegan_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    timegan_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. train.max_steps=2000")
    video_parser = commands.add_parser("video", help="MoCoGAN against the 3D-conv baseline, with controls, over seeds")
    video_parser.add_argument(
        "--configs",
        nargs="+",
        default=[str(REPO / "configs" / f"{name}_moving_mnist_quick.yaml") for name in ("video", "video3d")],
    )
    video_parser.add_argument("--seeds", type=int, default=3)
    video_parser.add_argument("--jobs", type=int, default=1, help="runs trained at once (cores/jobs threads each)")
    video_parser.add_argument("--num", type=int, default=4000, help="generated and real clips scored")
    video_parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    video_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    video_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. train.max_steps=2000")
    text_parser = commands.add_parser("text", help="GAN against MLE on the oracle, from one MLE checkpoint per seed")
    text_parser.add_argument("--mle", default=str(REPO / "configs" / "text_oracle_mle.yaml"))
    text_parser.add_argument("--gan", default=str(REPO / "configs" / "text_oracle_gan.yaml"))
    text_parser.add_argument("--seeds", type=int, default=3)
    text_parser.add_argument("--jobs", type=int, default=1, help="seeds trained at once (cores/jobs threads each)")
    text_parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    text_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    text_parser.add_argument("overrides", nargs="*", help="config overrides of both runs, e.g. seed-independent sizes")
    audio_parser = commands.add_parser("audio", help="WaveGAN and SpecGAN on spoken digits, with controls")
    audio_parser.add_argument(
        "--configs",
        nargs="+",
        default=[str(REPO / "configs" / f"{name}_spoken_digits_quick.yaml") for name in ("wavegan", "specgan")],
    )
    audio_parser.add_argument("--seeds", type=int, default=3)
    audio_parser.add_argument("--jobs", type=int, default=1, help="runs trained at once (cores/jobs threads each)")
    audio_parser.add_argument("--num", type=int, default=800, help="generated and real clips scored")
    audio_parser.add_argument("--root", type=Path, help="keep the runs here (resumed if interrupted)")
    audio_parser.add_argument("--json", type=Path, help="also write the per-run results here")
    audio_parser.add_argument("overrides", nargs="*", help="config overrides, e.g. train.max_steps=2000")
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

    commands_run = {
        "toy": toy,
        "quality": quality,
        "train": train,
        "data": data,
        "fid": fid,
        "timegan": timegan,
        "video": video,
        "text": text,
        "audio": audio,
        "bleu": bleu,
        "profile": profile_step,
    }
    results = commands_run[args.command](args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
