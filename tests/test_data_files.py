"""Data files: status, checksums, and downloads end to end against a local HTTP server on 127.0.0.1."""
from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from swap_engine import cli, data
from swap_engine.data import files

SHARED = Path(os.environ.get("SWAP_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
needs_shared = pytest.mark.skipif(not (SHARED / "darts" / "DARTS_archs_CIFAR10.csv").is_file(),
                                  reason=f"shared data not found in {SHARED} (set SWAP_DATA)")
SMALL = ["darts/DARTS_archs_CIFAR10.csv", "suite_zero/zc_nasbench101.json", "suite_zero/zc_nasbench301.json"]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("SWAP_DATA_URL_BASE", raising=False)


@pytest.fixture
def target(tmp_path, monkeypatch):
    """An empty data directory the fetches write into."""
    root = tmp_path / "data"
    monkeypatch.setenv("SWAP_DATA", str(root))
    return root


class _Mirror(http.server.BaseHTTPRequestHandler):
    """Serves files under `root`; mode "truncate" announces the full length but sends half, then hangs up."""

    root: Path
    mode = "ok"
    requests: list[str]

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        path = self.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.mode == "truncate" else body)
        if self.mode == "truncate":
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tmp_path):
    """Start a server on 127.0.0.1 serving copies of the small shared files; yields (base_url, handler class)."""
    if not (SHARED / SMALL[0]).is_file():
        pytest.skip(f"shared data not found in {SHARED} (set SWAP_DATA)")
    root = tmp_path / "mirror"
    for rel in SMALL:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / rel, root / rel)
    handler = type("Mirror", (_Mirror,), {"root": root, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_matches_the_shared_readme():
    readme = SHARED / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} not found")
    text = readme.read_text()
    for entry in files.FILES:
        assert f"{entry.sha256}  {entry.path}" in text
        if entry.url:
            assert entry.url.startswith("https://raw.githubusercontent.com/")


@needs_shared
def test_status_of_shared_data(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(SHARED))
    rows = data.status()
    assert [r["file"] for r in rows] == [f.path for f in files.FILES]
    assert {r["state"] for r in rows} == {"present"}
    assert all(r["size"] == f.size for r, f in zip(rows, files.FILES))


def test_status_missing_and_corrupt(target):
    (target / "darts").mkdir(parents=True)
    (target / "darts" / "DARTS_archs_CIFAR10.csv").write_text("not the benchmark\n")
    states = {r["file"]: r["state"] for r in data.status()}
    assert states["darts/DARTS_archs_CIFAR10.csv"] == "corrupt"
    assert states["nb201/nats_bench.csv"] == "missing"
    with pytest.raises(data.MissingDataError, match="does not match its sha256"):
        files.require("darts/DARTS_archs_CIFAR10.csv")
    with pytest.raises(data.MissingDataError, match=r"data fetch nb201` \(3.0 MB\)") as err:
        files.require("nb201/nats_bench.csv")
    assert "raw.githubusercontent.com/v-tao/nats-bench-landscape/b307ae5" in str(err.value)
    assert str(target / "nb201" / "nats_bench.csv") in str(err.value)


def test_fetch_from_mirror_with_progress(target, mirror):
    base, handler = mirror
    seen = []
    paths = data.fetch(["darts", "suite-zero"], base_url=base, progress=lambda *a: seen.append(a))
    assert [p.relative_to(target).as_posix() for p in paths] == SMALL
    for rel in SMALL:
        assert _sha(target / rel) == _sha(SHARED / rel)
    last = {name: (done, total) for name, done, total in seen}
    assert last["darts/DARTS_archs_CIFAR10.csv"] == (423_509, 423_509)
    states = {r["file"]: r["state"] for r in data.status()}
    assert all(states[rel] == "present" for rel in SMALL)
    # Already good: a second fetch does not touch the network.
    handler.requests.clear()
    data.fetch(["darts"], base_url=base)
    assert handler.requests == []


def test_fetch_base_url_from_environment(target, mirror, monkeypatch):
    monkeypatch.setenv("SWAP_DATA_URL_BASE", mirror[0])
    data.fetch(["darts"])
    assert (target / SMALL[0]).is_file()


def test_truncated_transfer_is_refused(target, mirror):
    base, handler = mirror
    handler.mode = "truncate"
    with pytest.raises(data.MissingDataError, match="could not download darts/DARTS_archs_CIFAR10.csv") as err:
        data.fetch(["darts"], base_url=base)
    assert "the transfer was cut short" in str(err.value) and "nothing was written" in str(err.value)
    assert not (target / SMALL[0]).exists()
    assert list((target / "darts").iterdir()) == []  # no temporary left behind


def test_wrong_checksum_is_refused_and_previous_file_kept(target, mirror):
    base, handler = mirror
    served = handler.root / SMALL[0]
    served.write_bytes(served.read_bytes().replace(b"85.0", b"95.0", 1))  # a tampered copy
    previous = target / SMALL[0]
    previous.parent.mkdir(parents=True)
    previous.write_text("an older, broken copy\n")
    with pytest.raises(data.MissingDataError, match="does not match the pinned") as err:
        data.fetch(["darts"], base_url=base)
    assert "the previous file was kept" in str(err.value)
    assert previous.read_text() == "an older, broken copy\n"
    assert sorted(p.name for p in previous.parent.iterdir()) == [previous.name]


def test_upstream_gone(target, mirror):
    (mirror[1].root / SMALL[0]).unlink()
    with pytest.raises(data.MissingDataError, match="HTTP 404: upstream moved or gone"):
        data.fetch(["darts"], base_url=mirror[0])


def test_no_server_says_what_to_do(target):
    with pytest.raises(data.MissingDataError) as err:
        data.fetch(["darts"], base_url=f"http://127.0.0.1:{_closed_port()}")
    message = str(err.value)
    assert "no connection" in message and "python -m swap_engine data fetch darts" in message
    assert "0.4 MB" in message and str(target / SMALL[0]) in message
    assert not (target / SMALL[0]).exists()


def test_fetch_rejects_unknown_names(target):
    with pytest.raises(ValueError, match="unknown data name 'imagenet'"):
        data.fetch(["imagenet"])


def _closed_port() -> int:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fake_cifar(archive: bytes, url: str, train_set=None, test_set=None):
    class FakeCIFAR10:
        """Stands in for torchvision's CIFAR10: same class attributes, arrays from the shared npz files."""

        filename = "cifar-10-python.tar.gz"
        tgz_md5 = hashlib.md5(archive).hexdigest()
        classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

        def __init__(self, root, train=True, download=False):
            assert (Path(root) / self.filename).read_bytes() == archive  # pooch fetched and checked it first
            source = train_set if train else test_set
            self.data, self.targets = source["images"], source["labels"].tolist()

    FakeCIFAR10.url = url
    return FakeCIFAR10


@pytest.mark.skipif(not (SHARED / "cifar10" / "test.npz").is_file(), reason=f"CIFAR-10 npz not in {SHARED}")
def test_cifar10_conversion_from_torchvision_layout(target, monkeypatch):
    import torchvision.datasets

    archive = b"stands in for the official archive"
    (target / "cifar10" / "download").mkdir(parents=True)
    (target / "cifar10" / "download" / "cifar-10-python.tar.gz").write_bytes(archive)  # placed by hand
    fake = _fake_cifar(archive, f"http://127.0.0.1:{_closed_port()}/never-asked",
                       np.load(SHARED / "cifar10" / "train_first10000.npz"), np.load(SHARED / "cifar10" / "test.npz"))
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", fake)
    data.fetch(["cifar10"])
    states = {r["file"]: r["state"] for r in data.status()}  # different zip bytes, same arrays
    assert states["cifar10/test.npz"] == states["cifar10/train_first10000.npz"] == "present"
    assert not (target / "cifar10" / "download").exists()
    assert data.inputs("cifar10", 4).y.tolist() == [6, 9, 9, 4]


def test_cifar10_archive_downloaded_with_checksum(target, mirror, monkeypatch):
    import torchvision.datasets

    archive = (mirror[1].root / SMALL[1]).read_bytes()  # any served file will do as "the archive"
    tiny = {"images": np.zeros((1, 32, 32, 3), np.uint8), "labels": np.zeros(1, np.uint8)}
    seen = []
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", _fake_cifar(archive, f"{mirror[0]}/{SMALL[1]}", tiny, tiny))
    with pytest.raises(data.MissingDataError, match="cifar10/test.npz is corrupt after fetching"):
        data.fetch(["cifar10"], progress=lambda *a: seen.append(a))  # one image is not CIFAR-10's test set
    assert seen and seen[-1][0] == "cifar-10-python.tar.gz" and seen[-1][1] == len(archive)


def test_cifar10_offline_mentions_manual_archive(target, monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", _fake_cifar(b"x", f"http://127.0.0.1:{_closed_port()}/a"))
    with pytest.raises(data.MissingDataError, match="no connection") as err:
        data.fetch(["cifar10"])
    assert "cifar-10-python.tar.gz, 170.5 MB" in str(err.value)
    assert str(target / "cifar10" / "download") in str(err.value)


@needs_shared
def test_cli_status(monkeypatch, capsys):
    monkeypatch.setenv("SWAP_DATA", str(SHARED))
    assert cli.main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert f"data directory: {SHARED}" in out
    assert out.count("present") == len(files.FILES) and "nb201/nats_bench.csv" in out and "3.0 MB" in out


def test_cli_status_missing_suggests_fetch(target, capsys):
    assert cli.main(["data", "status"]) == 0
    assert "python -m swap_engine data fetch cifar10 darts flexibert nb201 suite-zero timm" in capsys.readouterr().out


def test_cli_fetch(target, mirror, capsys):
    assert cli.main(["data", "fetch", "darts", "--base-url", mirror[0]]) == 0
    assert str(target / SMALL[0]) in capsys.readouterr().out
    assert cli.main(["data", "fetch", "nope"]) == 2
