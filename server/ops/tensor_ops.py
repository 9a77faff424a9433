"""Tensor ops (no parameters): the functions the builder calls and the code export writes.

Each `code` template is filled by the exporter with the input variable names (`{0}`, `{1}`, or
`{inputs}` for all of them) and the node's `repr()`-quoted arguments."""

from __future__ import annotations

import torch

from server.ops import flops
from server.registry import Port, function_op

AB = (Port("a"), Port("b"))


def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a + b


def mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a * b


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a @ b


def cat(*xs: torch.Tensor, dim: int = 1) -> torch.Tensor:
    return torch.cat(xs, dim=dim)


def reshape(x: torch.Tensor, *, shape: list[int]) -> torch.Tensor:
    return x.reshape(shape)


def permute(x: torch.Tensor, *, dims: list[int]) -> torch.Tensor:
    return x.permute(dims)


def transpose(x: torch.Tensor, *, dim0: int, dim1: int) -> torch.Tensor:
    return x.transpose(dim0, dim1)


def mean(x: torch.Tensor, *, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
    return x.mean() if dim is None else x.mean(dim=dim, keepdim=keepdim)


function_op("add", add, "elementwise a + b (broadcasting), e.g. a residual connection", "{0} + {1}", (), inputs=AB)
function_op("mul", mul, "elementwise a * b (broadcasting), e.g. a gate", "{0} * {1}", (), inputs=AB)
function_op("matmul", matmul, "matrix product a @ b (batched)", "{0} @ {1}", (), inputs=AB, flops=flops.matmul)
function_op("cat", cat, "concatenates any number of tensors along dim", "torch.cat([{inputs}], dim={dim})",
            (("dim", 1, False),), inputs=(Port("tensors", variadic=True),))
function_op("reshape", reshape, "gives the tensor a new shape (batch included; one -1 is inferred)",
            "{0}.reshape({shape})", (("shape", None, True),))
function_op("permute", permute, "reorders the dimensions", "{0}.permute({dims})", (("dims", None, True),))
function_op("transpose", transpose, "swaps two dimensions", "{0}.transpose({dim0}, {dim1})",
            (("dim0", 0, True), ("dim1", 1, True)))
function_op("mean", mean, "averages over a dim (or all)", "{0}.mean(dim={dim}, keepdim={keepdim})",
            (("dim", None, False), ("keepdim", False, False)))
