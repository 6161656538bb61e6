"""Real English text with no download: the documentation topics that ship with Python (`pydoc_data`).

A WordPiece vocabulary is trained on that text with the `tokenizers` package the first time it is needed
and saved as JSON, so every later run on the machine sees the same token ids. (The trainer breaks ties in
hash order, so two fresh trainings differ slightly; the saved file is what keeps results stable. The topics
text also changes between Python versions; the file name carries a hash of the text it was trained on.)
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path

from swap_engine.data.files import data_dir

VOCAB_SIZE = 30522  # the transformer space's default embedding size; the trained vocabulary is smaller
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PASSAGE_WORDS = 100  # ~130+ tokens: most passages fill the default 128 positions, as web documents would
MIN_WORDS = 20  # a topic's short remainder below this is dropped (headings, one-line examples)


@functools.lru_cache(maxsize=1)
def _topics_text() -> tuple[tuple[str, str], ...]:
    from pydoc_data.topics import topics

    return tuple(sorted(topics.items()))


@functools.lru_cache(maxsize=1)
def passages() -> tuple[str, ...]:
    """The text samples, in topic-name order: consecutive paragraphs of one topic joined until the passage
    has PASSAGE_WORDS words (whitespace normalised); a topic's last passage may be shorter, hence padded."""
    found = []
    for _, body in _topics_text():
        words: list[str] = []
        for paragraph in re.split(r"\n\s*\n", body):
            words += paragraph.split()
            if len(words) >= PASSAGE_WORDS:
                found.append(" ".join(words))
                words = []
        if len(words) >= MIN_WORDS:
            found.append(" ".join(words))
    return tuple(found)


def _corpus_hash() -> str:
    digest = hashlib.sha256()
    for name, text in _topics_text():
        digest.update(name.encode())
        digest.update(text.encode())
    return digest.hexdigest()[:12]


def _writable(folder: Path) -> bool:
    """Writable and not marked read-only: the mode bits count even for root, who `os.access` lets through."""
    return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & stat.S_IWUSR)


def tokenizer_path() -> Path:
    """Where the trained tokenizer is kept: the data directory, or the user cache when that is read-only
    (a shared, read-only `SWAP_DATA` is never written to)."""
    name = f"text/wordpiece-pydoc-{_corpus_hash()}.json"
    root = data_dir()
    if not root.exists() or _writable(root):
        return root / name
    import platformdirs

    return Path(platformdirs.user_cache_dir("swap-explorer")) / name


def _train():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=VOCAB_SIZE, special_tokens=list(SPECIAL_TOKENS),
                                        show_progress=False)
    tok.train_from_iterator([text for _, text in _topics_text()], trainer=trainer)
    return tok


@functools.lru_cache(maxsize=4)
def _load_or_train(path: Path):
    from tokenizers import Tokenizer

    if path.is_file():
        return Tokenizer.from_file(str(path))
    tok = _train()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".json", delete=False) as tmp:
        tmp.write(tok.to_str())
    os.replace(tmp.name, path)  # atomic: a concurrent reader never sees half a file
    return Tokenizer.from_file(str(path))


def tokenizer():
    """The project's WordPiece tokenizer (a `tokenizers.Tokenizer`), trained once and then loaded."""
    return _load_or_train(tokenizer_path())


def encode(texts: list[str], seq_len: int) -> tuple[list[list[int]], list[list[int]]]:
    """Token ids `[CLS] ... [SEP]` padded with `[PAD]` (id 0) to seq_len, and the attention masks."""
    tok = tokenizer()
    pad, cls, sep = (tok.token_to_id(t) for t in ("[PAD]", "[CLS]", "[SEP]"))
    ids_rows, mask_rows = [], []
    for encoding in tok.encode_batch(texts, add_special_tokens=False):
        ids = [cls, *encoding.ids[: max(seq_len - 2, 0)], sep][:seq_len]
        ids_rows.append(ids + [pad] * (seq_len - len(ids)))
        mask_rows.append([1] * len(ids) + [0] * (seq_len - len(ids)))
    return ids_rows, mask_rows
