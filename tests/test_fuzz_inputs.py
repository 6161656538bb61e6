"""Every text and option a user can type is answered in words (issue 27): each space's parser and the model
options path, fuzzed with hypothesis, either accept the input or raise a `ValueError` of bounded length,
never another exception, and never echo a long input whole."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swap_engine import models, spaces
from swap_engine.words import MAX_TEXT

SPACES = ["nb201", "nb101", "darts", "flexibert", "zoo"]
MAX_MESSAGE = 1200  # characters: a few lines in a red box (the zoo lists its 64 names), whatever was typed
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

numbers = st.integers(min_value=-10**30, max_value=10**30)
naslib_tuples = st.lists(numbers, max_size=60).map(lambda xs: "(" + ", ".join(map(str, xs)) + ")")
compact = st.lists(st.lists(st.tuples(numbers, numbers), max_size=10), max_size=3).map(str)
json_values = st.recursive(st.none() | st.booleans() | numbers | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                      max_size=4), max_leaves=12)
flexibert_json = st.fixed_dictionaries({"hidden_size": json_values, "nas_config": json_values}).map(json.dumps)
small = st.integers(min_value=-3, max_value=9)
nb101_like = st.sampled_from([2, 3, 4, 5, 6, 7]).flatmap(
    lambda n: st.lists(small, min_size=n * n + n, max_size=n * n + n)).map(lambda xs: str(tuple(xs)))
darts_compact = st.lists(st.lists(st.tuples(small, small), min_size=8, max_size=8), min_size=2, max_size=2).map(str)
darts_ops = st.sampled_from(["none", "skip_connect", "sep_conv_3x3", "max_pool_3x3", "dil_conv_5x5", "x", ""])
darts_genotype = st.tuples(*[st.lists(st.tuples(darts_ops, small), min_size=0, max_size=9) for _ in range(2)],
                           st.lists(small, max_size=5), st.sampled_from(["range(2, 6)", "range(0, 10**9)",
                                                                         "range(2, 1000000000)", "[2, 3, 4, 5]"])
                           ).map(lambda g: f"Genotype(normal={g[0]}, normal_concat={g[2]}, reduce={g[1]}, "
                                           f"reduce_concat={g[3]})")
flexibert_layers = st.lists(st.dictionaries(st.sampled_from(
    ["operation_type", "operation_parameter", "num_operation_heads", "feed_forward_dimension", "num_feed_forward"]),
    json_values | small | st.sampled_from(["SA", "SDP", "DSC", 5]), min_size=4), max_size=5).map(
    lambda layers: json.dumps({"hidden_size": 128, "nas_config": {"encoder_layers": layers}}))
flexibert_text = st.tuples(st.sampled_from(["h128", "h256", "h", "h0", "h99999999"]), st.lists(st.from_regex(
    r"(SA|LT|DSC|XX)-(SDP|WMA|DFT|DCT|\d{1,3})-h\d{1,3}-ff\d{1,12}x\d{1,3}", fullmatch=True), max_size=5)).map(
    lambda t: "|".join([t[0], *t[1]]))
typed = st.one_of(st.text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=80), naslib_tuples, compact,
                  numbers.map(str), flexibert_json, json_values.map(json.dumps), nb101_like, darts_compact,
                  darts_genotype, flexibert_layers, flexibert_text,
                  st.sampled_from(["|", "|nor_conv_3x3∼0|+|none~0|none~1|+|none~0|none~1|none~2|", "Genotype(",
                                   "Genotype(normal=[('x', 0)])", "h128|", "h128|SA-SDP-h99-ff1x1", "[[(0, 99)]]",
                                   "15625", "-1", "()", "[]", "{}", "resnet18\x00", "\u00a0resnet18"]))


def answered(call, *args) -> None:
    try:
        call(*args)
    except ValueError as err:
        assert len(str(err)) <= MAX_MESSAGE, str(err)[:200]


@pytest.mark.parametrize("name", SPACES)
@FUZZ
@given(text=typed)
def test_every_parser_answers_in_words(name, text):
    answered(spaces.get(name).parse, text)


@pytest.mark.parametrize("name", SPACES)
@pytest.mark.parametrize("text", ["x" * 20_000, "|" + "nor_conv_3x3~0|" * 2_000, "(" + "1, " * 9_000 + ")",
                                  "[" * 5_000 + "]" * 5_000, '{"hidden_size": ' + "[" * 3_000 + "]" * 3_000 + "}"])
def test_huge_text_is_quoted_short(name, text):
    with pytest.raises(ValueError) as err:
        spaces.get(name).parse(text)
    message = str(err.value)
    assert len(message) <= MAX_MESSAGE and (len(text) <= MAX_TEXT or f"({len(text):,} characters)" in message)


def test_a_look_alike_character_is_named_with_its_code_point():
    text = "|nor_conv_3x3∼0|+|none~0|none~1|+|none~0|none~1|none~2|"
    with pytest.raises(ValueError, match=r"U\+223C TILDE OPERATOR.*did you mean '~'"):
        spaces.get("nb201").parse(text)


@pytest.mark.parametrize("name", SPACES)
@FUZZ
@given(options=st.one_of(st.dictionaries(st.text(max_size=12) | st.sampled_from(["C", "N", "layers", "variant"]),
                                         json_values, max_size=4),
                         st.dictionaries(st.sampled_from(["C", "N", "layers", "stem_channels", "stacks",
                                                          "num_classes", "dropout", "reference_dims"]),
                                         numbers | st.floats() | st.booleans(), max_size=3),
                         json_values))
def test_model_options_are_answered_in_words(monkeypatch, name, options):
    monkeypatch.setenv(models.MEMORY_ENV, "256MB")
    space = spaces.get(name)
    answered(models.check, space, space.example(), options)


@FUZZ
@given(text=typed | st.sampled_from(["[" * 100_000, '{"C": ' + "9" * 5_000 + "}", "{" * 50_000]))
def test_the_apps_model_options_box_answers_in_words(text):
    from ui.state import parse_build_options

    answered(parse_build_options, text)
