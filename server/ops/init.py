"""The `init` choices a node may name, mapped to torch.nn.init functions (an allowlist, not a lookup)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

INIT_FUNCTIONS: dict[str, Callable[[torch.Tensor], object]] = {
    "zeros": nn.init.zeros_,
    "ones": nn.init.ones_,
    "normal": nn.init.normal_,
    "uniform": nn.init.uniform_,
    "trunc_normal": nn.init.trunc_normal_,
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_uniform": nn.init.kaiming_uniform_,
    "kaiming_normal": nn.init.kaiming_normal_,
    "orthogonal": nn.init.orthogonal_,
}
NEEDS_2D = frozenset({"xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal"})


def matches(key: str, name: str) -> bool:
    """`weight` names weight, weight_ih_l0, in_proj_weight and out_proj.weight; `bias` likewise."""
    leaf = name.rsplit(".", 1)[-1]
    return name == key or leaf == key or leaf.startswith(key + "_") or leaf.endswith("_" + key)


def apply_init(module: nn.Module, init: dict[str, str]) -> str | None:
    """Applies each choice to the parameters it names; returns what is wrong, or None."""
    params = dict(module.named_parameters())
    for key, choice in init.items():
        fn = INIT_FUNCTIONS.get(choice)
        if fn is None:
            return f"unknown init {choice!r} for {key!r}: choose one of {', '.join(INIT_FUNCTIONS)}"
        targets = [p for name, p in params.items() if matches(key, name)]
        if not targets:
            return f"init names {key!r} but the layer's parameters are {', '.join(params) or 'none'}"
        for p in targets:
            if choice in NEEDS_2D and p.dim() < 2:
                return (f"init {choice} needs a 2-D or larger parameter but {key} is {p.dim()}-D: "
                        "use zeros, normal or uniform")
            with torch.no_grad():
                fn(p)
    return None
