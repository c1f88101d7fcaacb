"""ONNX files converted to PyTorch modules with ``onnx2torch``, so that
gradients, hooks and every tool work on them.  Operators ``onnx2torch``
cannot convert are named, all at once, before converting."""
from __future__ import annotations

from pathlib import Path

__all__ = ["read_onnx", "unconvertible_operators"]


def _opset(model, domain: str) -> int:
    for entry in model.opset_import:
        if entry.domain in (domain, "ai.onnx" if domain == "" else domain):
            return int(entry.version)
    return 0


def unconvertible_operators(model) -> list[str]:
    """``"Op (opset N)"`` for every operator of the graph ``onnx2torch`` has no converter for."""
    from onnx2torch.node_converters.registry import get_converter

    missing: dict[str, None] = {}
    for node in model.graph.node:
        version = _opset(model, node.domain)
        try:
            get_converter(node.op_type, version, node.domain or "")
        except NotImplementedError:
            missing[f"{node.domain + '.' if node.domain else ''}{node.op_type} (opset {version})"] = None
    return list(missing)


def _input_shape(model) -> tuple[int, ...] | None:
    initializers = {i.name for i in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = value.type.tensor_type.shape.dim
        return tuple(int(d.dim_value) if d.HasField("dim_value") else -1 for d in dims)
    return None


def read_onnx(path: Path):
    """The ONNX file at ``path`` as ``(PyTorch module, metadata, input shape)``.
    Raises ``ValueError`` naming the file and, for a graph that cannot be
    converted, its unconvertible operators."""
    import onnx
    from onnx2torch import convert

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - protobuf errors have many types
        raise ValueError(f"{path}: is not a readable ONNX file ({type(exc).__name__})") from None
    missing = unconvertible_operators(model)
    if missing:
        raise ValueError(f"{path}: these ONNX operators cannot be converted to PyTorch: {', '.join(missing)}")
    try:
        module = convert(model)
    except Exception as exc:  # noqa: BLE001 - a converter refusing an attribute value
        raise ValueError(f"{path}: cannot convert the ONNX graph to PyTorch ({str(exc)[:200]})") from None
    meta = {p.key: p.value for p in model.metadata_props}
    return module, meta, _input_shape(model)
