"""End-of-run pictures of image runs: the latent interpolation strip and the progress montage."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from helpers import DIGITS, tiny_config
from lightning.pytorch.utilities import rank_zero_only
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_lightning.callbacks.sample_images import SampleImages, evenly_spaced
from gan_lightning.module import GANModule
from gan_lightning.visualization import save_image_grid

PADDING = 2  # save_image_grid's padding around every image
TILE_GAP, LABEL_HEIGHT = 8, 16  # save_montage's defaults


def grid_size(columns: int, rows: int, side: int) -> tuple[int, int]:
    return columns * (side + PADDING) + PADDING, rows * (side + PADDING) + PADDING


def montage_size(tiles: int, tile_width: int, tile_height: int) -> tuple[int, int]:
    return tiles * (tile_width + TILE_GAP) + TILE_GAP, tile_height + LABEL_HEIGHT + 2 * TILE_GAP


def test_image_run_ends_with_interpolation_and_progress(image_run: Path) -> None:
    samples = image_run / "samples"
    assert sorted(p.name for p in samples.iterdir()) == [
        "final.png",
        "interpolation.png",
        "progress.png",
        "step_0000003.png",
        "step_0000006.png",
    ]
    callback = SampleImages(samples, every=3)
    with Image.open(samples / "interpolation.png") as strip:
        assert strip.size == grid_size(callback.interpolation_steps, callback.interpolation_rows, 28)
    with Image.open(samples / "final.png") as final, Image.open(samples / "progress.png") as progress:
        # step 3, then final.png; step 6 is the same picture as final.png and is left out
        assert progress.size == montage_size(2, *final.size)


def test_end_of_run_pictures_reach_tensorboard(image_run: Path, image_run_tensorboard: EventAccumulator) -> None:
    for key in ("interpolation", "progress"):
        (event,) = image_run_tensorboard.Images(key)
        with Image.open(image_run / "samples" / f"{key}.png") as picture:
            assert (event.step, event.width, event.height) == (6, *picture.size)
    assert [event.step for event in image_run_tensorboard.Images("samples")] == [3, 6]


def test_toy_run_has_no_image_only_pictures(toy_run: Path) -> None:
    assert sorted(p.name for p in (toy_run / "samples").iterdir()) == [
        "final.png",
        "step_0000003.png",
        "step_0000006.png",
    ]


def test_progress_montage_is_thinned_and_ignores_other_runs_grids(tmp_path: Path) -> None:
    for step in range(10, 210, 10):  # 20 periodic grids; the last shows the final step
        save_image_grid(torch.rand(4, 1, 8, 8), tmp_path / f"step_{step:07d}.png")
    save_image_grid(torch.rand(4, 1, 8, 8), tmp_path / "final.png")
    callback = SampleImages(tmp_path, every=10, progress_grids=8)
    callback.save_progress(200, tmp_path / "progress.png")
    with Image.open(tmp_path / "progress.png") as progress:
        assert progress.size == montage_size(8, *grid_size(2, 2, 8))

    # a resumed run that stops earlier: grids after its final step belong to the longer run
    callback.save_progress(20, tmp_path / "progress.png")
    with Image.open(tmp_path / "progress.png") as progress:
        assert progress.size == montage_size(2, *grid_size(2, 2, 8))  # step 10 and final.png


def test_evenly_spaced_keeps_first_and_last() -> None:
    chosen = evenly_spaced(list(range(20)), 8)
    assert len(chosen) == 8 and chosen[0] == 0 and chosen[-1] == 19 and chosen == sorted(set(chosen))
    assert evenly_spaced([1, 2, 3], 8) == [1, 2, 3]
    assert evenly_spaced([1, 2, 3], 1) == [3]


def test_only_rank_zero_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = GANModule(tiny_config(tmp_path, "quickstart"), DIGITS)
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    SampleImages(tmp_path / "samples", every=3).on_train_end(SimpleNamespace(loggers=[]), module)
    assert not (tmp_path / "samples").exists()


def test_interpolation_is_seeded_and_leaves_the_training_rng_alone(tmp_path: Path) -> None:
    module = GANModule(tiny_config(tmp_path, "quickstart"), DIGITS)
    callback = SampleImages(tmp_path, every=3)
    state = torch.get_rng_state()
    callback.save_interpolation(module, tmp_path / "a.png")
    assert torch.equal(torch.get_rng_state(), state)
    callback.save_interpolation(module, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
