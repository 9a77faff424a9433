"""Designs leaving the canvas: Python source, weights files and ONNX."""
