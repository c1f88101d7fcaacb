"""The shape classifier's training recipe (``tools/shapes_classifier.py``
trains the shipped weights with it; ROAR, :mod:`engine.gradients.shapes_roar`,
retrains it on scenes with pixels removed): timm's ``test_resnet`` (0.37 M
parameters) told which of the 8 shapes is in a 64-pixel scene
(:mod:`engine.shape_scenes`), AdamW with a one-cycle learning rate, mirrored
scenes and Gaussian input noise."""
from __future__ import annotations

import numpy as np
import torch

from .captioning.data.scenes import SHAPES, Scene, render_scene
from .shape_scenes import SIZE, scenes

__all__ = ["ARCH", "render", "train"]

ARCH = "test_resnet"


def _batches(images: torch.Tensor, labels: torch.Tensor, batch: int, rng: torch.Generator):
    order = torch.randperm(len(images), generator=rng)
    for i in range(0, len(order), batch):
        yield images[order[i : i + batch]], labels[order[i : i + batch]]


def render(scene_list: list[Scene]) -> tuple[torch.Tensor, torch.Tensor]:
    """The scenes as the network's (N,3,SIZE,SIZE) input (mean/std 0.5: timm's
    ``test_resnet`` configuration) and their (N,) shape labels."""
    images = torch.from_numpy(np.stack([render_scene(s, SIZE) for s in scene_list])).permute(0, 3, 1, 2)
    return (images.float() / 255 - 0.5) / 0.5, torch.tensor([SHAPES.index(s.main.shape) for s in scene_list])


def train(n_train: int = 6000, epochs: int = 12, seed: int = 0, noise: float = 0.3, log=print,
          data=None, control=None) -> torch.nn.Module:
    """The trained network, on ``n_train`` fresh training scenes or on
    ``data`` = (images, labels) as :func:`render` makes them (ROAR retrains
    on modified scenes); ``noise``: the std of the Gaussian noise added to
    each training input; ``control`` (an :class:`engine.jobs.Control`): a
    Stop raises :class:`engine.jobs.Cancelled` at the next batch."""
    import timm

    torch.manual_seed(seed)
    images, labels = render(scenes(n_train, 0)) if data is None else data
    n_train = len(images)
    net = timm.create_model(ARCH, num_classes=len(SHAPES), pretrained=False)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((n_train + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        correct = 0
        for x, y in _batches(images, labels, 64, gen):
            if control is not None:
                control.raise_if_cancelled()
            x = torch.where(torch.rand(len(x), 1, 1, 1, generator=gen) < 0.5, x, x.flip(-1))  # mirror
            if noise > 0:
                x = x + noise * torch.randn(x.shape, generator=gen)
            logits = net(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            correct += int((logits.argmax(1) == y).sum())
        log(f"epoch {epoch + 1}: loss {float(loss.detach()):.3f}, training accuracy {correct / n_train:.3f}")
    return net.eval()
