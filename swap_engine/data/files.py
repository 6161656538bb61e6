"""Every data file the project reads: where it lives, where it comes from, and how to check it.

The data directory is `SWAP_DATA` when set, else a per-user cache directory. Nothing is downloaded
implicitly: readers call `require`, which raises `MissingDataError` saying the exact command to run;
`fetch` downloads with `pooch` (pinned commit, sha256, progress) and never keeps a file that fails its
checksum. CIFAR-10 is the official archive at the URL and md5 torchvision pins, extracted and read by
torchvision's own loader (the only unpickling, of the official batches, is torchvision's), then saved here as
plain `.npz` arrays.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

ENV_DIR = "SWAP_DATA"
ENV_URL_BASE = "SWAP_DATA_URL_BASE"
_RAW = "https://raw.githubusercontent.com"
_NASLIB_BENCHMARKS = f"{_RAW}/automl/NASLib/22280f711aa782fe9157d1b4e5ce4f83f47ab908/naslib/data"

Progress = Callable[[str, int, "int | None"], None]
"""`progress(relative_path, bytes_done, bytes_total_or_None)`, called as a download advances."""


class MissingDataError(ValueError):
    """A data file is absent, corrupt or could not be fetched; the message says what to do."""


@dataclass(frozen=True)
class DataFile:
    """One file of the data directory: `path` is relative to it (e.g. "nb201/nats_bench.csv")."""

    path: str
    group: str  # the name `fetch` and `data fetch` accept
    sha256: str
    size: int
    url: str | None  # pinned upstream; None for files built locally from an upstream archive
    content_sha256: str | None = None  # for .npz: sha256 of images+labels bytes (zip metadata varies)
    what: str = ""


FILES: tuple[DataFile, ...] = (
    DataFile("cifar10/test.npz", "cifar10",
             "217e01afda16c9d82ce303a47094dd1a3d7d8b2f3c47312f16b8544776dc3de1", 28_250_249, None,
             "8193b3fbce55bec361cd1b8fd4880cb1649832dc4d6de6da1e7a21847a4843aa",
             "CIFAR-10 test set (10,000 images)"),
    DataFile("cifar10/train_first10000.npz", "cifar10",
             "d75a5f223256911fdeadfc65b7a7928e2958adcb1afac4c48c266639f58d4f52", 28_256_339, None,
             "8350d89ba6404c270d263d84bf037e74b0158eecac79f27405efcf23445a6997",
             "CIFAR-10, first 10,000 training images"),
    DataFile("nb201/nats_bench.csv", "nb201",
             "cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e", 3_024_008,
             f"{_RAW}/v-tao/nats-bench-landscape/b307ae5fe6e8d7043cd4fe7d1c3532288271adb7/nats_bench.csv",
             what="NAS-Bench-201 test accuracies (NATS-Bench)"),
    DataFile("nb201/nb201_zen.zip", "nb201",
             "6c9aec8cd0c235d7b7a37a27f224bb719e7376e8048f2dd6d91bc06dcfcc2a2e", 1_661_280,
             f"{_RAW}/automl/NASLib/0428083bb8a5c79823da72bd471cf2aabd3a3bb7/run/results/benchmarks/nb201_zen.zip",
             what="NAS-Bench-201 validation accuracies and Zen-scores (NASLib)"),
    DataFile("darts/DARTS_archs_CIFAR10.csv", "darts",
             "d28d263aa7dd4103b6a1da1775b1b03ae16ffd2516409ca3bd493c8784abe6b0", 423_509,
             f"{_RAW}/pym1024/SWAP_Universal/13b65704296e941cd8bf9a5c4d82f329fb472c21/datasets/DARTS_archs_CIFAR10.csv",
             what="1,000 DARTS genotypes, CIFAR-10 validation accuracy (SWAP authors)"),
    DataFile("flexibert/BERT_benchmark.json", "flexibert",
             "fa2ff7198dcd71e0b8021ed2ace1c221672c33cc56931b6dff31fda3d044784f", 453_164,
             f"{_RAW}/aaronserianni/training-free-nas/2d76e01b9586cad7340e8268dadba3056efd070b"
             "/data/BERT_benchmark.json",
             what="500 FlexiBERT transformers with GLUE scores"),
    DataFile("suite_zero/zc_nasbench101.json", "suite-zero",
             "c34840bc9af68b6ebaa7f052e42c1749a9a737d7243078be2a5548052bc5a0c2", 259_564,
             f"{_NASLIB_BENCHMARKS}/zc_nasbench101.json",
             what="500 NAS-Bench-101 cells, validation accuracy and zero-cost proxies"),
    DataFile("suite_zero/zc_nasbench301.json", "suite-zero",
             "e47e258b95f63f85a6917dfc5814f5b42f793d7ef8f9a00e66689783e43affac", 240_552,
             f"{_NASLIB_BENCHMARKS}/zc_nasbench301.json",
             what="500 NAS-Bench-301 (DARTS) cells, validation accuracy and zero-cost proxies"),
    DataFile("timm/results-imagenet.csv", "timm",
             "30972bf7c7ab451bbd4480ec6116b13d0a84441c57bbc946896fd312264acfcd", 123_104,
             f"{_RAW}/huggingface/pytorch-image-models/4e5207c7bb6592474ca56e28b2cf85be8f1a550f"
             "/results/results-imagenet.csv",
             what="timm's ImageNet-1k validation results, one row per released weight (the timm-in1k benchmark)"),
)
_BY_PATH = {f.path: f for f in FILES}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FILES))
CIFAR10_ARCHIVE = ("cifar-10-python.tar.gz", 170_498_071)  # what torchvision downloads (md5-checked)


def data_dir() -> Path:
    """`SWAP_DATA` if set, else the per-user cache directory (created on first fetch, not here)."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("swap-explorer"))


