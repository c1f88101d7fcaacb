"""Reading a recipe back: from a PNG (:func:`read_recipe`) or its JSON
(:func:`recipe_from_dict`), checked field by field: each problem is a :class:`~engine.recipe.RecipeError` naming the field
(``recipe.params.lr``, ``recipe.files.source.sha256``...); parameter values
go through the job's parameter class, the same validation as every form
and command-line option."""
from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

from .job_record import JobRecord
from .params import specs
from .recipe import FORMAT_VERSION, MADE_WITH, RECIPE_FIELDS, RECIPE_KEY, FileRef, Recipe, RecipeError
from .recipe_jobs import JOBS

__all__ = ["read_recipe", "recipe_from_dict", "check_recipe"]

def read_recipe(path: str | os.PathLike) -> Recipe:
    """The recipe in a PNG Neural Lens saved; :class:`RecipeError` naming the file and the problem."""
    from .imaging import read_png_params

    try:
        data = read_png_params(path)
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:  # not a PNG, damaged, or its text is not JSON
        raise RecipeError(f"{path}: cannot read its recipe ({exc})") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: has no Neural Lens parameters (not saved by Neural Lens)")
    if RECIPE_KEY not in data:
        raise RecipeError(f"{path}: has parameters but no recipe (saved before recipes, or by a tab that "
                          "writes none)")
    try:
        return recipe_from_dict(data[RECIPE_KEY])
    except RecipeError as exc:
        raise RecipeError(f"{path}: {exc}") from None


def recipe_from_dict(data: Any, where: str = "recipe") -> Recipe:
    """A :class:`Recipe` from its JSON form, every field checked."""
    try:
        return check_recipe(data, where)
    except RecipeError:
        raise
    except ValueError as exc:
        raise RecipeError(str(exc)) from None


_SHA = re.compile(r"[0-9a-f]{64}")


def _object(value: Any, field: str, keys: set[str] | None = None, required: set[str] | None = None) -> dict:
    if not isinstance(value, dict):
        raise RecipeError(f"{field} must be an object, got {type(value).__name__}")
    if keys is not None and set(value) - keys:
        raise RecipeError(f"{field} has unknown field(s): {', '.join(sorted(set(value) - keys))}")
    missing = (required if required is not None else keys or set()) - set(value)
    if missing:
        raise RecipeError(f"{field} lacks {', '.join(sorted(missing))}")
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecipeError(f"{field} must be a non-empty text, got {value!r}")
    return value


