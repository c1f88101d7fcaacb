"""Saliency methods on tiny networks whose gradients are known exactly."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.gradients import (
    SaliencyParams,
    compute_saliency,
    grad_cam,
    integrated_gradients,
    integrated_gradients_map,
    reduce_channels,
    smoothgrad,
    vanilla_saliency,
)

from .gradients_tiny import LABELS, conv_model, linear_model, random_images


def test_vanilla_on_linear_model_is_max_abs_weight():
    model = linear_model(size=4)
    x = model.preprocess(random_images(3, size=4))
    weight = model.net[1].weight.detach().view(5, 3, 4, 4)
    for target in range(5):
        sal = vanilla_saliency(model, x, target)
        expected = weight[target].abs().amax(dim=0)
        assert sal.shape == (3, 4, 4)
        for n in range(3):
            torch.testing.assert_close(sal[n], expected, rtol=0, atol=1e-6)
        summed = vanilla_saliency(model, x, target, reduction="sum")
        torch.testing.assert_close(summed[0], weight[target].abs().sum(dim=0), rtol=0, atol=1e-6)


def test_vanilla_default_target_is_the_predicted_class():
    model = linear_model(size=4, seed=3)
    x = model.preprocess(random_images(4, size=4, seed=5))
    predicted = model.logits(x).argmax(dim=1)
    weight = model.net[1].weight.detach().view(5, 3, 4, 4)
    sal = vanilla_saliency(model, x)
    for n in range(4):
        torch.testing.assert_close(sal[n], weight[predicted[n]].abs().amax(dim=0))
    from engine.gradients._common import resolve_targets

    for batch_size in (0, 1, 3):   # 0: the device's batch size (AUTO_BATCH)
        assert torch.equal(resolve_targets(model, x, None, batch_size=batch_size), predicted)


def test_batched_equals_one_image_at_a_time():
    model = conv_model()
    x = model.preprocess(random_images(5, seed=1))
    targets = [0, 3, 1, 4, 2]
    together = vanilla_saliency(model, x, targets, batch_size=2)
    for n in range(5):
        alone = vanilla_saliency(model, x[n : n + 1], targets[n])
        torch.testing.assert_close(together[n], alone[0], rtol=1e-5, atol=1e-7)
    assert together.abs().sum() > 0


def test_inputs_and_parameter_flags_are_left_as_they_were():
    model = conv_model()
    x = model.preprocess(random_images(2, seed=2))
    before = x.clone()
    model.net.fc.weight.requires_grad_(True)  # a caller's own flag must survive
    for params in (SaliencyParams("vanilla"), SaliencyParams("smoothgrad", samples=3),
                   SaliencyParams("integrated-gradients", steps=4), SaliencyParams("gradcam", layer="act1")):
        compute_saliency(model, x, 1, params)
    assert not x.requires_grad and torch.equal(x, before)
    assert model.net.fc.weight.requires_grad and model.net.fc.weight.grad is None
    assert not model.net.conv1.weight.requires_grad
    model.net.fc.weight.requires_grad_(False)


def test_works_inside_no_grad():
    model = conv_model()
    x = model.preprocess(random_images(1))
    with torch.no_grad():
        sal = vanilla_saliency(model, x, 2)
    assert sal.abs().sum() > 0


def test_reduce_channels():
    v = torch.tensor([[[[1.0]], [[-3.0]], [[2.0]]]])
    assert reduce_channels(v, "max").item() == 3.0
    assert reduce_channels(v, "sum").item() == 6.0
    assert reduce_channels(v).item() == 3.0   # max_c |v| by default (Simonyan et al. 2014, 3.1)
    with pytest.raises(ValueError, match=r"^unknown channel reduction 'mean'; choose one of max, sum$"):
        reduce_channels(v, "mean")


def test_blur_sigma_is_four_percent_of_the_shorter_side():
    from engine.gradients._common import blur_sigma

    assert blur_sigma(torch.zeros(1, 3, 50, 100)) == pytest.approx(2.0)
    assert blur_sigma(torch.zeros(2, 3, 224, 224)) == pytest.approx(8.96)
    assert blur_sigma(torch.zeros(3, 25, 100)) == pytest.approx(1.0)   # one image, no batch axis


def test_smoothgrad_equals_vanilla_when_the_gradient_is_constant():
    model = linear_model(size=4)
    x = model.preprocess(random_images(2, size=4))
    torch.testing.assert_close(smoothgrad(model, x, 2, samples=7, noise=0.3, batch_size=3),
                               vanilla_saliency(model, x, 2))


def test_smoothgrad_noise_zero_is_vanilla_and_noise_changes_it():
    model = conv_model()
    x = model.preprocess(random_images(2, seed=4))
    vanilla = vanilla_saliency(model, x, 1)
    torch.testing.assert_close(smoothgrad(model, x, 1, samples=3, noise=0.0), vanilla)
    noisy = smoothgrad(model, x, 1, samples=6, noise=0.2, batch_size=4, seed=1)
    again = smoothgrad(model, x, 1, samples=6, noise=0.2, batch_size=4, seed=1)
    other = smoothgrad(model, x, 1, samples=6, noise=0.2, batch_size=4, seed=2)
    assert torch.equal(noisy, again)
    assert not torch.allclose(noisy, other)
    assert not torch.allclose(noisy, vanilla)


class HalfSquares(torch.nn.Module):
    """Class ``k < 3``: ``0.5 * sum(x[:, k] ** 2)``, so its input gradient is channel ``k`` of ``x``."""

    def forward(self, x):
        per_channel = 0.5 * (x * x).sum(dim=(2, 3))
        return torch.cat([per_channel, torch.zeros_like(per_channel[:, :2])], dim=1)


def test_smoothgrad_noise_is_the_fraction_of_each_channels_input_range():
    """At the normalised zero the map of class ``k`` is the mean of ``|e_k|``, ``e_k ~ N(0, s_k^2)``:
    ``sqrt(2/pi) s_k`` with ``s_k = noise * 255 / std_k``, the channel's input range (per channel)."""
    from engine.models import Classifier

    std = (32.0, 64.0, 128.0)
    model = Classifier(name="half-squares", net=HalfSquares(), labels=LABELS, mean=(127.0,) * 3, std=std,
                       layers={}, device=torch.device("cpu"), input_size=8)
    x = torch.zeros(1, 3, 8, 8)
    for noise in (0.1, 0.3):
        for k in range(3):
            sal = smoothgrad(model, x, k, samples=256, noise=noise, reduction="sum", batch_size=64, seed=k)
            expected = math.sqrt(2 / math.pi) * noise * 255 / std[k]
            assert float(sal.mean()) == pytest.approx(expected, rel=0.03), (noise, k)


