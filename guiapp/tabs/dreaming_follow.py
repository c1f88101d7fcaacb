"""The Dreaming tab's settings nobody changed follow the model: class
visualization takes the network's own parameterisation
(:func:`.dreaming_modes.follow_network`), and each mode's image size the
model's input size (a 64 px network's class visualization is made at 64 px,
not 224); the bundled networks keep the mode's own default size."""
from __future__ import annotations

from dataclasses import replace

from engine.params import specs

from .dreaming_modes import CLASSVIZ, MODE_TABLE, follow_network

__all__ = ["ModelFollower"]


class ModelFollower:
    """Keeps, per mode with a size, the size last chosen for the user
    (:attr:`auto`); a size still at that value is the user's to follow."""

    def __init__(self, tab) -> None:
        self.tab = tab
        self.auto = {key: p.size for key, p in tab.params.items() if hasattr(p, "size")}
        self.form_mode: str | None = None  # the mode whose settings the form shows

    def show(self, key: str) -> None:
        """The form shows mode ``key``'s settings; what was typed for the mode shown before stays its own."""
        self.keep_typed()
        self.form_mode = key
        self.tab.form.set_params(self.tab.params[key])

    def keep_typed(self) -> None:
        """Values typed into the form but not run yet become the shown mode's settings
        (so a mode switch or a model change does not throw them away)."""
        if self.form_mode is not None:
            try:
                self.tab.params[self.form_mode] = self.tab.form.params()
            except ValueError:  # a combination the mode refuses: its settings stay as they were
                pass

    @staticmethod
    def size_for(key: str, model) -> int:
        """The size mode ``key`` opens with on ``model``: its input size
        within the mode's range, or the mode's default on a bundled network."""
        params = MODE_TABLE[key].defaults()
        if model is None or getattr(model, "source", None) is None:
            return params.size
        spec = specs(params)["size"]
        return int(min(max(model.input_size, spec.low), spec.high))

    def follow(self, model) -> None:
        """``model`` is the window's model now: the settings nobody changed follow it."""
        tab = self.tab
        self.keep_typed()
        if follow_network(tab.params, model.name) and tab.mode_key() == CLASSVIZ:
            tab.form.set_params(tab.params[CLASSVIZ])
        for key, auto in self.auto.items():
            new = self.size_for(key, model)
            shown_here = key == tab.mode_key() and "size" in tab.form.widgets
            if (tab.form.value("size") if shown_here else tab.params[key].size) == auto:
                tab.params[key] = replace(tab.params[key], size=new)
                if shown_here:
                    tab.form.set_value("size", new)
            self.auto[key] = new
