"""The `score` command end to end on a tiny NB201 network and Gaussian inputs (no data files needed)."""
import json

from swap_engine.cli import main

ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"


def test_score_json(capsys, tmp_path):
    out_csv = tmp_path / "scores.csv"
    code = main(["score", "--space", "nb201", "--arch", ARCH, "--sample", "1", "--input", "gaussian",
                 "--batch-size", "8", "--model-option", "C=4", "--model-option", "N=1", "--json",
                 "--csv", str(out_csv)])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and rows[0]["arch"] == ARCH
    assert 0 < rows[0]["score"] <= rows[0]["bound"] <= rows[0]["neurons"]
    assert out_csv.read_text().startswith("arch,score,")


def test_score_bad_input_is_one_line(capsys):
    assert main(["score", "--space", "nb201", "--arch", "|nor_conv_9x9~0|+|x|+|y|", "--input", "gaussian"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert main(["score", "--space", "nb999", "--sample", "1"]) == 2
    assert "unknown search space" in capsys.readouterr().err


def test_score_csv_resumes_and_shards(capsys, tmp_path):
    out_csv = tmp_path / "all.csv"
    common = ["score", "--space", "nb201", "--sample", "4", "--input", "gaussian", "--batch-size", "4",
              "--model-option", "C=2", "--model-option", "N=1", "--csv", str(out_csv), "--json"]
    assert main(common + ["--shard", "0/2"]) == 0
    first = out_csv.read_text().splitlines()
    assert len(first) == 1 + 2
    assert main(common) == 0  # resumes: scores only the two it lacks
    lines = out_csv.read_text().splitlines()
    assert len(lines) == 1 + 4 and lines[:3] == first
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(printed) == 4