def test_smoothgrad_rng_is_private():
    model = conv_model()
    x = model.preprocess(random_images(1))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    smoothgrad(model, x, 0, samples=4)
    assert torch.equal(torch.rand(3), expected)


def test_integrated_gradients_on_linear_model_is_exact():
    model = linear_model(size=4)
    x = model.preprocess(random_images(2, size=4))
    weight = model.net[1].weight.detach().view(5, 3, 4, 4)
    lo, _ = model.input_range
    attributions = integrated_gradients(model, x, 3, steps=1)
    torch.testing.assert_close(attributions, (x - lo) * weight[3], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("baseline", ["black", "blurred"])
def test_integrated_gradients_completeness(baseline):
    """sum_i IG_i = S(x) - S(x') (Sundararajan et al. 2017, Prop. 1) on a
    smooth network, to within the midpoint rule's error."""
    model = conv_model(act=nn.Softplus)
    x = model.preprocess(random_images(2, size=48, seed=7))  # large enough for the blur to matter
    from engine.gradients.integrated import make_baseline

    base = make_baseline(model, x, baseline)
    with torch.no_grad():
        gap = model.logits(x)[:, 4] - model.logits(base)[:, 4]
    coarse = integrated_gradients(model, x, 4, baseline=baseline, steps=2).sum(dim=(1, 2, 3))
    fine = integrated_gradients(model, x, 4, baseline=baseline, steps=128, batch_size=32).sum(dim=(1, 2, 3))
    assert gap.abs().min() > 1e-3
    torch.testing.assert_close(fine, gap, rtol=1e-3, atol=1e-5)
    assert (fine - gap).abs().max() < (coarse - gap).abs().max()


def test_integrated_gradients_map_and_tensor_baseline():
    model = conv_model()
    x = model.preprocess(random_images(1, seed=8))
    m = integrated_gradients_map(model, x, 0, baseline=torch.zeros(3, 8, 8), steps=8)
    assert m.shape == (1, 8, 8) and (m >= 0).all() and m.sum() > 0
    with pytest.raises(ValueError, match="baseline"):
        integrated_gradients(model, x, 0, baseline="white")
    with pytest.raises(ValueError, match="does not match"):
        integrated_gradients(model, x, 0, baseline=torch.zeros(3, 4, 4))


def test_integrated_gradients_defaults_reductions_and_tensor_baselines():
    """Default: 50 steps from the black baseline; the map's ``sum`` reduction is sum_c |IG|; a
    tensor baseline is one picture for every image (C,H,W) or one per image (N,C,H,W), in x's dtype."""
    from engine.gradients.integrated import make_baseline

    model = conv_model(act=nn.Softplus)
    x = model.preprocess(random_images(2, seed=9))
    assert torch.equal(integrated_gradients(model, x, 1), integrated_gradients(model, x, 1, steps=50, baseline="black"))
    ig = integrated_gradients(model, x, 1, steps=3)
    torch.testing.assert_close(integrated_gradients_map(model, x, 1, steps=3, reduction="sum"), ig.abs().sum(dim=1))
    per_image = torch.stack([torch.zeros(3, 8, 8), torch.full((3, 8, 8), 0.5)])
    assert torch.equal(make_baseline(model, x, per_image), per_image)
    shared = make_baseline(model, x.double(), torch.full((3, 8, 8), 0.25))
    assert shared.dtype == torch.float64 and shared.shape == (2, 3, 8, 8) and bool((shared == 0.25).all())
    with pytest.raises(ValueError, match=r"^unknown baseline 'white'; choose one of black, blurred$"):
        make_baseline(model, x, "white")


def test_grad_cam_equals_class_activation_map():
    """For act2 -> global average -> linear, dS_c/dA^k_ij = w_ck / (h w), so
    Grad-CAM = ReLU(sum_k w_ck A^k) / (h w) (CAM of Zhou et al. 2016)."""
    model = conv_model()
    x = model.preprocess(random_images(3, seed=9))
    acts = model.features(x, "act2")
    w = model.net.fc.weight.detach()
    for c in range(5):
        expected = F.relu(torch.einsum("k,nkhw->nhw", w[c], acts)) / 64
        torch.testing.assert_close(grad_cam(model, x, c, layer="act2"), expected, rtol=1e-5, atol=1e-7)


def test_grad_cam_upsamples_and_checks_layer():
    model = conv_model(stride=2)
    x = model.preprocess(random_images(2))
    cam = grad_cam(model, x, None, layer="act1")
    assert cam.shape == (2, 8, 8) and (cam >= 0).all()
    assert grad_cam(model, x).shape == (2, 8, 8)  # default: last named layer
    with pytest.raises(ValueError, match="no layer"):
        grad_cam(model, x, 0, layer="nope")


def test_bad_inputs_are_refused_with_clear_messages():
    model = conv_model()
    x = model.preprocess(random_images(2))
    with pytest.raises(ValueError, match="out of range"):
        vanilla_saliency(model, x, 5)
    with pytest.raises(ValueError, match="2 images"):
        vanilla_saliency(model, x, [1, 2, 3])
    with pytest.raises(ValueError, match="NaN"):
        vanilla_saliency(model, x * float("nan"), 1)
    with pytest.raises(ValueError, match="shape"):
        vanilla_saliency(model, torch.zeros(1, 1, 8, 8), 1)
    with pytest.raises(ValueError, match="samples"):
        smoothgrad(model, x, 1, samples=0)
    with pytest.raises(ValueError, match="noise"):
        smoothgrad(model, x, 1, noise=float("inf"))
    for steps in (-3, 0, True, 2.5, "4"):
        with pytest.raises(ValueError, match=rf"^steps must be a positive integer, got {steps!r}$"):
            integrated_gradients(model, x, 1, steps=steps)
    with pytest.raises(ValueError, match="batch_size"):
        vanilla_saliency(model, x, 1, batch_size=-1)


def test_describe_keeps_the_parameters_of_the_method():
    assert set(SaliencyParams("smoothgrad").describe()) == {"method", "batch_size", "reduction", "samples", "noise", "seed"}
    assert SaliencyParams("gradcam", layer="head").describe()["layer"] == "head"
    assert "steps" not in SaliencyParams("vanilla").describe()


def test_compute_saliency_runs_each_method_with_all_of_its_parameters():
    from engine.jobs import Cancelled, Control

    model = conv_model(act=nn.Tanh, seed=2)
    x = model.preprocess(random_images(2, seed=7))
    predicted = model.logits(x).argmax(dim=1).tolist()
    target = next(c for c in range(5) if c not in predicted)  # not what the network sees: None would differ
    cases = [
        (SaliencyParams("vanilla", reduction="sum", batch_size=1), vanilla_saliency(model, x, target, reduction="sum")),
        (SaliencyParams("smoothgrad", reduction="sum", samples=3, noise=0.3, seed=5, batch_size=2),
         smoothgrad(model, x, target, samples=3, noise=0.3, reduction="sum", seed=5)),
        (SaliencyParams("integrated-gradients", reduction="sum", steps=4, baseline="blurred", batch_size=3),
         integrated_gradients_map(model, x, target, baseline="blurred", steps=4, reduction="sum")),
        (SaliencyParams("gradcam", layer="act1", batch_size=1), grad_cam(model, x, target, layer="act1")),
    ]
    for params, expected in cases:
        torch.testing.assert_close(compute_saliency(model, x, target, params), expected)
        assert not torch.allclose(compute_saliency(model, x, None, params), expected), params.method
    stopped = Control(SaliencyParams())
    stopped.cancel()
    for params, _ in cases[1:3]:  # SmoothGrad and Integrated Gradients stop between batches
        with pytest.raises(Cancelled):
            compute_saliency(model, x, target, params, control=stopped)


def test_saliency_params_describe_only_what_the_method_uses():
    common = {"method", "batch_size"}
    expected = {"vanilla": common | {"reduction"},
                "smoothgrad": common | {"reduction", "samples", "noise", "seed"},
                "integrated-gradients": common | {"reduction", "steps", "baseline"},
                "gradcam": common | {"layer"}}
    for method, keys in expected.items():
        described = SaliencyParams(method, steps=7, samples=9).describe()
        assert set(described) == keys, method
        assert all(described[k] == getattr(SaliencyParams(method, steps=7, samples=9), k) for k in keys)


def test_grad_cam_is_the_class_activation_map_upsampled_in_uneven_batches():
    """Stride 2: the 4x4 CAM of act2 upsampled bilinearly (half-pixel centres) to 8x8, the same
    for 5 images in batches of 2 as one at a time; the default layer is the last named one."""
    from .gradients_tiny import ConvNet, wrap

    model = conv_model(stride=2, seed=4)
    x = model.preprocess(random_images(5, seed=11))
    acts = model.features(x, "act2")
    w = model.net.fc.weight.detach()
    for c in (0, 3):
        small = F.relu(torch.einsum("k,nkhw->nhw", w[c], acts)) / acts[0, 0].numel()
        expected = F.interpolate(small[:, None], size=(8, 8), mode="bilinear", align_corners=False)[:, 0]
        torch.testing.assert_close(grad_cam(model, x, c, layer="act2", batch_size=2), expected, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(grad_cam(model, x, c, batch_size=2), expected, rtol=1e-5, atol=1e-7)
    net = ConvNet()
    flat = wrap(net, {"fc": net.fc})
    with pytest.raises(ValueError, match=r"^layer 'fc' does not output a \(N,K,h,w\) feature map$"):
        grad_cam(flat, flat.preprocess(random_images(1)), 0, layer="fc")


def test_grad_cam_defaults_to_the_models_own_choice_else_the_last_layer():
    from engine.models import Classifier
    from engine.models.layer_choice import LayerDefault

    from .gradients_tiny import LABELS, ConvNet

    def tiny(defaults=None):
        torch.manual_seed(0)
        net = ConvNet()
        return Classifier(name="tiny", net=net, labels=LABELS, mean=(127.0,) * 3, std=(128.0,) * 3,
                          layers={"conv1": net.conv1, "act1": net.act1, "act2": net.act2}, device=torch.device("cpu"),
                          input_size=8, layer_defaults=defaults)

    model, chosen = tiny(), tiny({"cam": LayerDefault("act1", "the model says so")})
    x = model.preprocess(random_images(2, seed=3))
    torch.testing.assert_close(grad_cam(model, x, 1), grad_cam(model, x, 1, layer="act2"))
    torch.testing.assert_close(grad_cam(chosen, x, 1), grad_cam(chosen, x, 1, layer="act1"))
    assert not torch.allclose(grad_cam(model, x, 1), grad_cam(model, x, 1, layer="act1"))


class TwiceReLU(nn.Module):
    """One ReLU module run twice in a forward pass: Grad-CAM cannot say which output to use."""

    def __init__(self):
        super().__init__()
        self.conv, self.act, self.fc = nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Linear(4, 5)

    def forward(self, x):
        return self.fc(self.act(self.act(self.conv(x))).mean(dim=(2, 3)))


def test_grad_cam_refuses_a_layer_that_runs_twice():
    from .gradients_tiny import wrap

    net = TwiceReLU()
    model = wrap(net, {"act": net.act})
    with pytest.raises(ValueError, match=r"^layer 'act' ran 2 times in one forward pass; Grad-CAM needs exactly one$"):
        grad_cam(model, model.preprocess(random_images(1)), 0, layer="act")
