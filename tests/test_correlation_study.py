"""The study command: end-to-end on NB201 (C=8, N=1) with a synthetic benchmark table and inputs, so it
needs no data files; resuming, settings mismatch, target shorthands, output files, results.md rows."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from swap_engine import cli, data, spaces
from swap_engine.commands._args import parse_pairs, parse_value
from swap_engine.commands.study import parse_proxy_options
from swap_engine.studies import correlation as study


@pytest.fixture
def fake_data(monkeypatch):
    """12 NB201 archs with made-up accuracies; a fixed random CIFAR-shaped batch with labels."""
    space = spaces.get("nb201")
    archs = [space.format(space.from_index(i)) for i in range(0, 1200, 100)]
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"arch": archs, **{c: rng.uniform(10, 90, len(archs)) for c in data.targets("nb201")}})
    table.loc[5, "cifar10_test_acc_pct"] = np.nan  # an arch without ground truth is never sampled

    def fake_inputs(name, batch_size, **kwargs):
        g = torch.Generator().manual_seed(0)
        return data.Batch(torch.randn(batch_size, 3, 8, 8, generator=g), torch.randint(0, 10, (batch_size,),
                          generator=g), None, name, "fake")

    monkeypatch.setattr(data, "benchmark", lambda name: table.copy())
    monkeypatch.setattr(data, "inputs", fake_inputs)
    return table


def argv(out, *extra):
    return ["study", "--space", "nb201", "--target", "cifar10-test", "--proxies", "swap,params,naswot",
            "--n", "8", "--batch-size", "8", "--model-option", "C=8", "--model-option", "N=1",
            "--out", str(out), "--n-boot", "50", *extra]


def test_study_end_to_end_and_resume(fake_data, tmp_path, capsys):
    out = tmp_path / "res"
    assert cli.main(argv(out, "--regularize", "20,100", "--format", "markdown",
                         "--target", "cifar10-test,cifar100-valid")) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| target | proxy | n | Spearman [95% CI]")
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 8 and scores["row"].is_unique and 5 not in set(scores["row"])
    assert list(scores.columns) == ["row", "arch", "target", "model_params", "swap", "params", "naswot", "seconds"]
    assert (scores["params"] == scores["model_params"]).all()
    joined = fake_data.loc[scores["row"], "cifar10_test_acc_pct"].to_numpy()
    assert np.allclose(scores["target"], joined)
    table = pd.read_csv(out / "correlations.csv")
    assert table["proxy"].tolist() == ["swap", "params", "naswot", "swap_reg"] * 2
    assert table["target"].tolist() == ["cifar10_test_acc_pct"] * 4 + ["cifar100_valid_acc_pct"] * 4
    other = stats.spearmanr(scores["params"], fake_data.loc[scores["row"], "cifar100_valid_acc_pct"]).statistic
    assert table["spearman"].iloc[5] == pytest.approx(other)
    assert {f"scatter_{p}.html" for p in table["proxy"]} <= {p.name for p in out.iterdir()}
    settings = json.loads((out / "study.json").read_text())
    assert settings["target"] == "cifar10_test_acc_pct" and settings["model_options"] == {"C": 8, "N": 1}

    # interrupted: drop the last three rows, rerun, and only those are scored again
    lines = (out / "scores.csv").read_text().splitlines(keepends=True)
    (out / "scores.csv").write_text("".join(lines[:-3]))
    assert cli.main(argv(out, "--no-plots")) == 0
    again = pd.read_csv(out / "scores.csv")
    assert len(again) == 8 and again["row"].is_unique
    pd.testing.assert_frame_equal(again.drop(columns="seconds").sort_values("row").reset_index(drop=True),
                                  scores.drop(columns="seconds").sort_values("row").reset_index(drop=True))


def test_auto_regularization_fits_on_one_half_and_reports_on_the_other(fake_data, tmp_path, capsys):
    out = tmp_path / "res"
    assert cli.main(argv(out, "--no-plots", "--regularize", "auto", "--n", "10")) == 0
    table = pd.read_csv(out / "correlations.csv")
    half = table.set_index("proxy").loc[["swap_half", "swap_reg"]]
    assert half["n"].tolist() == [5, 5] and np.isfinite(half.loc["swap_reg", ["mu", "sigma"]]).all()
    assert "swap_reg (mu=" in capsys.readouterr().out


def test_other_settings_in_the_same_folder_is_an_error(fake_data, tmp_path, capsys):
    out = tmp_path / "res"
    assert cli.main(argv(out, "--no-plots")) == 0
    assert cli.main([*argv(out, "--no-plots"), "--seed", "1"]) == 2
    assert "other settings (seed: stored 0, now 1)" in capsys.readouterr().err


def test_results_md_rows_are_regenerated_not_duplicated(fake_data, tmp_path):
    md = tmp_path / "results.md"
    md.write_text("# Results\n\nIntro kept.\n")
    out = tmp_path / "res"
    for _ in range(2):
        assert cli.main(argv(out, "--no-plots", "--results-md", str(md))) == 0
    text = md.read_text()
    assert text.startswith("# Results\n\nIntro kept.\n") and text.count(study.RESULTS_BEGIN) == 1
    rows = [line for line in text.splitlines() if line.startswith("| nb201 |")]
    assert len(rows) == 3
    assert "`python -m swap_engine study --space nb201 --target cifar10_test_acc_pct" in rows[0]
    other = tmp_path / "other"
    assert cli.main([*argv(other, "--no-plots", "--results-md", str(md)), "--seed", "2"]) == 0
    assert len([line for line in md.read_text().splitlines() if line.startswith("| nb201 |")]) == 6


def test_target_shorthands_and_errors():
    assert study.resolve_target("nb201", "cifar10-test") == "cifar10_test_acc_pct"
    assert study.resolve_target("nb201", "cifar100_valid_acc_pct") == "cifar100_valid_acc_pct"
    with pytest.raises(ValueError, match="valid targets: cifar10_test_acc_pct"):
        study.resolve_target("nb201", "imagenet-top1")


def test_report_targets_may_be_any_numeric_column(fake_data):
    fake_data["zen_score"] = 1.0
    with pytest.raises(ValueError, match="valid targets"):
        study.resolve_target("nb201", "zen_score")
    assert study.resolve_target("nb201", "zen_score", any_column=True) == "zen_score"


def test_benchmark_choice():
    assert study.benchmark_of("nb201") == "nb201"
    assert study.benchmark_of("darts", "nb301-500") == "nb301-500"
    with pytest.raises(ValueError, match="unknown benchmark 'nope'; known: nb201"):
        study.benchmark_of("darts", "nope")


def test_bad_flags_exit_2(fake_data, tmp_path, capsys):
    assert cli.main([*argv(tmp_path / "a"), "--proxies", "swap,nope"]) == 2
    assert "unknown proxy 'nope'" in capsys.readouterr().err
    assert cli.main([*argv(tmp_path / "b"), "--proxy-option", "zen.repeats=2"]) == 2
    assert "not in --proxies: zen" in capsys.readouterr().err
    assert cli.main([*argv(tmp_path / "c"), "--regularize", "1"]) == 2
    assert "MU,SIGMA" in capsys.readouterr().err


def test_option_parsing():
    assert parse_value("8") == 8 and parse_value("True") is True and parse_value("swap-proxy") == "swap-proxy"
    assert parse_value("__import__('os')") == "__import__('os')"  # text, never evaluated
    assert parse_pairs(["C=8", "variant=swap-proxy"], "--model-option") == {"C": 8, "variant": "swap-proxy"}
    assert parse_proxy_options(["swap.reinit=gaussian", "swap.conv_only=True"]) == \
        {"swap": {"reinit": "gaussian", "conv_only": True}}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_pairs(["C"], "--model-option")


def test_the_stored_command_reproduces_the_settings():
    settings = study.StudySettings("darts", "cifar10_valid_acc_pct", ("swap",), 1000, 16, "cifar10",
                                   repeats=8, model_options={"variant": "swap-proxy"},
                                   proxy_options={"swap": {"reinit": "gaussian", "conv_only": True}})
    command = settings.command("results/darts")
    assert "--model-option variant=swap-proxy" in command
    assert "--proxy-option swap.reinit=gaussian --proxy-option swap.conv_only=True" in command
