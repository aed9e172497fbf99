"""Both notebooks run to completion with small settings (nbclient, Jupyter's own execution library).

The settings are injected as papermill does it: a cell with the small values goes right after the cell tagged
``parameters``, so the committed notebooks keep the settings a user should see. ``inspect_run.ipynb`` runs on the
digits run the quickstart notebook makes.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import nbformat
import pytest
from helpers import ONE_THREAD, REPO, tiny_config, train
from nbclient import NotebookClient

NOTEBOOKS = REPO / "notebooks"
STEPS = 30


def execute(name: str, parameters: dict[str, object], scratch: Path) -> nbformat.NotebookNode:
    """The executed notebook; a failing cell raises nbclient's CellExecutionError with its traceback."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    (index,) = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    values = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(f"# injected by the test\n{values}"))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}})
    client.execute(env={**os.environ, "TMPDIR": str(scratch), **ONE_THREAD})  # temporary files in the test's folder
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def stream(notebook: nbformat.NotebookNode, name: str) -> str:
    return "".join(o["text"] for o in outputs(notebook) if o["output_type"] == "stream" and o["name"] == name)


def markdown(notebook: nbformat.NotebookNode) -> list[str]:
    return [o["data"]["text/markdown"] for o in outputs(notebook) if "text/markdown" in o.get("data", {})]


def images(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(notebook))


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path]:
    root = tmp_path_factory.mktemp("notebook_runs")
    small = ["generator.width=8", "discriminator.width=8", "train.batch_size=16", "train.num_samples_grid=16"]
    small += [f"metrics.cache_dir={root / 'metric_cache'}"]  # data options differ by dataset: none here
    parameters = {"TOY_STEPS": STEPS, "MNIST_STEPS": STEPS, "EVAL_IMAGES": 64, "RUN_ROOT": str(root)}
    parameters["OVERRIDES"] = small
    return execute("quickstart.ipynb", parameters, root), root


def test_quickstart_trains_shows_samples_and_evaluates(quickstart: tuple[nbformat.NotebookNode, Path]) -> None:
    notebook, _ = quickstart
    # toy scatter and curves; digit grid, progress montage and curves; checkpoint samples and latent walks
    assert images(notebook) == 7
    # each run's bar counts generator steps to the total; the digits' bar shows the last FID
    bars = stream(notebook, "stdout")
    assert len(re.findall(rf"generator steps: 100%[^\r\n]*\| {STEPS}/{STEPS} \[", bars)) >= 2
    assert re.search(rf"\| {STEPS}/{STEPS} \[[^\r\n]*fid=\d", bars)
    tables = markdown(notebook)
    assert any("| toy/modes |" in table for table in tables)
    (evaluation,) = [table for table in tables if table.startswith("| metric | now |")]
    rows = [row.strip("| ").split(" | ") for row in evaluation.splitlines()[2:]]
    assert {row[0] for row in rows} == {"fid", "precision", "recall", "classes_covered", "class_kl"}
    assert all(now == logged for _, now, logged in rows)  # the checkpoint's evaluation repeats the last one logged


def test_inspect_run_diagnoses_the_quickstart_run(
    quickstart: tuple[nbformat.NotebookNode, Path], tmp_path: Path
) -> None:
    _, root = quickstart
    (run_dir,) = (root / "quickstart").iterdir()
    notebook = execute("inspect_run.ipynb", {"RUN_DIR": str(run_dir), "SAMPLES_PER_CHECKPOINT": 200}, tmp_path)
    # curves, samples over time, mode shares per checkpoint, D's outputs
    assert images(notebook) == 4
    tables = markdown(notebook)
    assert any(f"generator step {STEPS} of {STEPS} (finished)" in table for table in tables)
    assert any(re.match(rf"At step {STEPS}: (every mode is covered|modes under a tenth)", t) for t in tables)
    assert any("| train/d_real | train/d_fake |" in table for table in tables)


def test_inspect_run_plays_a_video_run(tmp_path: Path) -> None:
    overrides = {"extra_discriminators.frames.width": 8, "data.num_samples": 32, "train.batch_size": 8}
    run_dir = train(tiny_config(tmp_path / "runs", "video_moving_mnist_quick", **overrides))
    notebook = execute("inspect_run.ipynb", {"RUN_DIR": str(run_dir), "SAMPLES_PER_CHECKPOINT": 16}, tmp_path)
    # curves, strips over time and D's outputs as PNGs, the final clips as a GIF; no mode counter for clips
    assert images(notebook) == 3
    assert sum("image/gif" in o.get("data", {}) for o in outputs(notebook)) == 1
    tables = markdown(notebook)
    assert any(table.startswith("The clips of `final.gif`, playing") for table in tables)
    assert any("No mode counter for `moving_mnist`" in table for table in tables)


def test_inspect_run_plays_an_audio_run_and_counts_its_digits(tmp_path: Path) -> None:
    overrides = {"data.data_dir": tmp_path / "data", "data.voices": 4, "data.test_voices": 2, "data.utterances": 1,
                 "data.audio_length": 2048, "train.batch_size": 4, "train.num_samples_grid": 10}  # fmt: skip
    run_dir = train(tiny_config(tmp_path / "runs", "wavegan_spoken_digits_quick", **overrides))
    notebook = execute("inspect_run.ipynb", {"RUN_DIR": str(run_dir), "SAMPLES_PER_CHECKPOINT": 40}, tmp_path)
    # curves, spectrograms over time, digit shares per checkpoint, D's outputs; four of the final clips to play
    assert images(notebook) == 4
    players = [o["data"]["text/html"] for o in outputs(notebook) if "<audio" in o.get("data", {}).get("text/html", "")]
    played = [base64.b64decode(re.search(r"base64,([^\"]+)", player)[1]) for player in players]
    assert played == [path.read_bytes() for path in sorted((run_dir / "samples" / "final").glob("*.wav"))[:4]]
    tables = markdown(notebook)
    assert any(table.startswith("The clips of `final/`, to play") for table in tables)
    assert any(re.match(r"At step 6: (every mode is covered|modes under a tenth)", t) for t in tables)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.name)
def test_committed_notebooks_hold_no_outputs(path: Path) -> None:
    # Outputs are stripped before committing (the nbstripout hook in .pre-commit-config.yaml).
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: run nbstripout {path}"
