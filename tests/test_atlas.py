"""The proxy atlas: jobs, the wide table built from a runner store, its file, and resuming from that file."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from swap_engine import atlas, spaces
from swap_engine.runner import Job, Record, Store


def _record(arch: str, proxy: str, batch_size: int, values: dict, seconds: float = 0.25) -> Record:
    return Record("nb201", arch, proxy, Job("nb201", arch, proxy, atlas.proxy_settings(proxy, batch_size)).settings_key,
                  values, seconds)


def _fake_store(path, cells=(3, 17, 4000)) -> Store:
    space = spaces.get("nb201")
    store = Store(path)
    for n, index in enumerate(cells):
        arch = space.format(space.from_index(index))
        swap = {"swap": 100.0 + n, "swap_layersum": 900.0 + n, "swap_satfree": 0.5, "swap_logmean": 7.25,
                "swap_stage1": 400.0, "swap_stage2": 300.0, "swap_stage3": math.nan, "swap_neurons": 4096.0}
        store.append([_record(arch, "swap", 16, swap), _record(arch, "params", 64, {"params": 1000.0 + n}),
                      _record(arch, "flops", 1, {"flops": 5e6}), _record(arch, "naswot", 64, {"naswot": 12.5 + n}),
                      _record(arch, "az", 64, {"az_expressivity": 40.0 + n, "az_progressivity": -0.5,
                                               "az_trainability": -math.inf})])
    return store


def test_jobs_cover_every_proxy_and_batch_size_cell_by_cell():
    jobs = atlas.jobs("nb201", cells=[5, 9])
    first = [j for j in jobs if j.arch == jobs[0].arch]
    assert len(jobs) == 2 * len(first) and jobs[len(first)].arch != jobs[0].arch
    assert sorted((j.proxy, j.settings["batch_size"]) for j in first if j.proxy == "swap") == \
        [("swap", b) for b in atlas.SWAP_BATCH_SIZES]
    assert {j.proxy for j in first} == set(atlas.GROUPS["first"].proxies)
    order = atlas.cell_order("nb201")
    assert sorted(order) == list(range(15625)) and list(order[:5]) == list(atlas.cell_order("nb201")[:5])
    labelled = atlas.jobs("nb201", groups=["label"], cells=order[2990:3010])
    assert len({j.arch for j in labelled}) == 10  # the label group's seeded 3,000-cell subset
    with pytest.raises(ValueError, match="unknown atlas group"):
        atlas.jobs("nb201", groups=["nope"])


def test_a_group_reads_its_own_input():
    jobs = atlas.jobs("nb201", groups=["first", "az"], cells=[5])
    assert {j.settings["input"] for j in jobs if j.proxy != "az"} == {"cifar10"}
    assert [j.settings["input"] for j in jobs if j.proxy == "az"] == ["gaussian"]  # as AZ-NAS scores NB201


def test_only_keeps_the_named_proxies_and_settings():
    cheap = atlas.jobs("nb201", cells=[5], only=["swap_b8", "flops", "synflow"])
    assert sorted((j.proxy, j.settings["batch_size"]) for j in cheap) == [("flops", 1), ("swap", 8), ("synflow", 64)]
    assert {j.proxy for j in atlas.jobs("nb201", ["label"], cells=atlas.cell_order("nb201")[:1], only=["zen"])} \
        == {"zen"}
    with pytest.raises(ValueError, match="not a proxy of the chosen groups"):
        atlas.jobs("nb201", cells=[5], only=["swap_b12"])
    with pytest.raises(ValueError, match="not a proxy of the chosen groups"):
        atlas.jobs("nb201", cells=[5], only=["snip"])  # a label-group proxy, but only the first group chosen


def test_build_names_columns_and_keeps_missing_values_missing(tmp_path):
    frame = atlas.build("nb201", _fake_store(tmp_path / "s.csv"), earlier=False)
    assert len(frame) == 15625 and list(frame.columns[:2]) == ["nb201_index", "arch"]
    row = frame.loc[17]
    assert row["swap_b16"] == 101 and row["swap_layersum_b16"] == 901 and row["params"] == 1001
    assert row["naswot_b64"] == 13.5 and row["flops"] == 5e6 and row["swap_b16_seconds"] == 0.25
    assert math.isnan(row["swap_stage3_b16"]) and math.isnan(frame.loc[18, "swap_b16"])
    assert "swap_layersum_b16_seconds" not in frame.columns  # variants share their pass's cost
    assert row["az_expressivity_b64"] == 41 and row["az_trainability_b64"] == -math.inf
    assert row["az_b64_seconds"] == 0.25 and "az_trainability_b64_seconds" not in frame.columns
    assert atlas.coverage(frame)["naswot_b64"] == pytest.approx(3 / 15625)


def test_the_file_round_trips_and_a_new_checkout_resumes_from_it(tmp_path):
    frame = atlas.build("nb201", _fake_store(tmp_path / "s.csv"), earlier=False)
    atlas.save(frame, tmp_path / "a.parquet")
    back = atlas.load_file(tmp_path / "a.parquet")
    values = [c for c in frame.columns[2:] if not c.endswith("_seconds")]
    pd.testing.assert_frame_equal(back[values], frame[values].astype(float))
    fresh = Store(tmp_path / "fresh.csv")
    assert fresh.append(atlas.records(back)) == 15
    rebuilt = atlas.build("nb201", fresh, earlier=False)
    pd.testing.assert_frame_equal(rebuilt.astype({c: float for c in rebuilt.columns[2:]}), back, check_exact=False,
                                  rtol=1e-6)
    assert fresh.keys() == Store(tmp_path / "s.csv").keys()


def test_values_filled_from_an_earlier_table_are_not_taken_as_computed(tmp_path):
    frame = atlas.build("nb201", Store(tmp_path / "empty.csv"))  # swap_b16 and params from nb201_swap_b16.csv
    assert frame["swap_b16"].notna().all() and frame["params"].notna().all()
    assert atlas.records(frame) == []


def test_the_committed_atlas_reads_back_as_one_row_per_cell():
    frame = atlas.load("nb201")
    assert len(frame) == 15625 and (frame["nb201_index"].to_numpy() == np.arange(15625)).all()
    space = spaces.get("nb201")
    assert frame["arch"].iat[123] == space.format(space.from_index(123))
    assert frame["swap_b16"].notna().all() and (frame["params"] > 0).all()
    measured = frame["naswot_b64"].notna()
    assert measured.sum() >= 200 and frame.loc[measured, "swap_layersum_b64"].notna().all()


def test_every_benchmark_has_an_atlas_with_its_own_settings():
    assert set(atlas.SPECS) >= {"nb201", "darts-1k", "darts-1k-proxynet", "nb301-500", "nb101-500",
                                "flexibert-500", "zoo"}
    proxynet = atlas.jobs("darts-1k-proxynet", cells=[0], only=["swap_b16"])[0]
    assert proxynet.space == "darts" and proxynet.settings["repeats"] == 8
    assert proxynet.settings["model_options"] == {"variant": "swap-proxy"}
    assert proxynet.settings["proxy_options"] == {"swap": {"reinit": "gaussian", "conv_only": True}}
    full = atlas.jobs("darts-1k", cells=[0], only=["swap_b16"])[0]
    assert full.arch == proxynet.arch and full.settings["model_options"] == {"variant": "full"}
    assert full.settings_key != proxynet.settings_key
    assert len(atlas.cell_table("darts-1k")) == 1000 and atlas.cell_table("darts-1k")["arch"].is_unique
    zoo = atlas.jobs("zoo", cells=[0], only=["swap_b32"])[0]
    assert zoo.settings["resolution"] == 64


def test_a_proxy_option_keys_that_proxy_alone_and_reaches_its_job():
    from swap_engine.runner.jobs import _options

    az = atlas.jobs("nb101-500", ["az"], cells=[0])[0]
    naswot = atlas.jobs("nb101-500", ["first"], cells=[0], only=["naswot"])[0]
    assert az.settings["proxy_options"] == {"az": {"blocks": "cells"}} and naswot.settings["proxy_options"] == {}
    assert naswot.settings_key == atlas.jobs("nb201", ["first"], cells=[0], only=["naswot"])[0].settings_key
    assert _options("az", az.settings, "cpu", signature="az_expressivity") == {"seed": 0, "device": "cpu",
                                                                              "blocks": "cells"}


def test_a_proxy_that_cannot_apply_is_absent_with_its_reason():
    flexibert = atlas.spec("flexibert-500")
    proxies = {j.proxy for j in atlas.jobs("flexibert-500", ["first", "label", "az"], cells=[0])}
    assert proxies == {"swap", "params", "flops", "naswot", "az"}
    assert {"synflow", "jacov", "zico", "snip"} <= set(flexibert.absent)
    assert all(flexibert.absent.values())
    assert [j.settings["input"] for j in atlas.jobs("flexibert-500", ["az"], cells=[0])] == ["text"]
    assert "one block" in atlas.spec("darts-1k-proxynet").absent["az"]
    with pytest.raises(ValueError, match="atlases: nb201"):
        atlas.spec("nb999")


def test_a_benchmark_atlas_builds_from_its_store(tmp_path):
    store = Store(tmp_path / "store.csv")
    arch = atlas.cell_table("nb101-500")["arch"].iat[7]
    key = atlas.jobs("nb101-500", cells=[7], only=["params"])[0].settings_key
    store.append([Record("nb101", arch, "params", key, {"params": 123.0}, 0.5)])
    frame = atlas.build("nb101-500", store)
    assert list(frame.columns[:2]) == ["index", "arch"] and len(frame) == 500
    assert frame["params"].iat[7] == 123.0 and frame["params"].isna().sum() == 499
    assert len(atlas.records(frame, "nb101-500")) == 1


def test_measured_jobs_count_each_job_once_by_its_seconds_and_a_job_never_run_as_zero():
    frame = pd.DataFrame({"index": [0, 1, 2], "arch": ["a", "b", "c"], "swap_b16": [1.0, 2.0, None],
                          "swap_layersum_b16": [1.0, 2.0, None], "swap_b16_seconds": [0.1, 0.2, None],
                          "az_expressivity_b64": [1.0, None, None], "az_b64_seconds": [0.5, None, None]})
    counts = atlas.measured_jobs("nb301-500", frame)
    assert counts["swap_b16"] == 2 and counts["az_b64"] == 1 and counts["naswot_b64"] == 0
    assert "swap_layersum_b16" not in counts and "zico_b64" in counts
