"""Regularised evolution on a toy space (fast, exact), plus a tiny real NB201 search when the pieces exist."""
from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from swap_engine import cli
from swap_engine.search import History, Record, Score, Search, evolve, random_search, resolve_target


class ToySpace:
    """Tuples of `length` digits in 0..`values`-1; the fitness below rewards large digits."""

    benchmark = None

    def __init__(self, length: int = 6, values: int = 5, name: str = "toy") -> None:
        self.length, self.values, self.name = length, values, name

    def format(self, arch):
        return "-".join(map(str, arch))

    def parse(self, text):
        return tuple(int(part) for part in text.split("-"))

    def sample(self, n, seed=0):
        rng, seen = random.Random(seed), []
        while len(seen) < n:
            arch = tuple(rng.randrange(self.values) for _ in range(self.length))
            if arch not in seen:
                seen.append(arch)
        return seen

    def mutate(self, arch, rng):
        where = rng.randrange(self.length)
        new = rng.choice([v for v in range(self.values) if v != arch[where]])
        return arch[:where] + (new,) + arch[where + 1:]


class CrossingToySpace(ToySpace):
    def crossover(self, a, b, rng):
        return tuple(x if rng.random() < 0.5 else y for x, y in zip(a, b))


def toy_fitness(arch):
    return Score(float(sum(v * (i + 1) for i, v in enumerate(arch))), raw=float(sum(arch)), params=len(arch))


def steps(history):
    return [(r.step, r.arch, r.score, r.cached) for r in history.records]


def test_evolution_beats_its_initial_population():
    result = evolve(ToySpace(), toy_fitness, budget=150, population=20, sample_size=5, seed=1)
    initial = [r.score for r in result.history.records[:20]]
    assert result.evaluations == 150 and result.stopped == "budget"
    assert result.best.score > max(initial) > sum(initial) / len(initial)
    assert result.best.score >= 0.9 * 4 * 21  # the toy optimum is all 4s: 84


def test_same_seed_same_search_and_other_seed_differs():
    first = evolve(ToySpace(), toy_fitness, budget=60, seed=3, mutations=2)
    again = evolve(ToySpace(), toy_fitness, budget=60, seed=3, mutations=2)
    other = evolve(ToySpace(), toy_fitness, budget=60, seed=4, mutations=2)
    assert steps(first.history) == steps(again.history)
    assert steps(first.history) != steps(other.history)


def test_duplicates_are_not_rescored_and_do_not_count():
    calls = []
    result = evolve(ToySpace(length=3, values=3), lambda a: calls.append(a) or sum(a), budget=20, population=6,
                    sample_size=3, seed=0)
    assert len(calls) == len(set(calls)) == result.evaluations == 20
    cached = [r for r in result.history.records if r.cached]
    assert cached and all(r.seconds == 0.0 for r in cached)
    assert len(result.history.records) == 20 + len(cached)


def test_resume_continues_exactly(tmp_path: Path):
    space = CrossingToySpace()
    whole = evolve(space, toy_fitness, budget=30, population=8, sample_size=3, crossover=True, seed=7)
    half = evolve(space, toy_fitness, budget=15, population=8, sample_size=3, crossover=True, seed=7)
    saved = tmp_path / "history.jsonl"
    saved.write_text(half.history.dumps())
    calls = []

    def counting(arch):
        calls.append(arch)
        return toy_fitness(arch)

    resumed = evolve(space, counting, budget=30, population=8, sample_size=3, crossover=True, seed=7,
                     history=History.loads(saved.read_text()))
    assert steps(resumed.history) == steps(whole.history)
    assert len(calls) == 15  # the first 15 evaluations came from the file
    assert resumed.best == whole.best or resumed.best.arch == whole.best.arch


