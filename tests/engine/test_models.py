"""The bundled EfficientNet-Lite0 (and Lite1, Lite2): strict loading, the
published behaviour, named layers, truncated forward passes and the registry."""

import numpy as np
import pytest
import torch

from engine.models import ModelLoadError, class_index, imagenet_labels, list_models, load_model
from engine.models.efficientnet_lite import EfficientNetLite0, SameConv2d
from engine.models.registry import BUNDLED, _bundled_path, _lite0_path

LITES = ("efficientnet_lite1", "efficientnet_lite2")


@pytest.fixture(scope="module", params=LITES)
def lite(request):
    return load_model(request.param, device="cpu")


def test_state_dict_matches_every_key():
    sd = torch.load(_lite0_path(), map_location="cpu", weights_only=True)
    result = EfficientNetLite0().load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert len(sd) == 296


@pytest.mark.parametrize("name, size, blocks", [("efficientnet_lite1", 240, 21), ("efficientnet_lite2", 260, 21)])
def test_lite1_and_lite2_load_strictly_with_their_own_view(name, size, blocks):
    from engine.models.efficientnet_lite import EfficientNetLite

    sd = torch.load(_bundled_path(name), map_location="cpu", weights_only=True)
    result = EfficientNetLite(BUNDLED[name].stages).load_state_dict(sd, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert len({k.split(".")[1] for k in sd if k.startswith("_blocks.")}) == blocks
    model = load_model(name, device="cpu")
    assert model.input_size == size and model.crop_fraction == pytest.approx(size / (size + 32))
    assert model.layer_names[1:-1] == [f"blocks.{i}" for i in range(blocks)]
    assert model.prepare(np.zeros((300, 400, 3), np.uint8)).shape == (size, size, 3)
    assert f"{size} px" in model.description


def test_same_padding_matches_tensorflow_output_sizes():
    conv = SameConv2d(1, 1, 3, stride=2, bias=False)
    for size in (224, 225, 7, 1):
        out = conv(torch.zeros(1, 1, size, size))
        assert out.shape[-1] == -(-size // 2)  # ceil(size / stride)
    # TF puts the odd padding pixel at the bottom/right: with an all-ones
    # 3x3 kernel on a 4x4 ones image, stride 2, the first output sees a
    # 2x2 window (padding 0 top/left) and the last one a 2x2 window too.
    conv.weight.data.fill_(1.0)
    out = conv(torch.ones(1, 1, 4, 4))
    assert out[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]


def test_model_is_frozen_eval_and_normalizes_as_published(lite0):
    assert not lite0.net.training
    assert all(not p.requires_grad for p in lite0.net.parameters())
    x = lite0.preprocess(np.full((4, 4, 3), 255, np.uint8))
    assert torch.allclose(x, torch.full_like(x, (255 - 127) / 128))
    lo, hi = lite0.input_range
    assert torch.allclose(lo, torch.full_like(lo, -127 / 128))
    img = (np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5)
    assert np.array_equal(lite0.deprocess(lite0.preprocess(img)), img)


@pytest.mark.parametrize("name, expected", [
    ("chelsea.png", {"tabby", "tiger cat", "Egyptian cat"}),
    ("coffee.png", {"espresso", "cup"}),
])
def test_classifies_real_photos(lite0, photo, name, expected):
    top = lite0.classify(photo(name), top=5)
    assert top[0].label in expected
    assert abs(sum(p.prob for p in lite0.classify(photo(name), top=1000)) - 1.0) < 1e-4
    assert [p.prob for p in top] == sorted((p.prob for p in top), reverse=True)


@pytest.mark.parametrize("name, expected", [
    ("chelsea.png", {"tabby", "tiger cat", "Egyptian cat"}),
    ("coffee.png", {"espresso", "cup"}),
])
def test_lite1_and_lite2_classify_real_photos(lite, photo, name, expected):
    top = lite.classify(photo(name), top=5)
    assert top[0].label in expected, (lite.name, top[0])


def test_layers_in_network_order_and_truncated_forward(lite0):
    names = lite0.layer_names
    assert names[0] == "stem" and names[-1] == "head" and names[1:-1] == [f"blocks.{i}" for i in range(16)]
    x = lite0.preprocess(np.zeros((224, 224, 3), np.uint8))
    assert lite0.features(x, "stem").shape == (1, 32, 112, 112)
    assert lite0.features(x, "blocks.15").shape == (1, 320, 7, 7)
    feats = lite0.features_at(x, ["blocks.2", "head"])
    assert feats["head"].shape == (1, 1280, 7, 7)
    assert lite0.embed(x).shape == (1, 1280)
    # truncated pass: the classifier never runs when stopping at block 3
    calls = []
    h = lite0.net._fc.register_forward_hook(lambda *a: calls.append(1))
    try:
        lite0.features(x, "blocks.3")
        assert not calls
        lite0.logits(x)
        assert calls
    finally:
        h.remove()
    with pytest.raises(ValueError, match="no layer"):
        lite0.features(x, "blocks.99")


def test_features_keep_gradients(lite0):
    x = lite0.preprocess(np.full((64, 64, 3), 100, np.uint8)).requires_grad_(True)
    lite0.features(x, "blocks.4").pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_labels_and_class_specs():
    labels = imagenet_labels()
    assert len(labels) == 1000 and labels[281] == "tabby"
    assert class_index("Tabby", labels) == 281
    assert class_index(" 281 ", labels) == 281
    assert class_index("great white shark", labels) == 2
    assert class_index("great_white_shark", labels) == 2
    with pytest.raises(ValueError, match="out of range"):
        class_index(1000, labels)
    with pytest.raises(ValueError, match="unknown class"):
        class_index("definitely not a class", labels)
    with pytest.raises(ValueError, match="did you mean"):
        class_index("tarantla", labels)


def test_a_typed_class_resolves_to_one_class_or_says_why():
    """One rule for the CLI and every chooser: index, the chooser's own
    "name (index)" text, whole name, unique start of a name or of a word."""
    from engine.models.labels import class_choice_text, class_matches

    labels = imagenet_labels()
    for text in ("76", "Tarantula", "taran", "tarantula (76)", " TARANTULA (76) "):
        assert class_index(text, labels) == 76, text
    assert class_index("white shark", labels) == 2 and class_index("egyptian", labels) == 285
    assert class_choice_text(76, labels) == "tarantula (76)"
    unnamed = [f"class {i}" for i in range(12)]   # a model whose files name no classes
    assert class_choice_text(1, unnamed) == "class 1" and class_index("class 1", unnamed) == 1
    assert class_matches("tarantula (77)", labels) == []  # name and index disagree: neither is guessed
    assert len(class_matches("cat", labels)) > 1 and class_matches("zzz", labels) == []
    with pytest.raises(ValueError, match=r"'retriever' matches 5 classes: .*golden retriever \(207\)"):
        class_index("retriever", labels)
    with pytest.raises(ValueError, match="matches"):
        class_index("cat", labels)
    with pytest.raises(ValueError, match="unknown class 'nan'"):
        class_index("nan", labels)  # a part inside a word ("ba-nan-a") is not a match


def test_registry_lists_bundled_model_and_local_torchvision_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert [m.name for m in list_models()] == ["efficientnet_lite0", *LITES]
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    import torchvision

    net = torchvision.models.squeezenet1_1(weights=None)
    torch.save(net.state_dict(), folder / "squeezenet1_1-b8a52dc0.pth")
    names = [m.name for m in list_models()]
    assert names == ["efficientnet_lite0", *LITES, "squeezenet1_1"]
    model = load_model("squeezenet1_1", device="cpu")
    assert model.layer_names[0] == "features.0" and len(model.labels) == 1000
    x = model.preprocess(np.zeros((64, 64, 3), np.uint8))
    assert model.logits(x).shape == (1, 1000)
    assert model.embed(x).shape == (1, 512)


def test_bad_weight_files_are_refused_clearly(tmp_path):
    with pytest.raises(ModelLoadError, match="unknown model"):
        load_model("no_such_net", device="cpu")
    with pytest.raises(ModelLoadError, match="no weight file"):
        load_model("vgg16", device="cpu")
    corrupt = tmp_path / "resnet18-f37072fd.pth"
    corrupt.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelLoadError, match="cannot read weight file"):
        load_model(str(corrupt), device="cpu")

    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "resnet18-evil.pth"
    torch.save({"x": Payload()}, evil)
    with pytest.raises(ModelLoadError, match="cannot read weight file"):
        load_model(str(evil), device="cpu")
    wrong = tmp_path / "resnet18-wrong.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, wrong)
    with pytest.raises(ModelLoadError, match="does not match"):
        load_model(str(wrong), device="cpu")


def test_truncated_passes_do_not_disturb_other_threads(lite0):
    """The hooks of ``features``/``embed`` belong to the thread that set them:
    a full forward pass running at the same time in another thread is untouched."""
    import threading

    x = lite0.preprocess(np.full((96, 96, 3), 90, np.uint8))
    with torch.no_grad():
        expected = lite0.logits(x)
    errors, stop = [], threading.Event()

    def full_passes():
        while not stop.is_set():
            try:
                with torch.no_grad():
                    assert torch.allclose(lite0.logits(x), expected, atol=1e-4)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    worker = threading.Thread(target=full_passes)
    worker.start()
    try:
        for _ in range(30):
            with torch.no_grad():
                lite0.features(x, "blocks.1")
                lite0.embed(x)
    finally:
        stop.set()
        worker.join()
    assert not errors, errors[0]


# A small label list where every rule of class_matches/class_index can be seen at its edges.
SMALL = ("tench", "goldfish", "great white shark", "tiger shark", "Tiger-Cat", "crane", "crane", "tarantula",
         "hammerhead_shark", "nurse shark", "whale shark", "basking shark")


def test_class_matches_takes_indices_in_range_only():
    from engine.models.labels import class_matches

    last = len(SMALL) - 1
    assert class_matches(0, SMALL) == [0] and class_matches(last, SMALL) == [last]
    assert class_matches(len(SMALL), SMALL) == [] and class_matches(-1, SMALL) == []
    assert class_matches("0", SMALL) == [0] and class_matches(" 11 ", SMALL) == [11] and class_matches("12", SMALL) == []
    assert class_matches(True, SMALL) == [] and class_matches(False, SMALL) == []
    assert class_matches("tarantula (7)", SMALL) == [7] and class_matches("tarantula (12)", SMALL) == []


def test_names_are_read_with_dashes_and_underscores_as_spaces_in_any_case():
    from engine.models.labels import class_matches

    for text in ("tiger cat", "TIGER_CAT", "tiger-cat", "  Tiger  Cat "):
        assert class_matches(text, SMALL) == [4], text
    assert class_matches("hammerhead shark", SMALL) == [8] and class_matches("crane", SMALL) == [5, 6]
    assert class_matches("tiger", SMALL) == [3, 4]                     # the start of two names
    assert class_matches("ula", SMALL) == [] and class_matches("iger", SMALL) == []   # inside a word: no


def test_class_index_says_exactly_why_a_text_is_refused():
    from engine.models.labels import class_index

    assert class_index(0, SMALL) == 0 and class_index("0", SMALL) == 0 and class_index(11, SMALL) == 11
    refusals = {
        True: "not a class: True",
        -3: "class index -3 is out of range 0..11",
        "-3": "class index -3 is out of range 0..11",
        12: "class index 12 is out of range 0..11",
        "  ": "empty class name",
        "_": "empty class name",
        "crane": "'crane' matches 2 classes: crane (5), crane (6); type more of the name or the index",
        "shark": "'shark' matches 6 classes: great white shark (2), tiger shark (3), hammerhead_shark (8), "
                 "nurse shark (9), whale shark (10) and 1 more; type more of the name or the index",
        "tarantla": "unknown class 'tarantla'; did you mean 'tarantula'?",
        "zzzz": "unknown class 'zzzz'",
        "X5": "unknown class 'X5'",                      # only a leading minus makes a number of it
    }
    for spec, message in refusals.items():
        with pytest.raises(ValueError) as caught:
            class_index(spec, SMALL)
        assert str(caught.value) == message, spec


def test_ambiguity_and_hints_list_five_candidates_and_three_spellings():
    from engine.models.labels import class_index

    five = ("a shark", "b shark", "c shark", "d shark", "e shark")
    with pytest.raises(ValueError) as caught:
        class_index("shark", five)
    assert str(caught.value) == ("'shark' matches 5 classes: a shark (0), b shark (1), c shark (2), d shark (3), "
                                 "e shark (4); type more of the name or the index")
    with pytest.raises(ValueError) as caught:
        class_index("shark x", ("shark a", "shark b", "shark c", "shark d"))
    assert str(caught.value) == "unknown class 'shark x'; did you mean 'shark d', 'shark c', 'shark b'?"
