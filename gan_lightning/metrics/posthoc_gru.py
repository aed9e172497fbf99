"""Several independent one-layer GRU models trained at once: the post-hoc models of TimeGAN's scores.

TimeGAN averages each score over independently trained small GRUs. Trained one after another with
``nn.GRU`` on a CPU, those models spend their time in per-step operator overhead (hidden size 2 for
5 features): about 10 ms per iteration, minutes per score. Here ``R`` models share every operator:
their weights are stacked along a leading model axis and each time step is one batched matmul for all
of them, so ``R`` models cost little more than one. The models stay independent: separate weights,
batches and data splits, and Adam's update is element-wise, so each model's update is the one it would
get alone.

The cell is the GRU of Cho et al. (2014) as TensorFlow 1's ``tf.nn.rnn_cell.GRUCell`` computes it (TimeGAN's
code uses that cell): the reset gate multiplies the previous state before the recurrent matmul,
``[r, u] = sigmoid([x, h] @ K_g + b_g)``, ``c = tanh([x, r * h] @ K_c + b_c)``, ``h' = u * h + (1 - u) * c``.
(``nn.GRU`` applies the reset gate after the matmul.) The parameters are TensorFlow's too, with its defaults:
each kernel acts on the concatenated ``[x, h]``, so the gates kernel is ``(inputs + hidden, 2 hidden)`` and the
candidate kernel ``(inputs + hidden, hidden)``, each Glorot-uniform over its whole shape (``tf.get_variable``'s
default initialiser: limit ``sqrt(6 / (fan_in + fan_out))`` with ``fan_in = inputs + hidden``), so a kernel's
input rows and recurrent rows share one limit; the gates bias starts at 1, the candidate bias at 0. The read-out
is ``tf.contrib.layers.fully_connected``'s: a Glorot-uniform ``(hidden, 1)`` kernel and a zero bias.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _glorot(models: int, fan_in: int, fan_out: int, generator: torch.Generator) -> Tensor:
    """``models`` independent ``(fan_in, fan_out)`` kernels, uniform in ``±sqrt(6 / (fan_in + fan_out))``
    (TensorFlow's ``glorot_uniform`` of a 2-D kernel: its fans are the kernel's two dimensions)."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(models, fan_in, fan_out, generator=generator) * 2 - 1) * bound


class GRUEnsemble(nn.Module):
    """``models`` independent GRUs (``inputs`` → ``hidden``) with a linear read-out to one value.

    ``forward`` takes ``(R, B, T, inputs)``, one batch per model, and returns ``(R, B, T)`` read-outs at
    every step (``per_step``) or ``(R, B)`` from the last step. The kernels keep TensorFlow's shapes (rows:
    the ``inputs`` rows of ``x``, then the ``hidden`` rows of the state) so that their initialisation is
    TensorFlow's; ``forward`` applies the input rows to all steps at once before the loop.
    """

    def __init__(self, models: int, inputs: int, hidden: int, per_step: bool, generator: torch.Generator) -> None:
        super().__init__()
        self.inputs = inputs
        self.hidden = hidden
        self.per_step = per_step
        self.gate_kernel = nn.Parameter(_glorot(models, inputs + hidden, 2 * hidden, generator))
        self.gate_bias = nn.Parameter(torch.ones(models, 1, 2 * hidden))
        self.candidate_kernel = nn.Parameter(_glorot(models, inputs + hidden, hidden, generator))
        self.candidate_bias = nn.Parameter(torch.zeros(models, 1, hidden))
        self.readout = nn.Parameter(_glorot(models, hidden, 1, generator))
        self.readout_bias = nn.Parameter(torch.zeros(models, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        models, batch, steps, _ = x.shape
        gate_x, gate_h = self.gate_kernel.split([self.inputs, self.hidden], dim=1)
        candidate_x, candidate_h = self.candidate_kernel.split([self.inputs, self.hidden], dim=1)
        # [x, h] @ K == x @ K[:inputs] + h @ K[inputs:]; the x terms of every step in one matmul
        projected = torch.einsum("rbtc,rch->rbth", x, torch.cat([gate_x, candidate_x], dim=2))
        h = x.new_zeros(models, batch, self.hidden)
        outputs = []
        for t in range(steps):
            gate_input, candidate_input = projected[:, :, t].split([2 * self.hidden, self.hidden], dim=2)
            gates = torch.sigmoid(gate_input + torch.bmm(h, gate_h) + self.gate_bias)
            reset, update = gates.chunk(2, dim=2)
            candidate = torch.tanh(candidate_input + torch.bmm(reset * h, candidate_h) + self.candidate_bias)
            h = update * h + (1 - update) * candidate
            if self.per_step:
                outputs.append(h)
        states = torch.stack(outputs, dim=2) if self.per_step else h.unsqueeze(2)
        read = torch.einsum("rbth,rho->rbto", states, self.readout) + self.readout_bias.unsqueeze(2)
        return read.squeeze(3) if self.per_step else read.squeeze(3).squeeze(2)
