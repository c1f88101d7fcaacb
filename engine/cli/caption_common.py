"""What the ``caption`` subcommands share: the device (the CPU unless
``--device`` says otherwise), count checks and loading a dataset by name."""
from __future__ import annotations

import argparse

from .common import CliError, ProgressBar, restart_clock


def _device(args: argparse.Namespace):
    from ..device import choose_device

    try:
        return choose_device(getattr(args, "device", None) or "cpu")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        restart_clock()


def _positive_int(name: str, value: int | None, high: int = 10**9) -> int | None:
    if value is not None and not 1 <= value <= high:
        raise CliError(f"--{name} must be between 1 and {high}, got {value}")
    return value


def _load_dataset(source: str, device, *, cnn_name: str = "efficientnet_lite0", spec=None,
                  max_train: int | None = None, options: dict | None = None, quiet: bool = False):
    """The :class:`CaptionData` of ``source``, from the dataset job run with a progress bar; errors become
    one-line CliErrors."""
    from ..captioning.data import DatasetError, ShapesConfig, dataset_job
    from ..jobs import run_to_end
    from ..models import ModelLoadError, load_model

    options = dict(options or {})
    shapes = options.pop("shapes", None)

    def cnn():
        try:
            return load_model(spec.cnn if spec is not None else cnn_name, device=device)
        except (ModelLoadError, ValueError) as exc:
            raise CliError(str(exc)) from None

    bar = ProgressBar("dataset") if not quiet else None
    try:
        job = dataset_job(source, cnn, cnn_name=cnn_name, spec=spec, max_train=max_train,
                          shapes=ShapesConfig(**shapes) if shapes else None, **options)
        _, data = run_to_end(job, bar)
    except (DatasetError, ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    restart_clock()  # the job's "seconds" leave out building or reading the dataset
    return data


def _dataset_options(args: argparse.Namespace) -> dict:
    opts: dict = {}
    if args.dataset == "shapes" and args.n_train is not None:
        n = args.n_train
        opts["shapes"] = {"n_train": n, "n_val": max(10, n // 10), "n_test": max(10, n // 10),
                          "n_novel": max(10, n // 10), "seed": args.data_seed}
    elif args.dataset == "shapes" and args.data_seed:
        opts["shapes"] = {"seed": args.data_seed}
    if getattr(args, "images", None):
        from pathlib import Path

        opts["images_dir"] = str(Path(args.images).resolve())
    return opts
