#!/usr/bin/env bash
# Multi-GPU / multi-node training with torchrun. Run this on every node; only NODE_RANK differs.
#
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node0.cluster GPUS_PER_NODE=8 \
#       scripts/launch_torchrun.sh --config configs/dcgan_mnist.yaml train.max_steps=20000
#
# torchrun starts GPUS_PER_NODE processes per node; Lightning reads the rank layout from torchrun's
# environment. All nodes must agree on the run directory: the rendezvous id (JOB_ID) becomes
# run.version unless you pass one. train.batch_size is per process (global batch = batch x processes).
set -euo pipefail
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
GPUS_PER_NODE=${GPUS_PER_NODE:-$(python -c "import torch; print(max(torch.cuda.device_count(), 1))")}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
MASTER_PORT=${MASTER_PORT:-29500}
JOB_ID=${JOB_ID:-gan-$(date +%Y%m%d-%H%M)}
PROGRAM=${PROGRAM:-scripts/fit.py}  # any script that takes fit.py's arguments

exec python -m torch.distributed.run \
    --nnodes "$NNODES" --nproc-per-node "$GPUS_PER_NODE" --node-rank "$NODE_RANK" \
    --master-addr "$MASTER_ADDR" --master-port "$MASTER_PORT" --rdzv-id "$JOB_ID" \
    "$PROGRAM" "$@" "trainer.num_nodes=$NNODES" "trainer.devices=$GPUS_PER_NODE"
