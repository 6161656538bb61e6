"""The same SWAP count at any thread count (issue 37), and one meta build per space instead of one per cell.

The counts are read on CIFAR-10 images: on Gaussian noise no pre-activation sits near enough to zero for
the thread count to show. Before `serial_norms`, 2 or 4 threads moved NB201 counts by a pattern or two.
"""
import os
from pathlib import Path

import pytest
import torch

from swap_engine import data, models, spaces, swap_score
from swap_engine.threads import one_thread, serial_norms

DATA = Path(os.environ.get("SWAP_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_cifar = pytest.mark.skipif(not (DATA / "cifar10" / "train_first10000.npz").exists(),
                                 reason=f"needs CIFAR-10 under {DATA} (python -m swap_engine data fetch cifar10)")


@pytest.fixture
def restore_threads():
    previous = torch.get_num_threads()
    yield
    torch.set_num_threads(previous)


def signs_before_relus(model, x, threads: int, serial: bool) -> list[torch.Tensor]:
    torch.set_num_threads(threads)
    seen: list[torch.Tensor] = []
    handles = [m.register_forward_hook(lambda m, args, out: seen.append(args[0] > 0))
               for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    try:
        with torch.no_grad(), (serial_norms(model) if serial else one_thread()):
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen


@needs_cifar
@pytest.mark.parametrize("space_name, batch_size", [("nb201", 64), ("nb101", 32), ("darts", 64)])
def test_counts_do_not_depend_on_the_thread_count(restore_threads, space_name, batch_size):
    space = spaces.get(space_name)
    batch = data.inputs("cifar10", batch_size)
    for arch in space.sample(2, 3):
        model = models.build(space, arch, seed=0)
        counts = set()
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            counts.add(swap_score(model, batch, seed=0).raw_score)
        assert len(counts) == 1, f"{space.format(arch)}: {counts}"


@needs_cifar
def test_batchnorm_is_the_layer_that_depends_on_threads(restore_threads):
    """Without the pinning some signs flip at 3 threads; with it every sign matches one thread's."""
    space = spaces.get("nb201")
    batch = data.inputs("cifar10", 64)
    model = models.build(space, space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
                                            "nor_conv_3x3~1|nor_conv_3x3~2|"), seed=0).train()
    reference = signs_before_relus(model, batch.x, 1, serial=False)
    pinned = signs_before_relus(model, batch.x, 3, serial=True)
    assert all(torch.equal(a, b) for a, b in zip(reference, pinned, strict=True))


def test_serial_norms_gives_back_the_callers_threads_even_when_the_forward_fails(restore_threads):
    class Failing(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.BatchNorm1d(4)

        def forward(self, x):
            self.norm(x)
            raise RuntimeError("boom")

    torch.set_num_threads(2)
    model = Failing()
    with pytest.raises(RuntimeError), serial_norms(model):
        model(torch.randn(8, 4))
    assert torch.get_num_threads() == 2
    assert not model.norm._forward_hooks and not model.norm._forward_pre_hooks


@pytest.mark.parametrize("space_name, options", [("nb201", {}), ("nb201", {"C": 32, "N": 2}), ("nb101", {}),
                                                 ("darts", {}), ("darts", {"variant": "full", "layers": 8})])
def test_the_largest_architecture_bounds_every_sampled_cell(space_name, options):
    space = spaces.get(space_name)
    bound = models.estimate(space, space.largest(), options)
    for arch in space.sample(25, 1):
        cell = models.estimate(space, arch, options)
        assert cell.weight_bytes <= bound.weight_bytes, space.format(arch)


def test_a_cell_of_a_bounded_space_is_not_sized_on_its_own(monkeypatch):
    space = spaces.get("nb201")
    batch = torch.randn(16, 3, 32, 32)
    models.check(space, space.sample(1, 0)[0], inputs=batch)  # sizes the largest cell once
    calls = []
    real = models.estimate
    monkeypatch.setattr(models, "estimate", lambda *a, **k: calls.append(a) or real(*a, **k))
    for arch in space.sample(20, 1):
        models.check(space, arch, inputs=batch)
        models.build(space, arch, seed=0)
    assert calls == []


def test_options_a_user_set_are_sized_on_each_cell(monkeypatch):
    space = spaces.get("nb201")
    calls = []
    real = models.estimate
    monkeypatch.setattr(models, "estimate", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    archs = space.sample(3, 2)
    for arch in archs:
        models.check(space, arch, {"C": 8}, inputs=torch.randn(16, 3, 32, 32))
    assert calls == archs


def test_a_space_without_a_largest_model_still_sizes_each_one(monkeypatch):
    space = spaces.get("zoo")
    assert space.largest() is None
    calls = []
    real = models.estimate
    monkeypatch.setattr(models, "estimate", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    models.check(space, "resnet18")
    assert calls == ["resnet18"]
