"""The Across-families page: every benchmark's atlas side by side, the transfer matrix, and opening a recipe on
a benchmark in the Proxy lab."""
from __future__ import annotations

import json

import pytest

from swap_engine.studies import families
from tests.app_helpers import assert_clean, metric, open_app
from ui import families as page_data


@pytest.fixture
def recipes_file(tmp_path, monkeypatch):
    path = tmp_path / "recipes.json"
    path.write_text(json.dumps({"nb201-cifar10": "log_rank:swap_b16+params", "nb201-cifar10:loo": "swap_b32"}))
    monkeypatch.setattr(families, "sample_data_path", lambda name, must_exist=True: path)
    page_data.transfer_cells.clear()
    page_data.leave_one_out.clear()
    yield path
    page_data.transfer_cells.clear()
    page_data.leave_one_out.clear()


def test_the_page_shows_every_proxy_on_every_benchmark_and_scores_nothing():
    at = open_app("families", families_boot=0)  # every study recipe: the intervals are another test's
    assert_clean(at)
    assert [s.value for s in at.subheader] == ["Every proxy on every benchmark", "Does a recipe transfer?",
                                               "One recipe for every benchmark? Leave one benchmark out"]
    table = page_data.overview()
    assert {"nb201-cifar10", "nb201-cifar100", "nb201-imagenet16"} <= set(table["task"])
    assert table.loc[(table["task"] == "nb201-cifar10") & (table["proxy"] == "swap_b16"), "spearman"].iat[0] > 0.8
    assert "swap_b16" in at.multiselect(key="families_proxies").value


def test_our_values_stand_beside_suite_zeros_on_the_same_networks():
    at = open_app("families", families_boot=0)
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "ours vs Suite-Zero" in d.value.columns)
    params = table[(table["benchmark"] == "NB101-500") & (table["proxy"] == "params")].iloc[0]
    assert params["cells"] == 500 and params["ours vs Suite-Zero"] > 0.999
    assert {"NB101-500", "NB301-500"} <= set(table["benchmark"])


def test_the_newest_proxies_show_with_their_coverage_beside_the_papers_numbers():
    at = open_app("families", families_boot=0)
    assert_clean(at)
    newest = next(d.value for d in at.dataframe if "proxy or rule" in d.value.columns)
    row = newest[(newest["benchmark"] == "NB201 CIFAR-10") & (newest["proxy or rule"] == "meco_b64")].iloc[0]
    assert row["cells"].endswith(" of 15,625") and row["paper"] == "0.894" and -1 <= float(row["ours"]) <= 1
    libra = newest[(newest["benchmark"] == "NB101-500") & (newest["proxy or rule"] == "LIBRA")].iloc[0]
    assert libra["paper"] == "0.770" and libra["ours"] == "" and "L-SWAG" in libra["source"]
    assert any("Sources:" in c.value and "VKDNW (CVPR 2025)" in c.value for c in at.caption)
    assert "meco_b64" in at.multiselect(key="families_proxies").value
    overview = at.get("plotly_chart")[0].proto.spec
    assert "of 15,625 cells" in overview and "paper: 0.894" in overview  # coverage and the paper on hover


def test_the_transfer_matrix_opens_a_recipe_on_a_benchmark_in_the_lab(recipes_file):
    at = open_app("families", lab_boot=0)  # the lab it opens: point values (its intervals are test_app_lab's)
    assert_clean(at)
    assert at.selectbox(key="families_from").options == ["NB201 CIFAR-10"]  # leave-one-out recipes are not rows
    assert any("Protocol: zero-shot off the diagonal" in c.value for c in at.caption)
    at.selectbox(key="families_to").set_value("nb201-imagenet16").run()
    shown = metric(at, "Spearman")
    assert "zero-shot for these labels" in " ".join(c.value for c in at.caption)
    at.button(key="families_open").click().run()
    assert_clean(at)
    s = at.session_state
    assert s["lab_atlas"] == "nb201" and s["lab_text"] == "log_rank:swap_b16+params"
    assert s["lab_dataset"] == "ImageNet16-120" and s["lab_split"] == "test" and s["lab_cells"] == "report"
    assert metric(at, "Spearman") == shown  # the ground truth and the half travel: the lab shows the same number
    assert any("Opened from the transfer matrix" in i.value and f"Spearman {shown}" in i.value for i in at.info)


def test_an_n_a_cell_opens_nothing_and_says_why(recipes_file):
    recipes_file.write_text(json.dumps({"nb201-cifar10": "log_rank:swap_b8+params"}))
    at = open_app("families", families_boot=0)
    assert_clean(at)
    at.selectbox(key="families_to").set_value("darts-1k").run()
    assert metric(at, "Spearman") == "n/a" and at.button(key="families_open").disabled
    assert any("n/a: this atlas lacks swap_b8" in c.value for c in at.caption)
    chart = at.get("plotly_chart")[1].proto.spec
    assert '"nb201-cifar10", "darts-1k"' not in chart and '["nb201-cifar10","darts-1k"]' not in chart  # no marker
    assert "this atlas lacks swap_b8" in chart  # the hover says why


def test_the_matrix_by_kendall_and_top_k_with_intervals(recipes_file):
    at = open_app("families", families_boot=100)
    assert_clean(at)
    cells = page_data.transfer_cells("spearman", 100)
    row = cells[cells["read on"] == "nb201-cifar10"].iloc[0]
    assert row["low"] < row["value"] < row["high"] and row["cells"] == 15_625 - 15_625 // 2  # the reporting half
    for chosen in ("kendall", "top_k"):
        at.radio(key="families_metric").set_value(chosen).run()
        assert_clean(at)
        cells = page_data.transfer_cells(chosen, 100)
        finite = cells.dropna(subset=["value"])
        assert (finite["low"] <= finite["value"] + 1e-9).all() and (finite["value"] <= finite["high"] + 1e-9).all()
        assert page_data.METRICS[chosen] in [m.label for m in at.metric]
        first = finite.iloc[0]
        said = page_data.cell_words(first, chosen)
        assert f"{first['value']:.3f} [{first['low']:.3f}, {first['high']:.3f}]" in said
        assert said in at.get("plotly_chart")[1].proto.spec  # on hover


def test_each_leave_one_out_recipe_is_read_on_its_benchmark_and_opens_in_the_lab(recipes_file):
    at = open_app("families")
    assert_clean(at)
    table = page_data.leave_one_out()
    assert table["task"].tolist() == ["nb201-cifar10"] and table["recipe"].iat[0] == "swap_b32"
    assert 0.7 < table["spearman"].iat[0] < 0.9 and table["met"].iat[0]
    at.button(key="families_loo_open").click().run()
    assert at.session_state["lab_atlas"] == "nb201" and at.session_state["lab_text"] == "swap_b32"
