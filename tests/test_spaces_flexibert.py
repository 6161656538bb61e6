"""FlexiBERT space: all 500 benchmark records parse and round-trip, golden parameter counts, every op runs."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
import torch

from swap_engine import spaces
from swap_engine.spaces.flexibert import Encoder, Layer, _dct_basis, to_json

DATA = Path(os.environ.get("SWAP_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
BENCHMARK = DATA / "flexibert" / "BERT_benchmark.json"
SPACE = spaces.get("flexibert")

EVERY_OP = [
    "h256|SA-SDP-h4-ff1024x3|SA-WMA-h2-ff512x1",
    "h128|LT-DFT-h2-ff512x1|LT-DCT-h4-ff1024x3",
    "h256|DSC-5-h2-ff512x1|DSC-9-h4-ff1024x3",
]


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def records() -> list[dict]:
    if not BENCHMARK.exists():
        pytest.skip(f"{BENCHMARK} absent (set SWAP_DATA to the shared data folder)")
    return json.loads(BENCHMARK.read_text())


def test_registered() -> None:
    assert SPACE.benchmark == "flexibert-500"
    assert SPACE.input_spec.kind == "tokens" and SPACE.input_spec.vocab_size == 30522
    # 2 hidden sizes x (48^2 + 48^4) layer stacks, 48 = 6 ops x 2 heads x 2 FFN sizes x 2 FFN counts
    assert SPACE.size == 2 * (48**2 + 48**4)


def test_all_500_records_parse_and_round_trip() -> None:
    for record in records():
        overrides = record["hparams"]["model_hparam_overrides"]
        arch = SPACE.parse(json.dumps(overrides))
        assert to_json(arch) == overrides
        assert SPACE.parse(SPACE.format(arch)) == arch


def test_compact_text() -> None:
    arch = SPACE.parse("h256|SA-WMA-h4-ff1024x3|DSC-9-h2-ff512x1")
    assert arch == Encoder(256, (Layer("SA", "WMA", 4, 1024, 3), Layer("DSC", 9, 2, 512, 1)))
    assert SPACE.format(arch) == "h256|SA-WMA-h4-ff1024x3|DSC-9-h2-ff512x1"


@pytest.mark.parametrize(
    "text, message",
    [
        ("h300|SA-SDP-h4-ff512x1", "hidden_size 300"),
        ("h256|SA-DFT-h4-ff512x1", "SA-DFT"),
        ("h256|SA-SDP-h3-ff512x1", "heads 3"),
        ("h256|SA-SDP-h4-ff512", "layer 0"),
        ("256|SA-SDP-h4-ff512x1", "h<hidden size>"),
        ('{"hidden_size": 256}', "nas_config"),
        ('{"hidden_size": 256, "nas_config": {"encoder_layers": [{"operation_type": "SA"}]}}', "lacks"),
        ("{not json", "malformed"),
    ],
)
def test_bad_input_names_the_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SPACE.parse(text)


def test_golden_param_counts() -> None:
    """Counted by hand from the reference code (training-free-nas modeling_electra.py, ElectraConfig defaults:
    embedding 128, vocab 30522, 512 positions, 2 token types; `reference_dims` = hidden 256, FFN 1024):
    embeddings 30522*128 + 512*128 + 2*128 + LN 256 = 3,972,864; projection 128->256 = 33,024.
    SA-SDP layer op: q,k,v 3*65,792 + dense 65,792 + LN 512 = 263,680; WMA adds a 256x256 matrix (65,536).
    LT op: one 256->256 linear (65,792), no dense/LN after it. DSC (k, heads//2 attention heads, width 128):
    q,k,v 3*(256*128+128) + depthwise 256*k + pointwise 256*128 + bias 128 + kernel linear 128->(heads//2)*k
    + conv_out 256*128+128 + dense 65,792 + LN 512.
    FFN (F, m blocks): 256*F+F + (m-1)*(F*F+F) + F*256+256 + LN 512."""
    sa, lt, dsc = (SPACE.parse(text) for text in EVERY_OP)
    embeddings, projection = 3_972_864, 33_024
    ffn_1024x3 = 263_168 + 2 * 1_049_600 + 262_400 + 512
    ffn_1024x1 = 263_168 + 262_400 + 512
    assert count(SPACE.build(sa, reference_dims=True)) == (
        embeddings + projection + (263_680 + ffn_1024x3) + (263_680 + 65_536 + ffn_1024x1)
    ) == 7_750_144
    # as the JSON says: the second layer's FFN is 512 wide
    ffn_512x1_h256 = (256 * 512 + 512) + (512 * 256 + 256) + 512
    assert count(SPACE.build(sa)) == embeddings + projection + 263_680 + ffn_1024x3 + 329_216 + ffn_512x1_h256
    dsc5_h2 = 3 * 32_896 + (256 * 5 + 32_768 + 128) + (128 * 5 + 5) + 32_896 + 66_304
    dsc9_h4 = 3 * 32_896 + (256 * 9 + 32_768 + 128) + (128 * 18 + 18) + 32_896 + 66_304
    assert count(SPACE.build(dsc, reference_dims=True)) == 7_625_367 == (
        embeddings + projection + dsc5_h2 + ffn_1024x1 + dsc9_h4 + ffn_1024x3
    )
    # hidden 128: no projection; LT op 128->128 (16,512); FFN 512x1 at 128 = 66,048 + 65,664 + 256
    ffn_1024x3_h128 = (128 * 1024 + 1024) + 2 * 1_049_600 + (1024 * 128 + 128) + 256
    assert count(SPACE.build(lt)) == embeddings + (16_512 + 131_968) + (16_512 + ffn_1024x3_h128) == 6_500_608


@pytest.mark.parametrize("text", EVERY_OP)
def test_forward_every_op_with_and_without_mask(text: str) -> None:
    arch = SPACE.parse(text)
    torch.manual_seed(0)
    ids = torch.randint(1, 30522, (2, 16))
    mask = torch.ones(2, 16, dtype=torch.long)
    mask[1, 10:] = 0
    for reference_dims in (False, True):
        model = SPACE.build(arch, reference_dims=reference_dims, dropout=0.0).eval()
        hidden = 256 if reference_dims else arch.hidden_size
        plain = model(ids)
        masked = model(ids, attention_mask=mask)
        assert plain.shape == masked.shape == (2, 16, hidden)
        assert torch.isfinite(masked).all()
        # the unpadded sequence is unaffected by the mask; the padded one changes
        assert torch.allclose(plain[0], masked[0], atol=1e-5)
        assert not torch.allclose(plain[1, :10], masked[1, :10], atol=1e-5)


def test_mask_hides_padding_content() -> None:
    """With a mask, what sits in padded positions cannot change the real tokens' outputs."""
    model = SPACE.build(SPACE.parse("h128|SA-SDP-h2-ff512x1|LT-DCT-h2-ff512x1|DSC-9-h4-ff512x1"), dropout=0.0).eval()
    ids = torch.randint(1, 30522, (1, 16))
    other = ids.clone()
    other[0, 12:] = 7
    mask = torch.ones(1, 16)
    mask[0, 12:] = 0
    assert torch.allclose(model(ids, mask)[0, :12], model(other, mask)[0, :12], atol=1e-5)


def test_dct_basis_matches_scipy() -> None:
    scipy_fft = pytest.importorskip("scipy.fft")
    x = torch.randn(6, 5, dtype=torch.float64)
    ours = _dct_basis(6, x.device, x.dtype) @ x @ _dct_basis(5, x.device, x.dtype).T
    assert torch.allclose(ours, torch.from_numpy(scipy_fft.dctn(x.numpy(), type=2)))


def test_dropout_option_and_gelu_modules() -> None:
    model = SPACE.build(SPACE.parse(EVERY_OP[0]), dropout=0.25)
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.25}
    assert sum(isinstance(m, torch.nn.GELU) for m in model.modules()) == 2  # one per layer, used per FFN block
    with pytest.raises(ValueError, match="dropout"):
        SPACE.build(SPACE.parse(EVERY_OP[0]), dropout=1.5)


def test_sample_distinct_reproducible() -> None:
    first = SPACE.sample(30, seed=5)
    assert first == SPACE.sample(30, seed=5) and len(set(first)) == 30
    assert first != SPACE.sample(30, seed=6)
    assert {len(arch.layers) for arch in first} == {2, 4}


def test_mutate_changes_one_thing() -> None:
    rng = random.Random(0)
    for arch in SPACE.sample(20, seed=1):
        child = SPACE.mutate(arch, rng)
        assert child != arch and len(child.layers) == len(arch.layers)
        changed_layers = sum(a != b for a, b in zip(arch.layers, child.layers))
        assert changed_layers + (child.hidden_size != arch.hidden_size) == 1
        SPACE.parse(SPACE.format(child))  # still valid


def test_properties_and_graph() -> None:
    arch = SPACE.parse(EVERY_OP[2])
    assert SPACE.properties(arch) == {"layers": 2, "hidden_size": 256, "SA": 0, "LT": 0, "DSC": 2, "heads": 6,
                                      "ffn_blocks": 4}
    assert SPACE.graph(arch) == [("embeddings", "layer 1", "DSC-5"), ("layer 1", "layer 2", "DSC-9")]


def test_swap_score_small_batch() -> None:
    from swap_engine import swap_score
    model = SPACE.build(SPACE.parse(EVERY_OP[0]))
    result = swap_score(model, torch.randint(1, 30522, (4, 16)))
    assert result.score > 0
