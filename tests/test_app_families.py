"""The Across-families page: every benchmark's atlas side by side, the transfer matrix, and opening a recipe on
a benchmark in the Proxy lab."""
from __future__ import annotations

import json

import pytest

from swap_engine.studies import families
from tests.app_helpers import assert_clean, open_app
from ui import families as page_data


@pytest.fixture
def recipes_file(tmp_path, monkeypatch):
    path = tmp_path / "recipes.json"
    path.write_text(json.dumps({"nb201-cifar10": "log_rank:swap_b16+params", "nb201-cifar10:loo": "swap_b32"}))
    monkeypatch.setattr(families, "sample_data_path", lambda name, must_exist=True: path)
    page_data.transfer.clear()
    page_data.leave_one_out.clear()
    yield path
    page_data.transfer.clear()
    page_data.leave_one_out.clear()


def test_the_page_shows_every_proxy_on_every_benchmark_and_scores_nothing():
    at = open_app("families")
    assert_clean(at)
    assert [s.value for s in at.subheader] == ["Every proxy on every benchmark", "Does a recipe transfer?",
                                               "One recipe for every benchmark? Leave one benchmark out"]
    table = page_data.overview()
    assert {"nb201-cifar10", "nb201-cifar100", "nb201-imagenet16"} <= set(table["task"])
    assert table.loc[(table["task"] == "nb201-cifar10") & (table["proxy"] == "swap_b16"), "spearman"].iat[0] > 0.8
    assert "swap_b16" in at.multiselect(key="families_proxies").value


def test_the_transfer_matrix_opens_a_recipe_on_a_benchmark_in_the_lab(recipes_file):
    at = open_app("families")
    assert_clean(at)
    assert at.selectbox(key="families_from").options == ["NB201 CIFAR-10"]  # leave-one-out recipes are not rows
    at.selectbox(key="families_to").set_value("nb201-cifar100").run()
    at.button(key="families_open").click().run()
    assert at.session_state["lab_atlas"] == "nb201" and at.session_state["lab_text"] == "log_rank:swap_b16+params"


def test_each_leave_one_out_recipe_is_read_on_its_benchmark_and_opens_in_the_lab(recipes_file):
    at = open_app("families")
    assert_clean(at)
    table = page_data.leave_one_out()
    assert table["task"].tolist() == ["nb201-cifar10"] and table["recipe"].iat[0] == "swap_b32"
    assert 0.7 < table["spearman"].iat[0] < 0.9 and table["met"].iat[0]
    at.button(key="families_loo_open").click().run()
    assert at.session_state["lab_atlas"] == "nb201" and at.session_state["lab_text"] == "swap_b32"