def _human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _npz_content_sha256(path: Path) -> str:
    with np.load(path, allow_pickle=False) as npz:
        digest = hashlib.sha256(np.ascontiguousarray(npz["images"]).tobytes())
        digest.update(np.ascontiguousarray(npz["labels"]).tobytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=64)
def _is_good(entry: DataFile, path: Path, size: int, mtime_ns: int) -> bool:
    """Checksum verdict, cached per (path, size, mtime) so repeated checks cost nothing."""
    if _file_sha256(path) == entry.sha256:
        return True
    if entry.content_sha256 is None:
        return False
    try:  # an npz converted on this machine: same arrays, different zip metadata
        return _npz_content_sha256(path) == entry.content_sha256
    except (OSError, ValueError, KeyError):
        return False


def _check(entry: DataFile, root: Path) -> str:
    """"present", "missing" or "corrupt"."""
    path = root / entry.path
    if not path.is_file():
        return "missing"
    stat = path.stat()
    return "present" if _is_good(entry, path, stat.st_size, stat.st_mtime_ns) else "corrupt"


def _fetch_hint(entry: DataFile, root: Path) -> str:
    command = f"python -m swap_engine data fetch {entry.group}"
    if entry.url is None:
        archive, size = CIFAR10_ARCHIVE
        return (f"run `{command}` (torchvision downloads the official {archive}, {_human(size)}), or put that "
                f"file in {root / 'cifar10' / 'download'} and run the same command offline")
    return (f"run `{command}` ({_human(entry.size)}), or download {entry.url} ({_human(entry.size)}) "
            f"and save it as {root / entry.path}")


def require(relative_path: str) -> Path:
    """Path of a checked data file; `MissingDataError` saying how to get it when absent or corrupt."""
    entry = _BY_PATH[relative_path]
    root = data_dir()
    path = root / entry.path
    state = _check(entry, root)
    if state == "missing":
        raise MissingDataError(f"data file {entry.path} is missing from {root}: {_fetch_hint(entry, root)}")
    if state == "corrupt":
        raise MissingDataError(f"data file {path} does not match its sha256 {entry.sha256[:12]}... "
                               f"(corrupt or a different version): {_fetch_hint(entry, root)}")
    return path


def status() -> list[dict]:
    """One row per file: path, group, state (present/missing/corrupt), size in bytes, full path, source."""
    root = data_dir()
    rows = []
    for entry in FILES:
        path = root / entry.path
        state = _check(entry, root)
        rows.append({"file": entry.path, "group": entry.group, "state": state,
                     "size": path.stat().st_size if state != "missing" else entry.size,
                     "path": str(path), "what": entry.what,
                     "source": entry.url or f"torchvision CIFAR10 download ({CIFAR10_ARCHIVE[0]})"})
    return rows


def _expand(names: Iterable[str]) -> list[str]:
    names = list(names)
    if not names:
        raise ValueError(f"name what to fetch: one or more of {', '.join(GROUPS)}, or all")
    wanted = []
    for name in names:
        if name == "all":
            wanted.extend(GROUPS)
        elif name in GROUPS:
            wanted.append(name)
        else:
            raise ValueError(f"unknown data name {name!r}; known: {', '.join(GROUPS)}, all")
    return list(dict.fromkeys(wanted))


