"""Every proxy on a real NB201 TinyNetwork (C=8, N=1 to stay fast): a number, and the model untouched."""
from __future__ import annotations

import math

import pytest
import torch

from swap_engine import proxies, spaces

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
DEAD = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"  # input never reaches the output


@pytest.fixture(scope="module")
def nb201():
    return spaces.get("nb201")


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 3, 32, 32, generator=g), torch.randint(0, 10, (16,), generator=g)


@pytest.mark.parametrize("name", proxies.names())
def test_every_proxy_scores_an_nb201_net_and_leaves_it_unchanged(name, nb201, batch):
    x, y = batch
    model = nb201.build(nb201.parse(ARCH), C=8, N=1)
    model.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    value = proxies.score(name, model, x, y)
    assert math.isfinite(value)
    assert not model.training and all(not m.training for m in model.modules())
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert all(len(m._forward_hooks) == len(m._forward_pre_hooks) == 0 for m in model.modules())


def test_more_convolutions_more_params_and_flops(nb201, batch):
    x, _ = batch
    small = nb201.build(nb201.parse(DEAD), C=8, N=1)
    big = nb201.build(nb201.parse(ARCH), C=8, N=1)
    for name in ("params", "flops", "synflow"):
        assert proxies.score(name, big, x) > proxies.score(name, small, x), name
