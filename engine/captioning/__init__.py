"""The captioning engine: explicit-gradient RNN/LSTM layers, the captioning
model, decoders, optimisers, the training solver, checkpoints, BLEU and
gradient checks.  No Qt here."""
from __future__ import annotations

from .bleu import corpus_bleu, strip_special
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .decoding import Beam, BeamStep, DecodeResult, beam_search, decode_captions, greedy_decode, temperature_sample
from .gradcheck import GradCheckResult, check_layers, check_model
from .layers import (
                     LSTMCache,
                     lstm_backward,
                     lstm_forward,
                     lstm_gate_trace,
                     lstm_step_backward,
                     lstm_step_forward,
                     rnn_backward,
                     rnn_forward,
                     rnn_step_backward,
                     rnn_step_forward,
                     temporal_affine_backward,
                     temporal_affine_forward,
                     temporal_softmax_loss,
                     word_embedding_backward,
                     word_embedding_forward,
)
from .model import SPECIAL_TOKENS, CaptioningRNN
from .optim import adam, sgd
from .solver import CaptioningSolver, TrainParams

__all__ = [
    "CaptioningRNN", "SPECIAL_TOKENS", "CaptioningSolver", "TrainParams",
    "DecodeResult", "Beam", "BeamStep", "greedy_decode", "temperature_sample", "beam_search", "decode_captions",
    "sgd", "adam", "corpus_bleu", "strip_special",
    "CheckpointError", "save_checkpoint", "load_checkpoint",
    "GradCheckResult", "check_layers", "check_model",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "word_embedding_forward", "word_embedding_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "LSTMCache", "lstm_gate_trace",
]