class _ProgressAdapter:
    """Looks like the tqdm bar pooch drives (total/update/reset/close) and reports to a callable."""

    def __init__(self, name: str, report: Progress) -> None:
        self.name, self.report, self.total, self.done = name, report, None, 0

    def update(self, n: int) -> None:
        self.done += n
        total = self.total or None
        self.report(self.name, min(self.done, total) if total else self.done, total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


def _download(url: str, known_hash: str, target: Path, label: str, hint: str,
              progress: Progress | bool | None) -> None:
    """pooch streams to a temporary file and moves it into place only when its hash matches."""
    import pooch
    import requests

    bar = _ProgressAdapter(label, progress) if callable(progress) else bool(progress)
    try:
        pooch.retrieve(url, known_hash=known_hash, fname=target.name, path=target.parent,
                       downloader=pooch.HTTPDownloader(progressbar=bar, timeout=60))
        return
    except requests.RequestException as err:
        if isinstance(err, requests.ConnectionError):
            reason = "no connection"
        elif isinstance(err, requests.exceptions.ChunkedEncodingError):
            reason = "the transfer was cut short"
        elif isinstance(err, requests.HTTPError):
            reason = f"HTTP {err.response.status_code}: upstream moved or gone"
        else:
            reason = f"{type(err).__name__}: {err}"
        problem = f"could not download {label} from {url} ({reason})"
    except ValueError as err:  # pooch checks the hash of the finished download, then discards a mismatch
        if "hash" not in str(err).lower():
            raise MissingDataError(f"could not download {label} from {url}: {err}") from None
        problem = (f"refused {label} from {url}: its checksum does not match the pinned "
                   f"{known_hash[:16]}... (truncated, altered or a different version)")
    kept = "the previous file was kept" if target.exists() else "nothing was written"
    raise MissingDataError(f"{problem}; {kept}. {hint[0].upper()}{hint[1:]}")


def _convert_cifar10(root: Path, progress: Progress | bool | None) -> None:
    """The official archive (pooch, md5 as torchvision pins it), extracted and read by torchvision's CIFAR10,
    then saved in our npz layout: the first 10,000 training images and the 10,000 test images."""
    from torchvision.datasets import CIFAR10

    folder = root / "cifar10"
    download = folder / "download"
    hint = _fetch_hint(_BY_PATH["cifar10/test.npz"], root)
    _download(CIFAR10.url, f"md5:{CIFAR10.tgz_md5}", download / CIFAR10.filename, CIFAR10.filename, hint, progress)
    try:
        train = CIFAR10(str(download), train=True, download=True)  # finds the checked archive, extracts it
        test = CIFAR10(str(download), train=False, download=False)
    except (OSError, RuntimeError) as err:  # torchvision: RuntimeError("... corrupted"), or a bad archive
        raise MissingDataError(f"torchvision could not read CIFAR-10 ({err}); {hint}") from None
    for dataset, name, count in ((train, "train_first10000.npz", 10_000), (test, "test.npz", 10_000)):
        images = np.ascontiguousarray(dataset.data[:count], dtype=np.uint8)
        labels = np.asarray(dataset.targets[:count], dtype=np.uint8)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as tmp:
            np.savez(tmp, images=images, labels=labels, classes=np.asarray(dataset.classes))
        os.replace(tmp.name, folder / name)
    shutil.rmtree(download, ignore_errors=True)


def fetch(names: Iterable[str], *, progress: Progress | bool | None = None,
          base_url: str | None = None) -> list[Path]:
    """Download the named groups (or "all") into `data_dir()`; files already good are left alone.

    `base_url` (or `SWAP_DATA_URL_BASE`) replaces every upstream with `BASE/relative/path`, a mirror laid out
    like the data directory. `progress`: True for a terminal bar, or a callable for e.g. a Streamlit bar.
    Every requested file is tried; failures are raised together afterwards as one `MissingDataError`.
    """
    groups = _expand(names)
    root = data_dir()
    base = base_url or os.environ.get(ENV_URL_BASE) or None
    failures, fetched = [], []
    for group in groups:
        entries = [f for f in FILES if f.group == group]
        via_torchvision = group == "cifar10" and base is None
        if via_torchvision and any(_check(f, root) != "present" for f in entries):
            try:
                _convert_cifar10(root, progress)
            except MissingDataError as err:
                failures.append(str(err))
                continue
        for entry in entries:
            if not via_torchvision and _check(entry, root) != "present":
                try:
                    url = f"{base.rstrip('/')}/{entry.path}" if base else entry.url
                    _download(url, f"sha256:{entry.sha256}", root / entry.path, entry.path,
                              _fetch_hint(entry, root), progress)
                except MissingDataError as err:
                    failures.append(str(err))
                    continue
            state = _check(entry, root)
            if state != "present":
                failures.append(f"{entry.path} is {state} after fetching: {_fetch_hint(entry, root)}")
                continue
            fetched.append(root / entry.path)
            if callable(progress):
                progress(entry.path, entry.size, entry.size)
    if failures:
        raise MissingDataError("\n".join(failures))
    return fetched
