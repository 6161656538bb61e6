"""swap_engine.studies.recipe_fitness: recipes as search fitnesses, looked up in the atlas or computed live alike."""
from __future__ import annotations

import numpy as np
import pytest

from swap_engine import spaces
from swap_engine.recipe import Recipe
from swap_engine.studies.recipe_fitness import RecipeFitness, column_proxy
from swap_engine.studies.recipe_study import atlas


@pytest.fixture(scope="module")
def nb201_frame():
    frame = atlas("nb201")
    return frame[["nb201_index", "arch", "swap_b16", "params"]].copy()


def test_column_names_map_to_proxy_and_batch_size():
    assert column_proxy("swap_layersum_b32") == ("swap_layersum", 32)
    assert column_proxy("naswot_b64") == ("naswot", 64)
    assert column_proxy("params") == ("params", None)


def test_lookup_equals_the_recipe_over_the_atlas(nb201_frame):
    space = spaces.get("nb201")
    fitness = RecipeFitness(space, "log_rank:swap_b16+params", nb201_frame, live=False)
    scores = Recipe.parse("log_rank:swap_b16+params").score(nb201_frame)
    for i in (0, 17, 15624):
        arch = space.parse(nb201_frame["arch"].iloc[i])
        assert fitness(arch).value == pytest.approx(scores[i])
    assert fitness.lookups == 3 and fitness.computed == 0
    assert fitness.settings["recipe"] == "log_rank:swap_b16+params"


def test_a_cell_outside_the_atlas_is_scored_live_on_the_same_scale(nb201_frame):
    space = spaces.get("nb201")
    full = Recipe.parse("log_rank:swap_b16+params").score(nb201_frame)
    frame = nb201_frame.copy()
    row = 1
    frame.loc[row, "swap_b16"] = np.nan  # as if the atlas had not reached this cell yet
    arch = space.parse(frame["arch"].iloc[row])
    with pytest.raises(ValueError, match="not in the atlas"):
        RecipeFitness(space, "log_rank:swap_b16+params", frame, live=False)(arch)
    fitness = RecipeFitness(space, "log_rank:swap_b16+params", frame)
    live = fitness(arch)
    assert fitness.computed == 1
    # the live SWAP count reproduces the stored one, so the live score matches the whole-atlas score closely
    assert live.value == pytest.approx(full[row], abs=1e-3)
    assert live.params == int(nb201_frame["params"].iloc[row])


def test_unknown_column_is_a_clear_error(nb201_frame):
    with pytest.raises(ValueError, match="not in the nb201 atlas"):
        RecipeFitness(spaces.get("nb201"), "zico_b64", nb201_frame)


def test_search_command_takes_a_recipe_fitness(capsys):
    from swap_engine.cli import main

    assert main(["search", "--fitness", "params", "--budget", "5", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"evaluations": 5' in out
