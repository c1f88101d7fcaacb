"""Opening a user's model file: architecture from keys and shapes, class
names, preprocessing, whole-network formats, refusals."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torchvision

from engine.gradients.gradcam import grad_cam
from engine.models import load_model
from engine.models.arch_detect import find_architectures
from engine.models.model_file import CodeRefused
from engine.models.preprocessing import Preprocessing
from engine.models.user_model import SeveralArchitectures, open_model_file
from tests import user_models
from tests.user_models import SMALL, small_cnn, write_plain_onnx

user_model_files = user_models.user_model_files  # the fixture

RNG = np.random.default_rng(0)
PHOTO = RNG.integers(0, 256, size=(90, 120, 3), dtype=np.uint8)


def test_resnet_state_dict_is_recognised_with_its_labels(user_model_files):
    model = open_model_file(user_model_files["resnet"], "cpu")
    assert model.source.arch == "resnet18" and model.source.kind == "state dict"
    assert model.labels == ("apple", "banana", "cherry", "date", "elder") and model.source.labels_from == "labels.txt"
    assert model.input_size == SMALL and model.name.startswith("resnet18_5cls.pth [")
    assert model.source.short_hash in model.name and len(model.source.sha256) == 64
    assert model.layer_names[-1] == "layer4.1" and "layer2.0" in model.layer_names
    # at this size layer4.1 is 2x2: Grad-CAM opens on the deepest map of at least 7x7 (layer2.1, 8x8)
    assert model.default_layer("cam").layer == "layer2.1" and "2x2" in model.default_layer("cam").reason
    x = model.preprocess(model.prepare(PHOTO))
    net = torchvision.models.resnet18(num_classes=5)
    net.load_state_dict(torch.load(user_model_files["resnet"], weights_only=True))
    with torch.no_grad():
        expected = net.eval()(x)
    assert torch.allclose(model.logits(x), expected, atol=1e-4)
    # torchvision's ImageNet statistics in pixel units
    assert torch.allclose(model.mean.flatten(), torch.tensor([123.675, 116.28, 103.53]), atol=1e-3)


def test_default_preprocessing_comes_from_the_architecture(tmp_path, user_model_files):
    plain = tmp_path / "plain.pth"
    plain.write_bytes(user_model_files["resnet"].read_bytes())
    model = open_model_file(plain, "cpu")
    assert model.input_size == 224 and model.crop_fraction == pytest.approx(224 / 256)
    assert model.labels[0] == "class 0" and len(model.labels) == 5


def test_where_preprocessing_and_names_came_from(tmp_path, user_model_files):
    """``source.preprocessing_from`` is empty only when nothing said (the window then asks)."""
    said = {kind: open_model_file(user_model_files[kind], "cpu").source.preprocessing_from for kind in ("resnet", "onnx")}
    assert said == {"resnet": "resnet18_5cls.json", "onnx": "the file's input shape"}
    plain = tmp_path / "plain.pth"
    plain.write_bytes(user_model_files["resnet"].read_bytes())
    assert open_model_file(plain, "cpu").source.preprocessing_from == "torchvision's weight transforms"
    path = write_plain_onnx(tmp_path)
    model = open_model_file(path, "cpu")
    assert model.source.preprocessing_from == "" and model.source.preprocessing == Preprocessing()
    chosen = open_model_file(path, "cpu", preprocessing=Preprocessing(input_size=48), labels=["n", "e", "s", "w"])
    assert chosen.source.preprocessing_from == "chosen" and chosen.input_size == 48
    assert chosen.labels == ("n", "e", "s", "w") and chosen.source.labels_from == "names you chose"
    with pytest.raises(ValueError, match=r"plain.onnx: 2 class names \(from names you chose\) but the network has 4 outputs"):
        open_model_file(path, "cpu", labels=["n", "e"])


def test_checkpoint_dict_prefixes_and_label_count(tmp_path):
    net = torchvision.models.resnet18(num_classes=3)
    state = {f"module.{k}": v for k, v in net.state_dict().items()}
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": state, "class_to_idx": {"b": 1, "a": 0, "c": 2}}, path)
    assert open_model_file(path, "cpu").labels == ("a", "b", "c")
    (tmp_path / "ckpt.json").write_text(json.dumps({"labels": ["x", "y"], "input_size": 32}))
    with pytest.raises(ValueError, match="2 class names .* 3 outputs"):
        open_model_file(path, "cpu")


def test_a_state_dict_that_fits_nothing_names_the_closest(tmp_path):
    state = torchvision.models.resnet18(num_classes=4).state_dict()
    del state["layer4.1.bn2.running_var"]
    path = tmp_path / "broken.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"closest: (timm/)?resnet18 \(1 tensors missing.*layer4.1.bn2.running_var"):
        open_model_file(path, "cpu")


def test_several_fits_are_listed_and_one_is_chosen(tmp_path):
    import timm

    net = timm.create_model("deit_tiny_patch16_224", num_classes=2)
    path = tmp_path / "deit.pth"
    torch.save(net.state_dict(), path)
    fits = [f.arch for f in find_architectures(net.state_dict())]
    assert {"timm/deit_tiny_patch16_224", "timm/vit_tiny_patch16_224"} <= set(fits)
    with pytest.raises(SeveralArchitectures) as info:
        open_model_file(path, "cpu")
    assert "timm/deit_tiny_patch16_224" in info.value.choices and "--arch" in str(info.value)
    model = open_model_file(path, "cpu", arch="timm/deit_tiny_patch16_224")
    assert model.source.arch == "timm/deit_tiny_patch16_224" and len(model.labels) == 2
    with pytest.raises(ValueError, match="do not fit resnet18"):
        open_model_file(path, "cpu", arch="resnet18")


def test_vit_tokens_are_grids_and_grad_cam_sees_them(user_model_files):
    model = open_model_file(user_model_files["vit"], "cpu")
    assert model.labels == ("ant", "bee", "cat") and model.source.labels_from == "checkpoint 'classes'"
    assert model.layer_names == ["patch_embed.proj"] + [f"blocks.{i}" for i in range(6)]
    x = model.preprocess(model.prepare(PHOTO))
    grid = model.features(x, "blocks.2")
    assert grid.shape == (1, 64, SMALL // 16, SMALL // 16)
    # other input sizes work too (timm's dynamic image size): the grid follows
    assert model.features(torch.zeros(1, 3, 96, 128), "blocks.0").shape == (1, 64, 6, 8)
    assert model.default_layer("cam").layer == "blocks.4"
    cam = grad_cam(model, x, target=1)
    assert cam.shape == (1, SMALL, SMALL) and float(cam.max()) > 0


def test_swin_stages_are_channels_first_grids(tmp_path):
    """A Swin keeps its tokens channels last (N, H, W, C); its stages are shown as (N, C, H, W)."""
    from timm.models.swin_transformer import SwinTransformer

    torch.manual_seed(5)
    net = SwinTransformer(img_size=SMALL, embed_dim=24, depths=(1, 1), num_heads=(1, 2), window_size=4, num_classes=3,
                          dynamic_img_size=True).eval()
    path = tmp_path / "swin.pt"
    torch.save(net, path)   # a custom Swin no catalogue knows: the whole network
    (tmp_path / "swin.json").write_text(json.dumps({"input_size": SMALL}))
    model = open_model_file(path, "cpu", trust_code=True)
    assert model.layer_names == ["patch_embed", "layers.0", "layers.1", "norm"]
    assert model.default_layer("cam").layer == "norm"   # every token reaches the pooled output: the last map
    x = model.preprocess(model.prepare(PHOTO))
    shapes = {name: tuple(model.features(x, name).shape) for name in model.layer_names}
    assert shapes == {"patch_embed": (1, 24, 16, 16), "layers.0": (1, 24, 16, 16), "layers.1": (1, 48, 8, 8),
                      "norm": (1, 48, 8, 8)}   # channels first: (C, H, W), not (H, W, C)
    with torch.no_grad():
        assert torch.allclose(model.logits(x), net(x), atol=1e-5)   # the grids change nothing
    assert float(grad_cam(model, x, 1, layer="layers.1").abs().sum()) > 0


def test_torchvision_swin_stages_are_grids():
    from engine.models.token_grid import expose_nhwc_grids

    net = torchvision.models.swin_t(num_classes=2).eval()
    x = torch.rand(1, 3, SMALL, SMALL)
    with torch.no_grad():
        before = net(x)
    layers = expose_nhwc_grids(net)
    assert list(layers) == [f"features.{i}" for i in range(8)] + ["norm"]
    seen = {}
    for name, module in layers.items():
        module.register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, tuple(out.shape)))
    with torch.no_grad():
        assert torch.allclose(net(x), before)
    assert seen["features.1"] == (1, 96, 16, 16) and seen["norm"] == (1, 768, 2, 2)


def test_grey_model_reads_the_luma(user_model_files):
    model = open_model_file(user_model_files["grey"], "cpu")
    assert model.source.preprocessing.channels == 1 and model.labels == ("normal", "fracture")
    assert torch.allclose(model.mean.flatten(), torch.zeros(3)) and torch.allclose(model.std.flatten(), torch.full((3,), 255.0))
    rgb = torch.rand(1, 3, SMALL, SMALL)
    luma = (0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2])[:, None]
    inner = model.net.net  # GreyInput around the ResNet
    with torch.no_grad():
        assert torch.allclose(model.logits(rgb), inner(luma), atol=1e-5)
    assert model.features(rgb, "layer1.0").shape[1] == 64


@pytest.mark.parametrize("kind", ["onnx", "pt2"])
def test_exported_networks_compute_what_they_were(user_model_files, kind):
    model = open_model_file(user_model_files[kind], "cpu")
    assert model.input_size == SMALL and len(model.labels) == 4
    if kind == "onnx":
        assert model.labels == ("w", "x", "y", "z") and model.source.kind == "ONNX"
    x = torch.randn(3, 3, SMALL, SMALL)  # a batch, though the file was exported for one picture
    with torch.no_grad():
        assert torch.allclose(model.logits(x), small_cnn()(x), atol=1e-4)
    assert len(model.layer_names) >= 3
    cam = grad_cam(model, x[:1], target=0)
    assert cam.shape == (1, SMALL, SMALL) and torch.isfinite(cam).all()


def test_pickled_model_needs_consent(user_model_files, capsys):
    path = user_model_files["pickle"]
    with pytest.raises(CodeRefused, match=r"runs code.*--trust-code.*state_dict\(\)"):
        open_model_file(path, "cpu")
    model = open_model_file(path, "cpu", trust_code=True)
    x = torch.randn(2, 3, SMALL, SMALL)
    with torch.no_grad():
        assert torch.allclose(model.logits(x), small_cnn()(x), atol=1e-5)


def test_load_model_dispatches_files_and_refuses_options_for_names(user_model_files):
    model = load_model(str(user_model_files["resnet"]), "cpu")
    assert model.source is not None and len(model.labels) == 5
    from engine.models import ModelLoadError

    with pytest.raises(ModelLoadError, match="apply to a model file"):
        load_model("efficientnet_lite0", "cpu", arch="resnet18")


def test_onnx_operators_that_cannot_convert_are_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("Relu", ["x"], ["y"])
    odd = helper.make_node("FancyOp", ["y"], ["z"], domain="com.example")
    graph = helper.make_graph([node, odd], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3, 8, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    path = tmp_path / "odd.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ValueError, match=r"cannot be converted.*com\.example\.FancyOp"):
        open_model_file(path, "cpu")


def test_torchscript_and_garbage_are_refused_clearly(tmp_path, user_model_files):
    scripted = torch.jit.script(small_cnn())
    path = tmp_path / "scripted.pt"
    torch.jit.save(scripted, str(path))
    with pytest.raises(ValueError, match="TorchScript"):
        open_model_file(path, "cpu")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a model" * 5)
    with pytest.raises(ValueError, match="junk.pth: is not a PyTorch weight file"):
        open_model_file(junk, "cpu")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(user_model_files["resnet"].read_bytes())
    (tmp_path / "bad.json").write_text('{"input_size": "huge"}')
    with pytest.raises(ValueError, match="bad.json"):
        open_model_file(bad, "cpu")


def test_sidecar_range_is_converted_to_pixel_units(tmp_path, user_model_files):
    path = tmp_path / "r.pth"
    path.write_bytes(user_model_files["resnet"].read_bytes())
    (tmp_path / "r.json").write_text(json.dumps({"range": [-1, 1], "mean": 0, "std": 1, "input_size": 48}))
    model = open_model_file(path, "cpu")
    assert model.input_size == 48
    x = model.preprocess(np.full((48, 48, 3), 255, np.uint8))
    assert math.isclose(float(x.max()), 1.0, abs_tol=1e-6) and math.isclose(float(x.min()), 1.0, abs_tol=1e-6)
