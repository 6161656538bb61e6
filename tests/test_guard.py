"""The resource guard and model options in words (issue 27): `models.build` is the one place a model is built
from options a user can set; CLI, runner and app all go through it.

The two bombs of the issue (NB201 `{"C": 2000, "N": 5}` grew a process to 24 GB; `{"C": 100000, "N": 50}`
hit a 40 GB allocation error) are refused here under a 2 GB budget, so no test can allocate them even on a
machine whose default budget (a quarter of its RAM) would let the first one through.
"""
import os
import time

import pytest
import torch

from swap_engine import count_params, models, runner, spaces
from swap_engine.cli import main

BOMBS = [("nb201", {"C": 2000, "N": 5}), ("nb201", {"C": 100000, "N": 50}),
         ("darts", {"variant": "full", "C": 100000, "layers": 50}), ("nb101", {"stem_channels": 100000})]


def status(key: str) -> int:
    """VmRSS or VmHWM (the peak) of this process, in MB."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(key + ":"))
    return int(line.split()[1]) // 1024


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:  # Linux: VmHWM starts again from VmRSS
            handle.write("5")
        return True
    except OSError:
        return False


@pytest.fixture
def low_budget(monkeypatch):
    monkeypatch.setenv(models.MEMORY_ENV, "2GB")


@pytest.mark.parametrize(("space_name", "options"), BOMBS, ids=lambda v: str(v))
def test_bombs_are_refused_in_a_second_without_growing_the_process(low_budget, space_name, options):
    space = spaces.get(space_name)
    arch = space.example()
    batch = torch.randn(16, 3, 32, 32)
    models.build(space, arch, None, inputs=batch)  # imports and first-call costs are not the guard's
    peak_known = reset_peak()
    before = status("VmRSS")
    started = time.perf_counter()
    with pytest.raises(models.ResourceError) as refused:
        models.build(space, arch, options, inputs=batch)
    seconds = time.perf_counter() - started
    grown = (status("VmHWM") if peak_known else status("VmRSS")) - before
    assert seconds < 1.0 and grown < 200, (seconds, grown)
    message = str(refused.value)
    assert "would need about" in message and "the limit is 2.0 GB (SWAP_MEMORY_LIMIT=2GB)" in message
    if "--memory-limit" in message:  # advice to raise the limit, never above what the machine has (issue 32)
        advised = models.parse_size(message.split("--memory-limit ")[1].split()[0])
        assert "SWAP_MEMORY_LIMIT=" in message and advised <= models._device_memory(torch.device("cpu"))[0]
    else:
        assert "more than this machine can give" in message


def test_the_cli_refuses_a_bomb_in_words(capsys):
    code = main(["score", "--space", "nb201", "--sample", "1", "--input", "gaussian", "--model-option", "C=2000",
                 "--model-option", "N=5", "--memory-limit", "2GB"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: nb201 with options {'C': 2000, 'N': 5} would need about")
    assert "Traceback" not in err


def test_the_runner_refuses_a_bomb_as_a_failed_record(low_budget):
    arch = spaces.get("nb201").format(spaces.get("nb201").example())
    settings = {"input": "gaussian", "batch_size": 8, "split": "train", "input_seed": None, "resolution": 8,
                "seed": 0, "model_options": {"C": 100000, "N": 50}, "proxy_options": {}}
    records = runner.run_chunk(runner.Chunk("nb201", settings, [runner.Job("nb201", arch, "swap", settings)]))
    assert len(records) == 1 and "ResourceError" in records[0].error and "would need about" in records[0].error


def test_a_model_under_the_budget_is_built_seeded_and_its_estimate_counts_its_parameters(low_budget):
    space = spaces.get("nb201")
    arch = space.example()
    batch = torch.randn(4, 3, 32, 32)
    state = torch.random.get_rng_state()
    estimate = models.estimate(space, arch, {"C": 8, "N": 1}, batch)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is untouched
    one, two = (models.build(space, arch, {"C": 8, "N": 1}, seed=3) for _ in range(2))
    assert estimate.params == count_params(one) and 0 < estimate.pass_bytes < 50 * 2**20
    assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), two.state_dict().values()))


def test_the_budget_follows_the_machine_unless_set(monkeypatch):
    monkeypatch.delenv(models.MEMORY_ENV, raising=False)
    limit, source = models.memory_budget("cpu")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < limit <= ram // 4 and source.startswith("a quarter of this machine's")
    monkeypatch.setenv(models.MEMORY_ENV, "50%")
    assert models.memory_budget("cpu")[0] == pytest.approx(2 * limit, rel=0.01)
    assert models.parse_size("1.5GB") == 3 * 2**29 and models.parse_size("512M") == 2**29
    for bad in ("lots", "-1GB", "0", "8XB"):
        with pytest.raises(ValueError, match="memory limit"):
            models.parse_size(bad, 100)


def test_a_depth_bomb_stops_at_the_layer_limit(low_budget):
    with pytest.raises(ValueError, match=f"more than {models.MAX_MODULES:,} layers"):
        models.check(spaces.get("nb201"), spaces.get("nb201").example(), {"N": 10**9})


@pytest.mark.parametrize(("space_name", "options", "words"), [
    ("nb201", {"__class__": 1}, "nb201 has no model option '__class__'; its options are: C (default 16), "
                                "N (default 5), num_classes (default 10)"),
    ("nb201", {"C": "8"}, "nb201 model option C must be a whole number (default 16), got str '8'"),
    ("nb201", {"C": True}, "must be a whole number"),
    ("nb201", {"C": 1.5}, "must be a whole number"),
    ("nb201", [("C", 8)], "must be a mapping"),
    ("flexibert", {"dropout": float("nan")}, "must be a number"),
    ("flexibert", {"reference_dims": 1}, "must be true or false"),
    ("darts", {"C": 100000, "layers": 50}, "the variant 'swap-proxy' (the default) ignores C and layers"),
    ("darts", {"variant": "huge"}, "variant 'huge' unknown"),
    ("zoo", {"num_classes": 0}, "zoo model option num_classes must be a positive whole number, got 0"),
])
def test_options_are_answered_in_words(space_name, options, words: str):
    space = spaces.get(space_name)
    with pytest.raises(ValueError) as err:
        models.build(space, space.example(), options)
    assert words in str(err.value)


def test_the_app_refuses_a_bomb_in_words(low_budget):
    from tests.app_helpers import open_app

    at = open_app("patterns", space="nb201", input="gaussian", resolution=32, batch_size=16,
                  build_options='{"C": 2000, "N": 5}')
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "would need about" in shown.replace("\\", "") and "SWAP\\_MEMORY\\_LIMIT" in shown
