#!/usr/bin/env bash
# SLURM: sbatch scripts/launch_slurm.sh --config configs/dcgan_mnist.yaml [key=value ...]
# One task per GPU; Lightning reads SLURM's environment (SLURM_PROCID, SLURM_NTASKS, ...), and the
# job id becomes run.version so every node writes to the same run directory.
#SBATCH --job-name=gan-lightning
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
NODES=${SLURM_JOB_NUM_NODES:-1}
TASKS_PER_NODE=${SLURM_NTASKS_PER_NODE:-1}

srun python scripts/fit.py "$@" "trainer.accelerator=gpu" \
    "trainer.num_nodes=$NODES" "trainer.devices=$TASKS_PER_NODE"
