"""AZ-NAS's expressivity, progressivity and trainability (swap_engine.proxies.az): by hand on blocks without
weights (the proxy's Kaiming re-initialisation leaves them alone), hygiene, and the atlas's one-pass job."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from swap_engine import atlas, proxies, spaces
from swap_engine.proxies import az
from swap_engine.studies import recipe_study as recipe
from tests.test_proxies import assert_unchanged, snapshot

NB201_BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"


class Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


class Chain(nn.Module):
    """A stem and cells, the shape the proxy reads; `head` turns the last block into class scores."""

    def __init__(self, stem: nn.Module, *cells: nn.Module) -> None:
        super().__init__()
        self.stem = stem
        self.cells = nn.ModuleList(cells)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.head(x)


class OneCell(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cells = nn.ModuleList([nn.Conv2d(3, 4, 1)])

    def forward(self, x):
        return self.cells[0](x).mean((2, 3))


def entropy_by_hand(feature: np.ndarray) -> float:
    observations = feature.transpose(0, 2, 3, 1).reshape(-1, feature.shape[1])
    eigenvalues = np.clip(np.linalg.eigvalsh(np.cov(observations, rowvar=False, bias=True)), 0, None)
    share = eigenvalues / eigenvalues.sum()
    return float(-(share * np.log(share + 1e-8)).sum())


@pytest.fixture
def images():
    return torch.randn(4, 3, 6, 6, generator=torch.Generator().manual_seed(0))


def test_expressivity_and_progressivity_by_hand(images):
    # Features x and 3x: the entropy ignores scale, so the two blocks are equally expressive.
    values = az.components(Chain(Scale(1.0), Scale(3.0)), images, seed=5)
    expected = entropy_by_hand(images.double().numpy())
    assert values["az_expressivity"] == pytest.approx(2 * expected, rel=1e-9)
    assert values["az_progressivity"] == pytest.approx(0.0, abs=1e-9)


def test_trainability_by_hand(images):
    # One block, y = 3x: g_in = 3 g, so the cross-covariance is 3 G'G / N for the proxy's random signs G.
    values = az.components(Chain(Scale(1.0), Scale(3.0)), images, seed=5)
    with torch.random.fork_rng():
        torch.manual_seed(5)  # the proxy's first draw (no Conv or Linear weight to re-initialise before it)
        signs = (torch.randint(0, 2, images.shape) * 2 - 1).double()
    g = signs.permute(0, 2, 3, 1).reshape(-1, 3).numpy()
    top = np.linalg.svd(3 * g.T @ g / g.shape[0], compute_uv=False).max()
    assert values["az_trainability"] == pytest.approx(2 - top - 1 / (top + 1e-6), rel=1e-6)


def test_an_identity_block_makes_trainability_minus_inf_and_dead_features_expressivity_minus_inf(images):
    assert az.components(Chain(Scale(1.0), nn.Identity()), images)["az_trainability"] == -math.inf
    dead = az.components(Chain(Scale(1.0), Scale(0.0)), images)
    assert dead["az_expressivity"] == -math.inf and dead["az_progressivity"] == -math.inf


def test_a_downsampling_block_is_compared_after_pixel_unshuffle(images):
    values = az.components(Chain(Scale(1.0), nn.AvgPool2d(2)), images)
    assert all(math.isfinite(v) for v in values.values())


def test_each_component_is_a_proxy_and_the_caller_model_is_untouched(images):
    space = spaces.get("nb201")
    torch.manual_seed(0)
    model = space.build(space.parse(NB201_BEST), C=8, N=1)
    model.eval()
    before = snapshot(model)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    together = az.components(model, torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(1)))
    assert torch.equal(torch.rand(1), expected_next), "the caller's RNG state must be untouched"
    assert_unchanged(model, before)
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    for name, value in together.items():
        assert proxies.score(name, model, x) == value
        assert proxies.get(name).summary.startswith("AZ-NAS")
    assert all(math.isfinite(v) for v in together.values())


def test_a_model_without_cells_or_stages_is_refused_with_a_reason(images):
    with pytest.raises(ValueError, match="one feature map size only"):
        proxies.score("az_trainability", nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten()), images)
    with pytest.raises(ValueError, match="has none"):
        proxies.score("az_trainability", nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten()), images, blocks="cells")
    with pytest.raises(ValueError, match="has only one"):
        proxies.score("az_expressivity", OneCell(), images)  # DARTS's 1-cell proxy network: nothing to compare


def test_the_atlas_stores_all_three_from_one_job():
    assert atlas.job_of("az_trainability_b64") == ("az", 64)
    assert recipe.cost_column("az_expressivity_b64") == "az_b64_seconds"
    assert recipe.cost_column("swap_stage2_b16") == "swap_b16_seconds"
    jobs = atlas.jobs("nb201", ["az"], cells=[0, 1])
    assert [(j.proxy, j.settings["batch_size"]) for j in jobs] == [("az", 64), ("az", 64)]


def test_a_cnn_without_cells_is_cut_into_stages_by_resolution(images):
    """The stage cut of a plain chain equals the cell cut of the same blocks: its first map, then the last map
    of each resolution (the 1x1 global pool is no stage)."""
    plain = nn.Sequential(Scale(1.0), Scale(3.0), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    as_cells = Chain(Scale(1.0), Scale(3.0), nn.AvgPool2d(2))
    assert az.components(plain, images, seed=2) == az.components(as_cells, images, seed=2)
    expected = 2 * entropy_by_hand(images.numpy()) + entropy_by_hand(nn.AvgPool2d(2)(images).numpy())
    assert az.components(plain, images)["az_expressivity"] == pytest.approx(expected, rel=1e-6)


def test_a_head_that_enlarges_the_maps_is_no_stage_and_an_uneven_pooling_is_read_where_it_reads():
    """VGG and AlexNet at 64x64 pool 2x2 maps up to 7x7 before their classifier; SqueezeNet pools 7x7 to 3x3."""
    x = torch.randn(4, 3, 7, 7, generator=torch.Generator().manual_seed(0))
    with_head = nn.Sequential(Scale(1.0), nn.MaxPool2d(3, 2), nn.AdaptiveAvgPool2d(5), nn.Flatten())
    without = nn.Sequential(Scale(1.0), nn.MaxPool2d(3, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    values = az.components(with_head, x, seed=1)
    assert values == az.components(without, x, seed=1)
    assert all(math.isfinite(v) for v in values.values())


class SkipsOne(nn.Module):
    """DARTS-like: the last cell reads the cell two before it, not the one before."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = Scale(1.0)
        self.cells = nn.ModuleList([Scale(2.0), Scale(3.0), Scale(0.5)])

    def forward(self, x):
        first = self.cells[0](self.stem(x))
        self.cells[1](first)
        return self.cells[2](first).flatten(1)


