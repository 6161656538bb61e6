"""Inputs: shapes, normalisation, seeding, errors; the tokenizer built from Python's documentation topics."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from swap_engine import data
from swap_engine.data import text
from swap_engine.data.batches import CIFAR_MEAN, CIFAR_STD

SHARED = Path(os.environ.get("SWAP_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
needs_cifar = pytest.mark.skipif(not (SHARED / "cifar10" / "test.npz").is_file(),
                                 reason=f"CIFAR-10 npz files not found in {SHARED} (set SWAP_DATA)")


@pytest.fixture
def shared(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(SHARED))


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    """A writable data directory for the tokenizer, trained once for the whole module."""
    return tmp_path_factory.mktemp("text-data")


@pytest.fixture
def writable(monkeypatch, text_dir):
    monkeypatch.setenv("SWAP_DATA", str(text_dir))


def test_input_names_have_descriptions():
    assert data.input_names() == ["cifar10", "cifar10-16", "gaussian", "text", "random-tokens"]


@needs_cifar
def test_cifar10_first_training_images_in_canonical_order(shared):
    batch = data.inputs("cifar10", 16)
    assert batch.x.shape == (16, 3, 32, 32) and batch.x.dtype == torch.float32
    # The first CIFAR-10 training labels: frog, truck, truck, deer, automobile, automobile, bird, horse, ...
    assert batch.y.tolist()[:8] == [6, 9, 9, 4, 1, 1, 2, 7]
    raw = np.load(SHARED / "cifar10" / "train_first10000.npz")["images"][0, 0, 0] / 255
    expected = (raw - np.array(CIFAR_MEAN)) / np.array(CIFAR_STD)
    assert torch.allclose(batch.x[0, :, 0, 0], torch.tensor(expected, dtype=torch.float32), atol=1e-5)
    assert batch.attention_mask is None and "CIFAR-10" in batch.description


@needs_cifar
def test_cifar10_test_split_is_normalised(shared):
    x = data.inputs("cifar10", 2000, split="test").x
    assert torch.allclose(x.mean((0, 2, 3)), torch.zeros(3), atol=0.05)
    assert torch.allclose(x.std((0, 2, 3)), torch.ones(3), atol=0.05)


@needs_cifar
def test_seeded_sample_is_reproducible_and_differs_from_first(shared):
    a = data.inputs("cifar10", 8, seed=3)
    assert torch.equal(a.x, data.inputs("cifar10", 8, seed=3).x)
    assert not torch.equal(a.x, data.inputs("cifar10", 8, seed=4).x)
    assert not torch.equal(a.x, data.inputs("cifar10", 8).x)


@needs_cifar
@pytest.mark.parametrize("resolution", [3, 15, 32, 40])
def test_resolution_resizes(shared, resolution):
    assert data.inputs("cifar10", 4, resolution=resolution).x.shape == (4, 3, resolution, resolution)


@needs_cifar
def test_cifar10_16_is_area_downsampled(shared):
    full = data.inputs("cifar10", 4).x
    small = data.inputs("cifar10-16", 4)
    assert small.x.shape == (4, 3, 16, 16)
    assert torch.allclose(small.x, torch.nn.functional.avg_pool2d(full, 2), atol=1e-6)
    assert "ImageNet16-120" in small.description


def test_gaussian_is_seeded_noise():
    a = data.inputs("gaussian", 64, seed=1)
    assert a.x.shape == (64, 3, 32, 32) and a.y is None
    assert torch.equal(a.x, data.inputs("gaussian", 64, seed=1).x)
    assert abs(a.x.mean().item()) < 0.02 and abs(a.x.std().item() - 1) < 0.02
    assert data.inputs("gaussian", 2, resolution=15).x.shape == (2, 3, 15, 15)


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="cifar11", batch_size=4), "unknown input 'cifar11'"),
    (dict(name="gaussian", batch_size=0), "batch_size"),
    (dict(name="gaussian", batch_size=4, resolution=0), "resolution"),
    (dict(name="gaussian", batch_size=4, split="valid"), "unknown split 'valid'"),
    (dict(name="text", batch_size=4, resolution=32), "use seq_len"),
    (dict(name="gaussian", batch_size=4, seq_len=16), "use resolution"),
    (dict(name="text", batch_size=100_000), "larger than the split"),
])
def test_bad_requests_are_value_errors(writable, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.inputs(**kwargs)


@needs_cifar
def test_batch_larger_than_split(shared):
    with pytest.raises(ValueError, match="larger than the split"):
        data.inputs("cifar10", 10_001)


def test_missing_cifar_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(tmp_path))
    with pytest.raises(data.MissingDataError, match="data fetch cifar10") as err:
        data.inputs("cifar10", 2)
    assert "cifar-10-python.tar.gz" in str(err.value) and str(tmp_path) in str(err.value)


def test_tokenizer_is_trained_on_pydoc_topics_and_cached(writable, text_dir):
    tok = text.tokenizer()
    path = text.tokenizer_path()
    assert path.is_file() and path.is_relative_to(text_dir)
    assert 1000 < tok.get_vocab_size() <= text.VOCAB_SIZE
    assert [tok.token_to_id(t) for t in text.SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert tok.encode("the with statement", add_special_tokens=False).tokens == ["the", "with", "statement"]
    before = path.stat().st_mtime_ns
    text._load_or_train.cache_clear()
    text.tokenizer()  # loaded from the file, not retrained
    assert path.stat().st_mtime_ns == before


def test_text_batch(writable):
    batch = data.inputs("text", 8)
    assert batch.x.shape == batch.attention_mask.shape == (8, 128) and batch.x.dtype == torch.int64
    assert (batch.x[:, 0] == 2).all()  # [CLS]
    lengths = batch.attention_mask.sum(1)
    assert (lengths > 20).all()
    assert ((batch.x == 0) == (batch.attention_mask == 0)).all()  # padding exactly where masked
    assert torch.equal(batch.x, data.inputs("text", 8).x)
    assert data.inputs("text", 4, seq_len=16, seed=0).x.shape == (4, 16)
    assert len(text.passages()) >= 128  # the reference's transformer batch size fits


def test_random_tokens(writable):
    batch = data.inputs("random-tokens", 4, seq_len=32, seed=5)
    assert batch.x.shape == (4, 32) and bool(batch.attention_mask.all())
    assert int(batch.x.max()) < text.VOCAB_SIZE
    assert torch.equal(batch.x, data.inputs("random-tokens", 4, seq_len=32, seed=5).x)


def test_device_argument_puts_tensors_there(writable):
    batch = data.inputs("text", 2, device="cpu")
    assert batch.x.device.type == batch.attention_mask.device.type == "cpu"


def test_read_only_data_dir_is_never_written(tmp_path, monkeypatch):
    shared_copy = tmp_path / "read-only"
    shared_copy.mkdir()
    shared_copy.chmod(0o555)  # like ../shared/data; root may still write, so the mode bits must be honoured
    monkeypatch.setenv("SWAP_DATA", str(shared_copy))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert text.tokenizer_path().is_relative_to(tmp_path / "cache")
    assert data.inputs("text", 2).x.shape == (2, 128)
    assert list(shared_copy.iterdir()) == []
