"""benchmarks/compare_nb201.py: a run (score CSV or runner store) against the shipped NB201 table."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from swap_engine import spaces

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_nb201", ROOT / "benchmarks" / "compare_nb201.py")
compare_nb201 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_nb201)


@pytest.fixture
def reference(tmp_path):
    table = pd.DataFrame({"nb201_index": [0, 1, 2, 3], "raw_score": [10, 20, 30, 40], "params": [1, 2, 3, 4],
                          "neurons": [5, 5, 5, 5]})
    path = tmp_path / "reference.csv"
    table.to_csv(path, index=False)
    return path


def test_score_csv_and_runner_store_compare_alike(tmp_path, reference):
    space = spaces.get("nb201")
    archs = [space.format(a) for a in list(space.all())[:3]]
    csv = tmp_path / "run.csv"
    pd.DataFrame({"arch": archs, "raw_score": [10, 21, 30], "params": [1, 2, 3], "neurons": [5, 5, 5]}).to_csv(
        csv, index=False)
    store_rows = []
    for arch, score, params in zip(archs, [10, 21, 30], [1, 2, 3], strict=True):
        store_rows.append({"space": "nb201", "arch": arch, "proxy": "swap", "settings": "x",
                           "values": json.dumps({"swap": score, "swap_neurons": 5}), "error": '""'})
        store_rows.append({"space": "nb201", "arch": arch, "proxy": "params", "settings": "x",
                           "values": json.dumps({"params": params}), "error": '""'})
    store = tmp_path / "run.csv.store"
    pd.DataFrame(store_rows).to_csv(store, index=False)
    for path in (csv, store):
        out = tmp_path / f"{path.name}.json"
        assert compare_nb201.main([str(path), "--reference", str(reference), "--json", str(out)]) == 0
        facts = json.loads(out.read_text())
        assert facts["cells_compared"] == 3 and facts["different"] == 1
        assert facts["identical_share"] == pytest.approx(2 / 3) and facts["max_abs_diff"] == 1
        assert facts["spearman"] == pytest.approx(1.0) and facts["params_mismatches"] == 0
        assert facts["largest_differences"] == [{"nb201_index": 1, "run": 21.0, "reference": 20.0}]


def test_no_rows_is_a_clear_error(tmp_path, reference):
    with pytest.raises(SystemExit, match="no rows"):
        compare_nb201.main([str(tmp_path / "missing.csv"), "--reference", str(reference)])
