"""The Correlation page's panel "Every proxy over the whole space" on every space whose benchmark ships an atlas:
the space's atlases come from the atlas specs (NB101's is nb101-500, DARTS' darts-1k and its proxy network's), so
the panel is no longer NB201's alone."""
import os
from pathlib import Path

import pytest

from swap_engine import atlas
from tests.app_helpers import assert_clean, open_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SWAP_DATA", ROOT.parent / "shared" / "data"))
PANEL = "Every proxy over the whole space (proxy atlas)"
SPACES = {"nb101": ("nb101-500", "nb101/nb101_500.csv"), "darts": ("darts-1k", "darts"),
          "flexibert": ("flexibert-500", "flexibert")}


@pytest.fixture(autouse=True)
def data_dir(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(DATA))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_every_space_finds_its_atlases_in_the_specs():
    assert atlas.of_space("nb201") == ["nb201"]
    assert atlas.of_space("nb101", "nb101-500") == ["nb101-500"]
    assert atlas.of_space("darts", "darts-1k") == ["darts-1k", "darts-1k-proxynet"]
    assert "nb301-500" in atlas.of_space("darts")
    assert atlas.of_space("flexibert", "flexibert-500") == ["flexibert-500"]


@pytest.mark.parametrize("space", sorted(SPACES))
def test_the_panel_of_every_proxy_shows_on_every_space_with_an_atlas(space):
    name, _ = SPACES[space]
    if name not in atlas.available():
        pytest.skip(f"the {name} atlas is not in sample_data/")
    try:
        truth = atlas.with_truth(name)
    except Exception as err:  # noqa: BLE001 - the ground-truth table is not under SWAP_DATA
        pytest.skip(f"{name}'s ground truth is not here: {err}")
    at = open_app("correlation", defaults={"space": space, "n_archs": 3, "batch_size": 16, "seed": 0,
                                           "resolution": "native" if space == "flexibert" else 8})
    assert_clean(at)
    at.button(key="correlation_launch").click().run(timeout=300)
    assert_clean(at)
    assert PANEL in [e.label for e in at.expander]
    rows = next(d.value for d in at.dataframe if "proxy" in d.value and "Kendall" in d.value
                and "architectures" in d.value and d.value["proxy"].str.contains(" at B = ").any())
    assert rows["architectures"].max() <= len(truth) and rows["Spearman"].dropna().between(-1, 1).all()
    assert not rows["proxy"].str.contains("seconds|neurons").any()


def test_the_newest_proxies_stand_beside_the_papers_numbers_on_nb201():
    if "nb201" not in atlas.available():
        pytest.skip("the nb201 atlas is not in sample_data/")
    at = open_app("correlation", defaults={"space": "nb201", "n_archs": 3, "batch_size": 16, "seed": 0,
                                           "resolution": 8})
    at.button(key="correlation_launch").click().run(timeout=300)
    assert_clean(at)
    newest = next(d.value for d in at.dataframe if "proxy or rule" in d.value)
    assert {"ours", "paper", "source"} <= set(newest.columns)
    assert {"meco_b64", "VKDNW_agg"} & set(newest["proxy or rule"])
    assert any("Sources:" in c.value for c in at.caption)
