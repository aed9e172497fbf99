#!/usr/bin/env bash
# Stage what a bare GPU machine (torch, lightning, torchmetrics, torchvision only; no PyPI) needs for
# scripts/gpu_check.sh, inside the repository under gpu_stage/ (ignored by git), from the repository root:
#
#   bash scripts/stage_gpu_check.sh               # gpu_stage/wheels (omegaconf, torch-fidelity, mlxtend),
#                                                 # gpu_stage/fashion-mnist and gpu_stage/cache (the 64-px clip evaluator)
#   bash scripts/stage_gpu_check.sh --inception   # also gpu_stage/inception: the FID Inception weights in 50 MB parts
#
# Wheels, data and evaluator are about 33 MB, one transfer. The weights (about 91 MB) exceed one 64 MiB transfer: send each
# gpu_stage/inception/part-* with its own transfer (SHA256SUMS with the first); gpu_check.sh joins and verifies them.
# Fashion-MNIST comes from FASHION_SRC (default /usr/share/datasets/fashion-mnist: apt-get install dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${STAGE:-gpu_stage}
FASHION_SRC=${FASHION_SRC:-/usr/share/datasets/fashion-mnist}
mkdir -p "$STAGE/wheels" "$STAGE/fashion-mnist"
# omegaconf (>= 2.4 needs only PyYAML, which lightning brings) and torch-fidelity (the FID Inception network; its
# other dependencies are only needed by its own metrics); both are pure-Python wheels.
python -m pip download -q --no-deps --only-binary=:all: -d "$STAGE/wheels" "omegaconf>=2.4" "torch-fidelity>=0.3" mlxtend
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    cp "$FASHION_SRC/$name"* "$STAGE/fashion-mnist/"
done
# The 64-px video config's clip evaluator, trained here (on one CPU thread, about a minute) or copied from the cache:
# gpu_check.sh's video step scores with it instead of training it on the GPU machine's time.
python - "$STAGE/cache" << 'PY'
import shutil, sys
from pathlib import Path
from gan_lightning.metrics.video_quality import build_clip_evaluator
from gan_lightning.config.loading import load_config
from gan_lightning.training import prepare_data
config = load_config(["configs/video_moving_mnist.yaml"], ["data.num_samples=64", "data.device=cpu"])
built = build_clip_evaluator(config, prepare_data(config))
target = Path(sys.argv[1]) / "clip_evaluator"
target.mkdir(parents=True, exist_ok=True)
for suffix in (".pt", ".json"):
    shutil.copy(built.path.with_suffix(suffix), target)
print(built.summary())
PY
if [[ ${1:-} == --inception ]]; then
    weights=$(python -c "from gan_lightning.metrics.inception import resolve_inception_weights as r; print(r(None, '$HOME/.cache/gan_lightning'))")
    rm -rf "$STAGE/inception" && mkdir -p "$STAGE/inception"
    split -b 50M -d "$weights" "$STAGE/inception/part-"
    sha256sum < "$weights" | sed 's/-$/weights-inception-fid.pt/' > "$STAGE/inception/SHA256SUMS"
fi
du -sh "$STAGE"/*