def test_resume_refuses_other_settings_and_other_histories():
    half = evolve(ToySpace(), toy_fitness, budget=15, population=8, sample_size=3, seed=7)
    with pytest.raises(ValueError, match="sample_size"):
        Search(ToySpace(), toy_fitness, population=8, sample_size=4, seed=7, history=half.history)
    forged = History(half.history.settings, [Record(0, "0-0-0-0-0-0", 1.0)])
    with pytest.raises(ValueError, match="step 0"):
        Search(ToySpace(), toy_fitness, population=8, sample_size=3, seed=7, history=forged).step()


def test_time_budget_stops():
    def slow(arch):
        time.sleep(0.01)
        return sum(arch)

    result = evolve(ToySpace(), slow, seconds=0.15, population=5, sample_size=2)
    assert result.stopped == "time"
    assert 1 <= result.evaluations < 40 and result.seconds < 1.0


def test_exhausted_space_stops():
    result = evolve(ToySpace(length=1, values=3), lambda a: a[0], budget=10, population=2, sample_size=1)
    assert result.stopped == "exhausted" and result.evaluations == 3 and result.best.arch == "2"


def test_crossover_only_where_the_space_has_it():
    assert Search(CrossingToySpace(), toy_fitness, crossover=True).crossover
    assert not Search(ToySpace(), toy_fitness, crossover=True).crossover
    result = evolve(CrossingToySpace(), toy_fitness, budget=100, crossover=True, seed=2)
    assert result.best.score >= 0.9 * 84


def test_step_by_step_matches_run():
    search = Search(ToySpace(), toy_fitness, seed=5)
    for _ in range(40):
        search.step()
    assert steps(search.history) == steps(evolve(ToySpace(), toy_fitness, budget=search.evaluations,
                                                 seed=5).history)[:40]


def test_random_search_returns_best_of_distinct_samples():
    result = random_search(ToySpace(), toy_fitness, 25, seed=1)
    scores = [r.score for r in result.history.records]
    assert len({r.arch for r in result.history.records}) == 25
    assert result.best.score == max(scores)


@pytest.mark.parametrize("bad, message", [
    (dict(population=1), "population"), (dict(sample_size=30), "sample_size"), (dict(mutations=0), "mutations"),
])
def test_bad_settings_name_the_setting(bad, message):
    with pytest.raises(ValueError, match=message):
        Search(ToySpace(), toy_fitness, **bad)


def test_bad_history_text_says_where():
    with pytest.raises(ValueError, match="line 1"):
        History.loads('{"arch": "x"}\n')
    good = evolve(ToySpace(), toy_fitness, budget=3, population=3, sample_size=2).history.dumps()
    with pytest.raises(ValueError, match="line 3"):
        History.loads(good.replace('"step": 1', '"step": 5'))
    with pytest.raises(ValueError, match="unknown fields"):
        History.loads(good.replace('"cached"', '"cachd"'))
    header = good.splitlines()[0]
    with pytest.raises(ValueError, match="'score' has the wrong type"):
        History.loads(header + '\n{"step": 0, "arch": "1-2", "score": "high"}\n')
    with pytest.raises(ValueError, match="'cached' has the wrong type"):
        History.loads(header + '\n{"step": 0, "arch": "1-2", "score": 1, "cached": 1}\n')


def test_non_finite_fitness_is_a_failed_evaluation():
    result = evolve(ToySpace(), lambda a: float("nan"), budget=2, population=2, sample_size=1)
    assert all(r.failed and "finite" in r.error for r in result.history.records)
    assert result.best is None


def failing_fitness(arch):
    """The toy fitness, but architectures starting with 0 raise (as googlenet does in the zoo)."""
    if arch[0] == 0:
        raise TypeError(f"cannot score {arch}")
    return toy_fitness(arch)


