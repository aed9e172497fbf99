"""Several independent one-layer GRU models trained at once: the post-hoc models of TimeGAN's scores.

TimeGAN averages each score over independently trained small GRUs. Trained one after another with
``nn.GRU`` on a CPU, those models spend their time in per-step operator overhead (hidden size 2 for
5 features): about 10 ms per iteration, minutes per score. Here ``R`` models share every operator:
their weights are stacked along a leading model axis and each time step is one batched matmul for all
of them, so ``R`` models cost little more than one. The models stay independent: separate weights,
batches and data splits, and Adam's update is element-wise, so each model's update is the one it would
get alone.

The cell is the GRU of Cho et al. (2014) as TensorFlow's ``GRUCell`` computes it (TimeGAN's code uses
that cell): the reset gate multiplies the previous state before the recurrent matmul,
``c = tanh(W_c x + U_c (r * h) + b_c)``, ``h' = u * h + (1 - u) * c``; gate biases start at 1 and the
kernels Glorot-uniform, TensorFlow's defaults. (``nn.GRU`` applies the reset gate after the matmul.)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _glorot(models: int, fan_in: int, fan_out: int, generator: torch.Generator) -> Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(models, fan_in, fan_out, generator=generator) * 2 - 1) * bound


class GRUEnsemble(nn.Module):
    """``models`` independent GRUs (``inputs`` → ``hidden``) with a linear read-out to one value.

    ``forward`` takes ``(R, B, T, inputs)``, one batch per model, and returns ``(R, B, T)`` read-outs at
    every step (``per_step``) or ``(R, B)`` from the last step.
    """

    def __init__(self, models: int, inputs: int, hidden: int, per_step: bool, generator: torch.Generator) -> None:
        super().__init__()
        self.hidden = hidden
        self.per_step = per_step
        self.input_kernel = nn.Parameter(_glorot(models, inputs, 3 * hidden, generator))
        self.gate_kernel = nn.Parameter(_glorot(models, hidden, 2 * hidden, generator))
        self.candidate_kernel = nn.Parameter(_glorot(models, hidden, hidden, generator))
        self.gate_bias = nn.Parameter(torch.ones(models, 1, 2 * hidden))
        self.candidate_bias = nn.Parameter(torch.zeros(models, 1, hidden))
        self.readout = nn.Parameter(_glorot(models, hidden, 1, generator))
        self.readout_bias = nn.Parameter(torch.zeros(models, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        models, batch, steps, _ = x.shape
        projected = torch.einsum("rbtc,rch->rbth", x, self.input_kernel)  # every step's input term at once
        h = x.new_zeros(models, batch, self.hidden)
        outputs = []
        for t in range(steps):
            gate_input, candidate_input = projected[:, :, t].split([2 * self.hidden, self.hidden], dim=2)
            gates = torch.sigmoid(gate_input + torch.bmm(h, self.gate_kernel) + self.gate_bias)
            reset, update = gates.chunk(2, dim=2)
            candidate = torch.tanh(candidate_input + torch.bmm(reset * h, self.candidate_kernel) + self.candidate_bias)
            h = update * h + (1 - update) * candidate
            if self.per_step:
                outputs.append(h)
        states = torch.stack(outputs, dim=2) if self.per_step else h.unsqueeze(2)
        read = torch.einsum("rbth,rho->rbto", states, self.readout) + self.readout_bias.unsqueeze(2)
        return read.squeeze(3) if self.per_step else read.squeeze(3).squeeze(2)
