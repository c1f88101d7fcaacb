"""Tiny classifiers with known gradients, wrapped as real ``Classifier``s."""
from __future__ import annotations

import torch
from torch import nn

from engine.models import Classifier

LABELS = ["zero", "one", "two", "three", "four"]


def wrap(net: nn.Module, layers: dict[str, nn.Module] | None = None, labels=LABELS) -> Classifier:
    return Classifier(name="tiny", net=net, labels=labels, mean=(127.0,) * 3, std=(128.0,) * 3,
                      layers=layers or {}, device=torch.device("cpu"), input_size=8)


def linear_model(size: int = 4, seed: int = 0) -> Classifier:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * size * size, len(LABELS)))
    return wrap(net)


class ConvNet(nn.Module):
    """conv -> BN -> act -> conv -> act -> global average -> linear."""

    def __init__(self, act: type[nn.Module] = nn.ReLU, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, stride=stride)
        self.bn = nn.BatchNorm2d(6)
        self.act1 = act()
        self.conv2 = nn.Conv2d(6, 4, 3, padding=1)
        self.act2 = act()
        self.fc = nn.Linear(4, len(LABELS))

    def forward(self, x):
        h = self.act2(self.conv2(self.act1(self.bn(self.conv1(x)))))
        return self.fc(h.mean(dim=(2, 3)))


def conv_model(act: type[nn.Module] = nn.ReLU, stride: int = 1, seed: int = 0) -> Classifier:
    torch.manual_seed(seed)
    net = ConvNet(act, stride)
    with torch.no_grad():  # non-trivial BatchNorm statistics, so eval mode matters
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    return wrap(net, {"act1": net.act1, "act2": net.act2})


def random_images(n: int, size: int = 8, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, size, size, 3), generator=gen, dtype=torch.uint8).numpy()
