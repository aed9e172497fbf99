"""The parts of a training step as ``torch.profiler`` sees them: ``record_function`` ranges, nothing when no profiler
runs (``scripts/benchmark.py profile``, :mod:`gan_lightning.benchmarks.step_profile`).

Their own file, so the module and the parts of the step it calls (:mod:`gan_lightning.steps`) name the same ranges.
"""

from __future__ import annotations

PHASE_GENERATE = "gan.generate"
PHASE_D_UPDATE = "gan.d_update"
PHASE_PENALTY = "gan.penalty"
PHASE_D_BACKWARD = "gan.d_backward"
PHASE_G_UPDATE = "gan.g_update"
PHASE_EMA = "gan.ema"
PHASES = (PHASE_GENERATE, PHASE_D_UPDATE, PHASE_PENALTY, PHASE_D_BACKWARD, PHASE_G_UPDATE, PHASE_EMA)
"""The parts of a training step as ``torch.profiler`` sees them (``record_function`` ranges; nothing when no profiler
runs): G's forward for D's steps, each D update (within it: the penalties' extra pass and input gradient, and D's
backward, the penalties' second derivative included, with its optimizer step), the G update and the EMA
(``scripts/benchmark.py profile``)."""
