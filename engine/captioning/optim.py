"""First-order update rules, written out, with their state in a plain dict.

The classic signature: ``next_w, config = rule(w, dw, config)``.  ``config``
holds the hyperparameters and the rule's state (tensors and numbers only, so
it can be saved in a ``weights_only`` checkpoint).  A missing ``config`` or
missing keys get the defaults.  Neither ``w`` nor ``dw`` nor the given
``config`` dict is modified; a new dict is returned.
"""
from __future__ import annotations

import math

import torch

__all__ = ["sgd", "adam", "UPDATE_RULES"]


def sgd(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """Vanilla stochastic gradient descent: ``w <- w - learning_rate * dw``.

    ``config``: ``learning_rate`` (default 1e-2).
    """
    config = dict(config or {})
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None):
    """Adam (Kingma & Ba 2015, Algorithm 1) with bias correction::

        t <- t + 1
        m <- beta1 m + (1 - beta1) dw          v <- beta2 v + (1 - beta2) dw**2
        m_hat = m / (1 - beta1**t)             v_hat = v / (1 - beta2**t)
        w <- w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    ``config``: ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999),
    ``epsilon`` (1e-8), state ``m``, ``v`` (zeros like ``w``) and ``t`` (0).
    """
    config = dict(config or {})
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    m = config.get("m")
    v = config.get("v")
    m = torch.zeros_like(w) if m is None else m.to(device=w.device, dtype=w.dtype)
    v = torch.zeros_like(w) if v is None else v.to(device=w.device, dtype=w.dtype)
    t = int(config.get("t", 0)) + 1
    b1, b2 = float(config["beta1"]), float(config["beta2"])
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * (dw * dw)
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (torch.sqrt(v_hat) + config["epsilon"])
    config.update(m=m, v=v, t=t)
    return next_w, config


UPDATE_RULES = {"sgd": sgd, "adam": adam}


def check_learning_rate(value: float) -> float:
    """A learning rate must be a positive finite number."""
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"learning rate must be a positive finite number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"learning rate must be a positive finite number, got {value!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"learning rate must be a positive finite number, got {value}")
    return value
