"""The parts of a training step that :class:`~gan_lightning.module.GANModule` calls, one concern per file.

The module keeps the loop itself (the D updates and the G update, the optimizers, logging, the checkpoint hooks); each
part here takes what it needs as arguments, so it can be read, tested and replaced on its own, and none imports the
module:

* :mod:`~gan_lightning.steps.objectives`: what each update minimises, summed over the discriminators.
* :mod:`~gan_lightning.steps.critics`: the discriminators, the view of the samples each judges, and their weights.
* :mod:`~gan_lightning.steps.penalties`: the gradient penalties of the D update (WGAN-GP, lazy R1).
* :mod:`~gan_lightning.steps.feature_matching`: the feature-matching term of the G update.
* :mod:`~gan_lightning.steps.pretraining`: maximum-likelihood pretraining of G.
* :mod:`~gan_lightning.steps.sampling`: how the generator runs when sampled, and the EMA's standing statistics.
* :mod:`~gan_lightning.steps.randomness`: the noise every rank shares, and the RNG states an exact resume restores.
* :mod:`~gan_lightning.steps.finite`: the NaN guard.
* :mod:`~gan_lightning.steps.clock`: the wall time a run has trained, and its throughput.
* :mod:`~gan_lightning.steps.phases`: the names of the step's ``torch.profiler`` ranges.
"""
