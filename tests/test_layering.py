"""The layering rules of docs/ARCHITECTURE.md, checked on the source:
the window's code (guiapp/) holds no torch code -- what the CLI also needs
lives in the engine -- and no two modules import each other, not even
inside a function (no cycles)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, *, top_level_only: bool) -> set[str]:
    """Modules ``name`` imports (absolute names); with ``top_level_only`` only
    the imports made when the module loads, else those inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return found


def test_the_window_code_has_no_torch():
    offenders = {name: sorted(i for i in imports(name, path, top_level_only=False) if i.split(".")[0] == "torch")
                 for name, path in modules("guiapp").items()}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"torch code belongs in the engine: {offenders}"


def test_no_import_cycles():
    graph = {}
    everything = {**modules("engine"), **modules("guiapp")}
    for name, path in everything.items():
        graph[name] = {i for i in imports(name, path, top_level_only=False) if i in everything and i != name}
    # a package importing its own submodules (engine.generation -> engine.generation.classviz) is not a cycle
    for name in graph:
        graph[name] = {i for i in graph[name] if not i.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
