#!/usr/bin/env bash
# GPU check: short runs in every precision, then the training-speed benchmark for DCGAN-64.
#
# Run it on a machine with a CUDA GPU, from the repository root:
#   bash scripts/gpu_check.sh            # results in gpu_check_out/ (summary.md)
# A machine without omegaconf or network access needs, prepared beforehand in the repository:
#   pip download --no-deps -d data/wheels omegaconf "antlr4-python3-runtime==4.9.*" PyYAML
#   mkdir -p data/fashion-mnist && cp /usr/share/datasets/fashion-mnist/train-* data/fashion-mnist/
# (Fashion-MNIST from Debian's dataset-fashion-mnist; any folder with the idx files works via FASHION_DIR.)
set -euo pipefail
OUT=${OUT:-gpu_check_out}
FASHION_DIR=${FASHION_DIR:-data/fashion-mnist}
STEPS=${STEPS:-300}
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"

python -c "import omegaconf" 2>/dev/null || python -m pip install -q --no-index --find-links data/wheels omegaconf
python -c "import gan_lightning" 2>/dev/null || python -m pip install -q --no-deps --no-build-isolation -e .
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$SUMMARY"
DATA=(--config configs/dcgan_fashion_mnist.yaml "data.data_dir=$FASHION_DIR" data.download=false
      trainer.accelerator=gpu data.device=cuda)

echo -e "\n## Short runs ($STEPS generator steps, R1 on, loss must stay finite)\n" | tee -a "$SUMMARY"
for precision in 32-true bf16-mixed 16-mixed; do
    python scripts/fit.py "${DATA[@]}" "train.max_steps=$STEPS" train.sample_every=100 loss.r1=1.0 \
        "run.root=$OUT/runs" "run.version=$precision" "trainer.precision=$precision" run.progress_bar=false \
        > "$OUT/fit_$precision.log" 2>&1 || { echo "| $precision | FAILED, see fit_$precision.log |" | tee -a "$SUMMARY"; continue; }
    python - "$OUT/runs/dcgan_fashion_mnist/$precision/metrics.csv" "$precision" <<'PY' | tee -a "$SUMMARY"
import csv, math, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("train/d_loss")]
last = rows[-1]
finite = all(math.isfinite(float(r["train/d_loss"])) and math.isfinite(float(r["train/g_loss"])) for r in rows)
print(f"| {sys.argv[2]} | step {last['step']} | d_loss {float(last['train/d_loss']):.3f} | "
      f"g_loss {float(last['train/g_loss']):.3f} | images/s {float(last['train/images_per_sec']):.0f} | finite {finite} |")
PY
done

echo -e "\n## Training speed, DCGAN-64, batch 256 (scripts/benchmark.py train)\n" | tee -a "$SUMMARY"
BENCH=(--repeats 3 --warmup 20 --steps 200 "${DATA[@]:2}" data.resolution=64 train.batch_size=256)
python scripts/benchmark.py train --config configs/dcgan_fashion_mnist.yaml "${BENCH[@]}" \
    trainer.precision=32-true 2>>"$OUT/bench.log" | tee -a "$SUMMARY"
for variant in "trainer.precision=bf16-mixed" \
               "trainer.precision=bf16-mixed train.channels_last=true" \
               "trainer.precision=bf16-mixed train.channels_last=true train.compile=true"; do
    # shellcheck disable=SC2086  # the variant is a list of overrides
    python scripts/benchmark.py train --config configs/dcgan_fashion_mnist.yaml --variants template \
        "${BENCH[@]}" $variant 2>>"$OUT/bench.log" | tee -a "$SUMMARY"
done
echo "summary: $SUMMARY"
