"""Import of caption JSON files (COCO, Karpathy, simple list) with an image
folder: vocabulary, splits, skipped images, clear errors, the cache."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from engine.captioning.data import DatasetError, dataset_job, load_annotations, parse_captions_json, split_names
from engine.captioning.data.vocab import decode_captions
from engine.jobs import Control, run_to_end

COLORS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 60)}


def make_folder(tmp_path, n=9):
    """n small PNGs (red/blue/green squares), one corrupt file and a COCO JSON
    naming them plus a missing file; explicit splits."""
    folder = tmp_path / "photos"
    folder.mkdir()
    images, anns = [], []
    names = list(COLORS)
    for i in range(n):
        color = names[i % 3]
        im = Image.new("RGB", (60, 50), (240, 240, 240))
        im.paste(COLORS[color], (10, 10, 50, 40))
        im.save(folder / f"img{i}.png")
        images.append({"id": 100 + i, "file_name": f"img{i}.png"})
        anns += [{"image_id": 100 + i, "caption": f"A {color} square."},
                 {"image_id": 100 + i, "caption": f"a {color} box on white, {'rare' if i == 0 else 'plain'}"}]
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    images += [{"id": 1, "file_name": "broken.png"}, {"id": 2, "file_name": "missing.jpg"}]
    anns += [{"image_id": 1, "caption": "a broken picture"}, {"image_id": 2, "caption": "a missing picture"}]
    (folder / "captions.json").write_text(json.dumps({"images": images, "annotations": anns}))
    return folder


class CnnLoaded(Exception):
    pass


def never():
    raise CnnLoaded


def test_coco_json_with_unreadable_images_skipped_and_listed(tmp_path, lite0, cache_home):
    folder = make_folder(tmp_path)
    frames = []
    _, data = run_to_end(dataset_job(folder / "captions.json", lite0, Control(emit_every=1), min_count=2,
                                     max_length=4, val_fraction=0.2, test_fraction=0.2, batch_size=4),
                         frames.append)
    assert frames[-1].step == frames[-1].total == 11 and frames[-1].info.skipped == 2
    problems = " | ".join(data["problems"])
    assert len(data["problems"]) == 2 and "broken.png" in problems and "missing.jpg: no such file" in problems
    n = {s: data[f"{s}_features"].shape[0] for s in split_names(data)}
    assert sum(n.values()) == 9 and n["train"] >= 1
    assert all(data[f"{s}_features"].shape[1] == 1280 for s in n)
    assert "rare" not in data["word_to_idx"] and "plain" in data["word_to_idx"]       # min_count 2
    texts = decode_captions(data["train_captions"], data["idx_to_word"])
    assert set(texts) <= {f"a {c} {w}" for c in COLORS for w in ("square", "box on")}   # cut at 4 words
    for s in n:
        assert len(data[f"{s}_urls"]) == n[s] and data[f"{s}_captions"].shape[0] == 2 * n[s]
        for i, url in enumerate(data[f"{s}_urls"]):
            color = ["red", "blue", "green"][int(url.split("img")[1].split(".")[0]) % 3]
            rows = np.nonzero(data[f"{s}_image_idxs"] == i)[0]
            assert all(color in t for t in decode_captions(data[f"{s}_captions"][rows], data["idx_to_word"]))
    assert data["train_images"][0].shape == (50, 60, 3)
    assert data["feature_spec"]["layers"] == ["embed"] and data["cnn"] == "efficientnet_lite0"
    # second time: from the cache, the CNN is not needed, the same problems are listed
    again = load_annotations(never, folder / "captions.json", min_count=2, max_length=4, val_fraction=0.2,
                             test_fraction=0.2)
    np.testing.assert_array_equal(again["train_features"], data["train_features"])
    assert again["problems"] == data["problems"]
    # touching an image invalidates the cache
    Image.new("RGB", (60, 50), (1, 2, 3)).save(folder / "img4.png")
    with pytest.raises(CnnLoaded):
        load_annotations(never, folder / "captions.json")


def test_list_and_karpathy_forms_with_splits(tmp_path, lite0):
    folder = make_folder(tmp_path, n=4)
    items = [{"image": f"img{i}.png", "captions": [f"picture {i}"], "split": ["train", "train", "val", "test"][i]}
             for i in range(4)]
    (folder / "list.json").write_text(json.dumps(items))
    data = load_annotations(lite0, folder / "list.json")
    assert {s: len(data[f"{s}_urls"]) for s in ("train", "val", "test")} == {"train": 2, "val": 1, "test": 1}
    assert data["problems"] == []
    assert "3" not in data["word_to_idx"]            # the test caption's word is not in the training vocabulary
    assert decode_captions(data["test_captions"], data["idx_to_word"]) == ["picture <UNK>"]
    karpathy = {"images": [{"filename": f"img{i}.png", "split": "restval" if i else "val",
                            "sentences": [{"raw": "A thing."}, {"tokens": ["a", "shape"]}]} for i in range(4)]}
    assert parse_captions_json(_write(folder / "k.json", karpathy))[0] == ("img0.png", ["A thing.", "a shape"], "val")


def _write(path, obj):
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


@pytest.mark.parametrize("content, message", [
    ('{"images": [', "not valid JSON \\(line 1"),
    ({"images": [{"id": 1}], "annotations": []}, "images\\[0\\] needs 'id' and 'file_name'"),
    ({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 7, "caption": "x"}]}, "image id 7"),
    ({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "caption": 3}]}, "must be text"),
    ([{"image": "a.png"}], "item 0 needs 'image' and 'captions'"),
    ([{"image": "a.png", "captions": "x", "split": "dev"}], "unknown split 'dev'"),
    ([], "lists no images"),
    ({"foo": 1}, "expected COCO captions"),
])
def test_malformed_json_gives_a_clear_error(tmp_path, content, message):
    with pytest.raises(DatasetError, match=message):
        parse_captions_json(_write(tmp_path / "c.json", content))


def test_missing_file_folder_and_no_readable_image(tmp_path, lite0):
    with pytest.raises(DatasetError, match="no such file"):
        parse_captions_json(tmp_path / "none.json")
    path = _write(tmp_path / "c.json", [{"image": "gone.png", "captions": ["a b"]}])
    with pytest.raises(DatasetError, match="image folder does not exist"):
        load_annotations(lite0, path, images_dir=tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="no readable training image"):
        load_annotations(lite0, path)
    with pytest.raises(DatasetError, match="no such dataset"):
        run_to_end(dataset_job(tmp_path / "x.txt", lite0))
