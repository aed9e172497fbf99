"""gan-lightning: a PyTorch Lightning template for training GANs."""

__version__ = "0.1.0"
