"""``scripts/sample.py --inputs`` decodes a user's inputs as training decodes its own, for both paired-folder
layouts and the fashion_edges demo; ``scripts/evaluate.py --copy-input`` is for translation checkpoints only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import PAIRED, REPO, TINY, only_run, save_pairs, script
from PIL import Image
from test_image_datasets import load

RNG = np.random.default_rng(5)


def write_textured_pairs(root: Path, layout: str, count: int = 12) -> None:
    """Noise pairs, in folders 48 px wide and 40 high (so a centre crop and a squash differ), side by side two
    40-px squares (so the left half differs from the whole file)."""
    width = 48 if layout == "folders" else 40
    noise = [RNG.integers(0, 256, size=(2, 40, width), dtype=np.uint8) for _ in range(count)]
    save_pairs(root, [(a, b) for a, b in noise], layout)


@pytest.mark.parametrize("layout", ["folders", "side_by_side"])
def test_sample_inputs_are_decoded_like_the_training_inputs(tmp_path: Path, layout: str) -> None:
    data = tmp_path / "pairs"
    write_textured_pairs(data, layout)
    files = sorted((data / "A").glob("*.png")) if layout == "folders" else sorted(data.glob("*.png"))
    datamodule = load("quickstart", f"data.data_dir={data}", *PAIRED)
    # the training path decodes every pair once (load); decode_inputs is the path a user's files take
    torch.testing.assert_close(datamodule.decode_inputs([str(f) for f in files]), datamodule.inputs, rtol=0, atol=0)

    runs = tmp_path / "runs"
    overrides = [f"run.root={runs}", *TINY, f"data.data_dir={data}", *PAIRED]  # PAIRED last: its batch of 8
    assert script("fit").main(["--config", str(REPO / "configs" / "quickstart.yaml"), *overrides]) == 0
    checkpoint = only_run(runs) / "checkpoints" / "last.ckpt"
    folder = data / "A" if layout == "folders" else data
    out = tmp_path / "t.npz"
    assert (
        script("sample").main(["--ckpt", str(checkpoint), "--inputs", str(folder), "--num", "3", "--out", str(out)])
        == 0
    )
    saved = np.load(out)
    expected = datamodule.inputs[:3].float().numpy() / 255
    np.testing.assert_array_equal(saved["inputs"], expected)
    assert saved["samples"].shape == (3, 1, 32, 32)


def test_fashion_edges_inputs_are_padded_like_the_training_garments(tmp_path: Path) -> None:
    """A 28-px edge map is zero-padded to 32 px (as training pads the garments), a 32-px one kept as it is."""
    from gan_lightning.data.paired import FashionEdgesDataModule

    edges = (RNG.random((28, 28)) > 0.7).astype(np.uint8) * 255
    Image.fromarray(edges).save(tmp_path / "small.png")
    full = (RNG.random((32, 32)) > 0.7).astype(np.uint8) * 255
    Image.fromarray(full).save(tmp_path / "full.png")
    datamodule = FashionEdgesDataModule(8, 0, (-1.0, 1.0), resolution=32)
    decoded = datamodule.decode_inputs([str(tmp_path / "small.png"), str(tmp_path / "full.png")])
    padded = F.pad(torch.from_numpy(edges), (2, 2, 2, 2))
    assert torch.equal(decoded[0, 0], padded) and torch.equal(decoded[1, 0], torch.from_numpy(full))


def test_copy_input_needs_a_translation_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    config = str(REPO / "configs" / "toy_ring.yaml")  # any checkpoint that does not translate images
    assert script("fit").main(["--config", config, f"run.root={runs}", *TINY, "data.num_samples=64"]) == 0
    checkpoint = only_run(runs) / "checkpoints" / "last.ckpt"
    capsys.readouterr()
    report = tmp_path / "e.json"
    assert script("evaluate").main(["--ckpt", str(checkpoint), "--copy-input", "--json", str(report)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --copy-input scores image translation") and "\n" not in error
    assert not report.exists()
