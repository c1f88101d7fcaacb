"""The named layers of any network, in the order it runs them, and which
layer each tool opens on.

Layers are found by one probe pass at the input size: every module (not the
whole network) that outputs a (N, C, H, W) map with more than one position and
runs once per pass; the coarsest such modules are kept, a ``Sequential`` or
``ModuleList`` (or a ``torch.export`` program's module, whose types are gone)
being opened one level (``layer1`` -> ``layer1.0``, ``layer1.1``), as
torchvision's own networks are listed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["LayerDefault", "probe_layers", "default_layers", "CAM_MIN_SIDE"]

#: Grad-CAM opens on the deepest map at least this many positions on a side
#: (the last map of an ImageNet CNN at 224 px is 7x7; at 64 px it is 2x2)
CAM_MIN_SIDE = 7


@dataclass(frozen=True)
class LayerDefault:
    """The layer a tool opens on, and a one-line reason (for a tooltip)."""

    layer: str
    reason: str


def _probe(net: nn.Module, shape: tuple[int, ...]) -> tuple[dict[str, int], dict[str, tuple], dict[str, int]]:
    """Per module name: call count, output shape of the first call, order of first call."""
    calls: dict[str, int] = {}
    shapes: dict[str, tuple] = {}
    order: dict[str, int] = {}
    handles = []
    for name, module in net.named_modules():
        if not name:
            continue

        def hook(_m, _i, out, name=name):
            calls[name] = calls.get(name, 0) + 1
            if name not in order:
                order[name] = len(order)
                shapes[name] = tuple(out.shape) if isinstance(out, torch.Tensor) else ()
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            net(torch.zeros(shape, device=next((p.device for p in net.parameters()), torch.device("cpu"))))
    finally:
        for h in handles:
            h.remove()
    return calls, shapes, order


def probe_layers(net: nn.Module, shape: tuple[int, ...]) -> tuple[dict[str, nn.Module], dict[str, int]]:
    """``{name: module}`` of the network's spatial layers in execution order (see the
    module docstring), and each layer's shorter map side at that input shape."""
    calls, shapes, order = _probe(net, shape)
    modules = dict(net.named_modules())

    def spatial(name: str) -> bool:
        s = shapes.get(name, ())
        return len(s) == 4 and s[2] * s[3] > 1 and calls.get(name) == 1

    chosen: list[str] = []

    def visit(prefix: str, module: nn.Module, opened: bool) -> None:
        for key, child in module.named_children():
            name = f"{prefix}{key}"
            container = isinstance(child, (nn.Sequential, nn.ModuleList)) or type(child).__name__ == "InterpreterModule"
            if not spatial(name):
                visit(f"{name}.", child, opened)  # tokens, vectors, or run twice: look inside
            elif container and not opened:
                before = len(chosen)
                visit(f"{name}.", child, True)
                if len(chosen) == before:
                    chosen.append(name)
            else:
                chosen.append(name)

    visit("", net, False)
    chosen.sort(key=lambda n: order[n])
    return {name: modules[name] for name in chosen}, {name: min(shapes[name][2:]) for name in chosen}


def default_layers(names: list[str], *, transformer: bool = False,
                   sides: dict[str, int] | None = None) -> dict[str, LayerDefault]:
    """Where Grad-CAM (``cam``), DeepDream (``dream``) and the Layers tab (``layers``) open;
    ``sides`` (each layer's shorter map side, if known) keeps Grad-CAM off maps
    smaller than :data:`CAM_MIN_SIDE` when a finer one exists."""
    if not names:
        return {}
    last = names[-1]
    if transformer and len(names) >= 3:
        cam = LayerDefault(names[-2], "the last block's patch tokens do not reach the class token; "
                                      "the block before it is the deepest whose grid the prediction reads")
    else:
        cam = LayerDefault(last, "the last feature map before pooling: the most class-specific spatial layer")
        fine = [n for n in names if (sides or {}).get(n, CAM_MIN_SIDE) >= CAM_MIN_SIDE]
        if fine and fine[-1] != last:
            cam = LayerDefault(fine[-1], f"the deepest feature map with at least {CAM_MIN_SIDE}x{CAM_MIN_SIDE} positions "
                                         f"(the last one is {sides[last]}x{sides[last]} at this input size, "
                                         "too coarse to show where)")
    dream = names[min(len(names) - 1, max(0, round(0.6 * (len(names) - 1))))]
    middle = names[(len(names) - 1) // 2]
    return {
        "cam": cam,
        "dream": LayerDefault(dream, "about 60% of the way in: textures and object parts, not edges or whole classes"),
        "layers": LayerDefault(middle, "the middle of the network: parts and patterns, neither edges nor classes"),
    }