def test_failing_evaluations_are_recorded_and_skipped_and_resume():
    result = evolve(ToySpace(), failing_fitness, budget=60, population=10, sample_size=3, seed=2)
    failed = [r for r in result.history.records if r.failed]
    assert failed and result.stopped == "budget" and result.evaluations == 60
    assert all(r.arch.startswith("0-") and r.error.startswith("TypeError: cannot score") for r in failed)
    assert not result.best.failed and result.best.score == max(r.score for r in result.history.records
                                                               if not r.failed)
    text = result.history.dumps()
    assert '"error": null' not in text and '"error": "TypeError' in text
    half = History.loads(text)
    half.records = half.records[:25]
    resumed = Search(ToySpace(), failing_fitness, population=10, sample_size=3, seed=2, history=half)
    resumed.run(budget=60)
    same = lambda history: [(r.step, r.arch, None if r.failed else r.score, r.cached) for r in history.records]  # noqa: E731 - NaN != NaN
    assert same(resumed.history) == same(result.history)
    assert [r.error for r in resumed.history.records] == [r.error for r in result.history.records]


def test_cli_refuses_a_malformed_regularize(capsys):
    with pytest.raises(SystemExit):
        cli.main(["search", "--regularize", "25,x"])
    assert "MU,SIGMA" in capsys.readouterr().err


def test_target_shorthand():
    columns = ["cifar10_test_acc_pct", "cifar100_test_acc_pct", "imagenet16_test_acc_pct"]
    assert resolve_target(columns, "cifar100-test") == "cifar100_test_acc_pct"
    assert resolve_target(columns, "imagenet16_test_acc_pct") == "imagenet16_test_acc_pct"
    assert resolve_target(columns, None) == "cifar10_test_acc_pct"
    assert resolve_target(["glue_avg_score"], "glue-avg") == "glue_avg_score"
    with pytest.raises(ValueError, match=r"unknown target 'cifar11-test'.*cifar100_test_acc_pct \(cifar100-test\)"):
        resolve_target(columns, "cifar11-test")
    with pytest.raises(ValueError, match="ambiguous target 'cifar10'"):
        resolve_target(columns + ["cifar10_valid_acc_pct"], "cifar10")


# ---- real pieces: NB201 space, CIFAR-10 inputs, the SWAP engine ----

def _real_nb201():
    os.environ.setdefault("SWAP_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    try:
        import swap_engine
        from swap_engine import data, spaces

        swap_engine.swap_score  # noqa: B018 - exists?
        space = spaces.get("nb201")
        data.inputs("cifar10", 2)
    except (ImportError, AttributeError, ValueError) as err:
        pytest.skip(f"real NB201 search needs the nb201 space, CIFAR-10 inputs and swap_score: {err}")
    return space


def test_cli_json_on_a_tiny_nb201_search(capsys, tmp_path):
    _real_nb201()
    history = tmp_path / "h.jsonl"
    argv = ["search", "--space", "nb201", "--budget", "3", "--population", "2", "--sample-size", "1",
            "--batch-size", "4", "--target", "cifar100-test", "--history", str(history), "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"best_arch", "best_score", "evaluations", "seconds"} <= set(out)
    assert out["evaluations"] == 3 and out["best_arch"].startswith("|")
    if "true_accuracy" in out:
        assert out["target"] == "cifar100_test_acc_pct" and 0 < out["true_accuracy"] < 100
    lines = history.read_text().splitlines()
    assert len(lines) == 4  # settings + 3 steps
    # resuming to a larger budget only scores the new architectures, and appends them
    assert cli.main(argv[:4] + ["5"] + argv[5:]) == 0
    assert json.loads(capsys.readouterr().out)["evaluations"] == 5
    assert History.loads(history.read_text()).records[:3] == History.loads("\n".join(lines)).records


def test_cli_darts_prints_a_full_genotype(capsys):
    _real_nb201()
    from swap_engine import spaces

    try:
        darts = spaces.get("darts")
    except ValueError as err:
        pytest.skip(f"no darts space yet: {err}")
    assert cli.main(["search", "--space", "darts", "--budget", "3", "--population", "2", "--sample-size", "1",
                     "--batch-size", "4"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("best architecture: "))
    genotype = line.removeprefix("best architecture: ")
    assert genotype.startswith("Genotype(normal=[") and genotype.endswith("reduce_concat=[2, 3, 4, 5])")
    assert darts.format(darts.parse(genotype)) == genotype
