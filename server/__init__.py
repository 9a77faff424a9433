"""Torchcanvas: a visual designer for PyTorch networks, and the engine that answers it."""

__version__ = "0.1.0"