def _sha(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise RecipeError(f"{field} must be a SHA-256 (64 hex digits), got {value!r}")
    return value


def _whole(value: Any, field: str, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (high is not None and value > high):
        raise RecipeError(f"{field} must be a whole number in 0..{high if high is not None else 'any'}, got {value!r}")
    return value


def check_recipe(data: Any, where: str = "recipe") -> Recipe:
    data = _object(data, where)
    version = data.get("format")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise RecipeError(f"{where}.format is {version}: made by a newer Neural Lens (this one reads recipe "
                          f"format {FORMAT_VERSION}); update Neural Lens to replay it")
    if version != FORMAT_VERSION:
        raise RecipeError(f"{where}.format must be {FORMAT_VERSION}, got {version!r}")
    _object(data, where, RECIPE_FIELDS)
    job = data["job"]
    if job not in JOBS:
        raise RecipeError(f"{where}.job must be one of {', '.join(JOBS)}, got {job!r}")
    kind = JOBS[job]
    if data["output"] not in kind.outputs:
        raise RecipeError(f"{where}.output must be one of {', '.join(kind.outputs)} for {job}, got {data['output']!r}")
    model = _object(data["model"], f"{where}.model", {"name", "weights_sha256", "file"}, {"name", "weights_sha256"})
    continues = data["continues"]
    if kind.after is not None and (not isinstance(continues, dict) or continues.get("job") != kind.after):
        raise RecipeError(f"{where}.continues must be the recipe of the {kind.after} run a {job} result is made from")
    return Recipe(
        job=job, output=data["output"], model=_text(model["name"], f"{where}.model.name"),
        weights_sha256=_sha(model["weights_sha256"], f"{where}.model.weights_sha256"),
        params=_params(kind.params, data["params"], f"{where}.params"),
        seed=_whole(data["seed"], f"{where}.seed", 2**63 - 1),
        inputs=_inputs(kind, data["inputs"], f"{where}.inputs"),
        files=_files(kind, data["files"], f"{where}.files"),
        timeline=_timeline(kind.params, data["params"], data["timeline"], f"{where}.timeline"),
        steps_done=_whole(data["steps_done"], f"{where}.steps_done"),
        continues=None if continues is None else check_recipe(continues, f"{where}.continues"),
        made_with=_made_with(data["made_with"], f"{where}.made_with"),
        model_file=_model_file(model.get("file"), f"{where}.model.file"))


def _model_file(value: Any, field: str) -> dict[str, str] | None:
    if value is None:
        return None
    value = _object(value, field, {"path", "sha256", "arch", "preprocessing"}, required={"path", "sha256", "arch"})
    info = {"path": _text(value["path"], f"{field}.path"), "sha256": _sha(value["sha256"], f"{field}.sha256"),
            "arch": _text(value["arch"], f"{field}.arch")}
    if "preprocessing" in value:   # chosen in the window
        from .models.preprocessing import Preprocessing

        try:
            info["preprocessing"] = Preprocessing(**_object(value["preprocessing"], f"{field}.preprocessing")).as_dict()
        except (TypeError, ValueError) as exc:
            raise RecipeError(f"{field}.preprocessing: {exc}") from None
    return info


def _params(cls: type, values: Any, field: str) -> Any:
    declared = {f.name for f in dataclasses.fields(cls)}
    values = _object(values, field, declared)
    for name, spec in specs(cls).items():
        try:
            spec.check(values[name])
        except ValueError as exc:
            raise RecipeError(f"{field}.{name}: {exc}") from None
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:  # a rule between fields
        raise RecipeError(f"{field}: {exc}") from None


def _inputs(kind, values: Any, field: str) -> dict[str, Any]:
    values = _object(values, field)
    if tuple(sorted(values)) not in {tuple(sorted(option)) for option in kind.inputs}:
        wanted = " or ".join("+".join(option) for option in kind.inputs)
        raise RecipeError(f"{field} must give {wanted}, got {', '.join(sorted(values)) or 'nothing'}")
    out = {}
    for name, value in values.items():
        if name == "target":
            out[name] = _whole(value, f"{field}.target", 100_000)
        elif name == "objective":
            from .generation.unit_objectives import parse_objective

            try:
                parse_objective(_text(value, f"{field}.objective"))
            except ValueError as exc:
                raise RecipeError(f"{field}.objective: {exc}") from None
            out[name] = value
        elif name == "opacity":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise RecipeError(f"{field}.opacity must be a number in 0..1, got {value!r}")
            out[name] = value
        elif name == "cmap":
            from .gradients.heatmap import COLORMAPS

            if value not in COLORMAPS:
                raise RecipeError(f"{field}.cmap must be one of {', '.join(COLORMAPS)}, got {value!r}")
            out[name] = value
        else:
            out[name] = _text(value, f"{field}.{name}")
    return out


def _files(kind, values: Any, field: str) -> dict[str, FileRef]:
    values = _object(values, field, set(kind.files))
    out = {}
    for role, ref in values.items():
        where = f"{field}.{role}"
        ref = _object(ref, where, {"path", "sha256", "pixels_sha256"})
        path = None if ref["path"] is None else _text(ref["path"], f"{where}.path")
        sha = None if ref["sha256"] is None else _sha(ref["sha256"], f"{where}.sha256")
        if (path is None) != (sha is None):
            raise RecipeError(f"{where}: path and sha256 go together (both or neither)")
        out[role] = FileRef(path, sha, _sha(ref["pixels_sha256"], f"{where}.pixels_sha256"))
    return out


def _timeline(cls: type, params: dict, value: Any, field: str) -> JobRecord:
    """The record, each live change checked as the running job checked it."""
    try:
        record = JobRecord.from_dict(value, field)
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    live, current = cls.live_fields(), cls(**params)
    for k, (_event, values) in enumerate(record.changes):
        for name in values:
            if name not in live:
                raise RecipeError(f"{field}.changes[{k}].values.{name}: not a parameter that changes while a job runs")
        try:
            current = dataclasses.replace(current, **values)
        except (ValueError, TypeError) as exc:
            raise RecipeError(f"{field}.changes[{k}].values: {exc}") from None
    return record


def _made_with(values: Any, field: str) -> dict[str, Any]:
    values = _object(values, field, set(MADE_WITH))
    for name, kind in MADE_WITH.items():
        value = values[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RecipeError(f"{field}.{name} must be a {kind.__name__}, got {value!r}")
    return dict(values)
