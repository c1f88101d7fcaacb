"""Making a picture the way the window makes and saves it, without Qt: the
job's generator made on this thread, run on another through
``interruptibly`` with a clock-throttled Control, this thread changing a
parameter and pressing Stop as frames arrive, then the recipe recorded and
the PNG saved with it."""
from __future__ import annotations

import queue
import threading
from pathlib import Path

from engine.imaging import load_image, resize, save_png
from engine.jobs import Control, interruptibly, run_to_end
from engine.recipe_jobs import JOBS, Given
from engine.rerun import record_run

__all__ = ["make_like_window", "small_photos"]


def make_like_window(tmp: Path, job: str, model, params, *, inputs: dict, files: dict | None = None, seed: int = 0,
                     change: dict | None = None, change_at: int = 2, stop_at: int | None = None,
                     output: str = "image", continues=None, init=None, parent=None, name: str = "result.png",
                     keep: dict | None = None):
    """``(path, picture, recipe)``: the saved PNG.  ``files``: role -> (path, image);
    ``change`` is applied when the ``change_at``-th frame arrives, Stop is pressed
    at the ``stop_at``-th; ``parent``: the result an ``after`` kind is made from."""
    kind = JOBS[job]
    files = files or {}
    control = Control(params, emit_interval=0.01)
    frames = kind.start(Given(model, inputs, {r: img for r, (_p, img) in files.items()}, seed, init, parent), control)
    arrived: queue.Queue = queue.Queue()
    out: dict = {}

    def work():
        try:
            out["run"] = run_to_end(interruptibly(lambda: frames, control), arrived.put)
        finally:
            arrived.put(None)

    thread = threading.Thread(target=work)
    thread.start()
    count = 0
    while arrived.get() is not None:
        count += 1
        if change and count == change_at:
            control.update(**change)
        if stop_at is not None and count == stop_at:
            control.cancel()
    thread.join()
    last, value = out["run"]
    picture = kind.picture(last, value, output, inputs)
    recipe = record_run(job, model=model, control=control, seed=seed, inputs=inputs, files=files,
                        steps_done=last.step if last else 0, output=output, continues=continues)
    path = tmp / name
    save_png(path, picture, {"mode": kind.title, "recipe": recipe.as_dict()})
    if keep is not None:
        keep["value"] = value   # the job's return value (a full-size fooling run is made from it)
    return path, picture, recipe


def small_photos(folder: Path, photo) -> dict:
    """A 64x48 source photo and a 40x40 guide written in ``folder`` (so each step
    is quick): ``{role: (path, image as read back)}``."""
    source, guide = folder / "the cat.png", folder / "coffee.png"
    save_png(source, resize(photo("chelsea.png"), (48, 64)))
    save_png(guide, resize(photo("coffee.png"), (40, 40)))
    return {"source": (str(source), load_image(source)), "guide": (str(guide), load_image(guide))}
