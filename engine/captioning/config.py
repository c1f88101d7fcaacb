"""``TrainConfig``: everything a captioning training run is built from, declared
once (:mod:`engine.params`).  The Train page's form (``ParamForm``) and the
``caption train`` options (``add_param_options``) are generated from it, so
the window and the command line accept the same cells, sizes and rates.

The learning rate and its decay (:class:`~.solver.TrainParams`, the part a
running job reads every iteration) are live; the rest applies when a run is
built (:func:`build_training`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..params import param
from .data.caption_data import CaptionData
from .data.spatial import data_regions
from .model import CELLS, CaptioningRNN
from .solver import CaptioningSolver, TrainParams

__all__ = ["TrainConfig", "build_training", "FORM_FIELDS"]

#: the fields the Train page shows, in its order (gradient clipping is on the command line only)
FORM_FIELDS = ("cell", "hidden_size", "wordvec_size", "learning_rate", "lr_decay", "batch_size", "epochs",
               "word_dropout", "update_rule")


@dataclass(frozen=True)
class TrainConfig(TrainParams):
    """A training run's cell, sizes, minibatches, epochs, word dropout, update
    rule and gradient clipping, besides the live learning rate and decay."""

    cell: str = param("lstm", "Cell", choices=tuple((key, cell.title) for key, cell in CELLS.items()), live=False,
                      help="The recurrent cell; the LSTM with attention looks at a grid of image features before "
                           "every word (Xu et al. 2015) and needs grid features")
    hidden_size: int = param(128, "Hidden size", low=4, high=2048, step=16, live=False,
                             help="Units of the recurrent cell's hidden state")
    wordvec_size: int = param(64, "Word vector size", low=4, high=1024, step=16, live=False,
                              help="Length of each word's learned embedding")
    batch_size: int = param(100, "Batch size", low=1, high=4096, step=10, live=False,
                            help="Captions per minibatch")
    epochs: int = param(12, "Epochs", low=1, high=10000, live=False,
                        help="Passes over the training captions (resuming trains up to this many)")
    word_dropout: float | None = param(None, "Word dropout", kind="float", low=0.0, high=0.95, step=0.05,
                                       optional=True, live=False,
                                       help="While training, replace input words by <UNK> with this probability "
                                            "(Bowman et al. 2016), so the next word must come from the image more "
                                            "than from the word just read; unset: the dataset's recommendation "
                                            "(0.5 on the colour words of the built-in scenes, which lets the model "
                                            "name colour-shape pairs it never saw; else 0)")
    update_rule: str = param("adam", "Update rule", choices=(("adam", "Adam"), ("sgd", "SGD")), live=False,
                             help="How the gradients update the weights")
    grad_clip: float | None = param(None, "Gradient clipping", kind="float", low=0.0, high=1e6, optional=True,
                                    live=False,
                                    help="Scale the gradients down to this norm when larger (0: off; unset: 5 for "
                                         "the attention cell, else off)")


def build_training(config: TrainConfig, data: Mapping[str, Any], *, device: Any = None, seed: int | None = None,
                   val_bleu_samples: int = 100) -> tuple[CaptioningRNN, CaptioningSolver]:
    """A new model and its solver for ``data`` as ``config`` says (``ValueError``
    for a combination they refuse, e.g. the attention cell on pooled features)."""
    data = CaptionData.of(data)
    model = CaptioningRNN(data.word_to_idx, input_dim=data.feature_dim,
                          wordvec_dim=config.wordvec_size, hidden_dim=config.hidden_size, cell_type=config.cell,
                          device=device, seed=seed, regions=data_regions(data) if config.cell == "attention" else 1)
    solver = CaptioningSolver(model, data, update_rule=config.update_rule,
                              optim_config={"learning_rate": config.learning_rate}, lr_decay=config.lr_decay,
                              batch_size=config.batch_size, num_epochs=config.epochs, seed=seed,
                              val_bleu_samples=val_bleu_samples, word_dropout=config.word_dropout,
                              grad_clip=config.grad_clip)
    return model, solver