def test_a_cell_that_skips_the_one_before_it_is_no_link_of_trainability(images):
    values = az.components(SkipsOne(), images)
    assert all(math.isfinite(v) for v in values.values())


class PoolChannelsLast(nn.Module):
    def forward(self, x):
        return nn.functional.avg_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)


def test_maps_between_permutes_are_read_channels_last_as_in_swin(images):
    from torchvision.ops.misc import Permute

    swin_like = nn.Sequential(Scale(1.0), Permute([0, 2, 3, 1]), Scale(3.0), PoolChannelsLast(),
                              Permute([0, 3, 1, 2]), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    plain = nn.Sequential(Scale(1.0), Scale(3.0), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    got, expected = az.components(swin_like, images, seed=3), az.components(plain, images, seed=3)
    assert got == pytest.approx(expected, rel=1e-6)


class Tokens(nn.Module):
    def __init__(self, *layers: nn.Module) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.layers = nn.ModuleList(layers)

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x)
        return x


def test_a_transformer_is_cut_into_its_layers():
    torch.manual_seed(0)
    model, ids = Tokens(Scale(1.0), Scale(2.0)), torch.randint(0, 10, (3, 5))
    values = az.components(model, ids)
    embedded = model.embed(ids).detach().numpy().reshape(-1, 1, 1, 4).transpose(0, 3, 1, 2)
    assert values["az_expressivity"] == pytest.approx(3 * entropy_by_hand(embedded), rel=1e-6)
    assert values["az_progressivity"] == pytest.approx(0.0, abs=1e-6)
    assert values["az_trainability"] == -math.inf  # Scale(1.0) passes the gradient on unchanged
    with pytest.raises(ValueError, match="does not apply to token"):
        az.components(model, ids, blocks="stages")


def test_nb101_is_cut_into_its_stem_cells_and_pools_as_nb201_into_model_cells():
    """AZ-NAS's cut of NB101: every element of `features` (stem, nine cells, two max-pools); by three-cell stages
    its trainability ranked against accuracy (docs/results.md, AZ-NAS on NB101 and NB301)."""
    space = spaces.get("nb101")
    torch.manual_seed(0)
    model = space.build(space.example(), stem_channels=4)
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    values = az.components(model, x, seed=3)
    assert values == az.components(model, x, seed=3, blocks="cells")
    assert values != az.components(model, x, seed=3, blocks="stages")
    assert len(az._cells(model)) == 12 and all(math.isfinite(v) for v in values.values())
    net = copy.deepcopy(model).train()
    with az.seeded(3, torch.device("cpu")):  # the proxy's re-initialisation, on the same seed
        az._reinitialise(net)
    outputs, feature = [], x
    with torch.no_grad():
        for block in net.features:
            feature = block(feature)
            outputs.append(feature)
    expected = sum(entropy_by_hand(f.double().numpy()) for f in outputs)
    assert values["az_expressivity"] == pytest.approx(expected, rel=1e-6)


def test_a_network_of_one_map_size_is_cut_at_its_blocks_as_az_nas_cuts_a_vit():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.mix = nn.Linear(8, 8)

        def forward(self, x):
            return x + torch.relu(self.mix(x))

    class TinyViT(nn.Module):
        def __init__(self, depth=3):
            super().__init__()
            self.embed = nn.Conv2d(3, 8, 4, stride=4)
            self.blocks = nn.Sequential(*[Block() for _ in range(depth)])

        def forward(self, x):
            return self.blocks(self.embed(x).flatten(2).transpose(1, 2)).mean(1)

    found = az.components(TinyViT(), torch.randn(4, 3, 16, 16))
    assert all(math.isfinite(v) for v in found.values())
    deeper = az.components(TinyViT(depth=5), torch.randn(4, 3, 16, 16))
    assert deeper["az_expressivity"] > found["az_expressivity"]  # a sum over blocks: more blocks, more terms
