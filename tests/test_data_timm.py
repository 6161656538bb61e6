"""The timm-in1k benchmark: the ImageNet-1k-only rule, one row per architecture, and fetching its file
(pinned, checked, clear when offline) from a server on 127.0.0.1 serving a copy, never from the internet."""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pandas as pd
import pytest

from swap_engine import data
from swap_engine.data import files, timm_results

SHARED = Path(os.environ.get("SWAP_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
SOURCE = SHARED / timm_results.FILE
needs_file = pytest.mark.skipif(not SOURCE.is_file(), reason=f"{SOURCE} not found (set SWAP_DATA)")


@pytest.mark.parametrize("model, reason", [
    ("resnet50.a1_in1k", ""),
    ("resnet50.tv_in1k", ""),
    ("rdnet_large.nv_in1k_ft_in1k_384", ""),  # fine-tuned at 384 on ImageNet-1k itself
    ("efficientnet_b1.ft_in1k", ""),
    ("vit_base_patch16_224.augreg_in1k", ""),
    ("tf_efficientnet_b7.ap_in1k", ""),  # AdvProp: adversarial examples of ImageNet-1k only
    ("convnext_base.fb_in22k_ft_in1k", "in22k"),
    ("convnext_small.in12k_ft_in1k", "in12k"),
    ("vit_base_patch16_224.augreg_in21k_ft_in1k", "in21k"),
    ("tf_efficientnet_b0.ns_jft_in1k", "ns"),
    ("vit_base_patch16_clip_224.openai_ft_in1k", "openai"),
    ("convnext_base.clip_laion2b_augreg_ft_in1k", "clip"),
    ("resnext101_32x8d.fb_swsl_ig1b_ft_in1k", "swsl"),
    ("regnety_1280.swag_ft_in1k", "swag"),
    ("deit_base_patch16_224.fb_in1k", ""),
    ("deit_base_distilled_patch16_224.fb_in1k", "*distilled*"),
    ("cait_m48_448.fb_dist_in1k", "dist"),
    ("hgnetv2_b6.ssld_stage2_ft_in1k", "ssld"),
    ("edgenext_base.usi_in1k", "usi"),
    ("convnextv2_tiny.fcmae_ft_in1k", "fcmae"),
    ("hiera_huge_224.mae_in1k_ft_in1k", "mae"),
    ("beitv2_base_patch16_224.in1k_ft_in1k", "beit*"),
    ("volo_d1_224.sail_in1k", "volo_*"),
])
def test_the_in1k_only_rule(model, reason):
    said = timm_results.exclusion(model)
    if not reason:
        assert said == ""
    else:
        assert repr(reason) in said and ":" in said  # the token or pattern, then why in words


def test_every_excluded_pattern_says_why():
    for table in (timm_results.EXCLUDED_TAGS, timm_results.EXCLUDED_ARCHITECTURES):
        assert all(why.split(":")[0] in ("extra data", "distillation", "self-supervised pre-training")
                   for why in table.values())
    assert "in1k" not in timm_results.EXCLUDED_TAGS and "ft" not in timm_results.EXCLUDED_TAGS


def _rows(*rows):
    frame = pd.DataFrame(rows, columns=["weight", "eval_img_size", "imagenet_top1_acc_pct"])
    frame["arch"] = frame["weight"].str.partition(".")[0]
    frame["imagenet_top5_acc_pct"] = frame["imagenet_top1_acc_pct"] + 10
    frame["excluded"] = [timm_results.exclusion(w) for w in frame["weight"]]
    return frame


def test_best_kept_weight_per_architecture_with_its_eval_size():
    best = timm_results.best_in1k(_rows(
        ("net.in22k_ft_in1k", 224, 85.0),  # better, but extra data: not the architecture's in1k number
        ("net.a1_in1k", 288, 81.0),
        ("net.a1_in1k", 224, 80.0),
        ("net.tv_in1k", 224, 76.0),
        ("tie.b_in1k", 320, 70.0),
        ("tie.a_in1k", 256, 70.0),  # equal top-1: the smaller evaluation size wins
        ("gone.dist_in1k", 224, 90.0),  # no kept weight: no row
    )).set_index("arch")
    assert list(best.index) == ["net", "tie"]
    assert best.loc["net", ["weight", "eval_img_size", "imagenet_top1_acc_pct"]].tolist() == ["net.a1_in1k", 288, 81.0]
    assert best.loc["net", "imagenet_top5_acc_pct"] == 91.0  # the same row's top-5
    assert best.loc["net", "in1k_weights"] == 2 and best.loc["net", "median_top1_acc_pct"] == 80.0
    assert best.loc["tie", "weight"] == "tie.a_in1k"


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    return timm_results.benchmark_table(SOURCE)


@needs_file
def test_benchmark_from_the_pinned_file(monkeypatch):
    monkeypatch.setenv("SWAP_DATA", str(SHARED))
    assert "timm-in1k" in data.benchmark_names()
    assert data.targets("timm-in1k") == ["imagenet_top1_acc_pct", "imagenet_top5_acc_pct"]
    table = data.benchmark("timm-in1k")
    pd.testing.assert_frame_equal(table, _table())
    # Golden counts of the file at sha256 30972bf7... (timm @ 4e5207c): 1,556 rows, 1,072 of them kept.
    rows = timm_results.read_rows(SOURCE)
    assert len(rows) == 1556 and (rows["excluded"] == "").sum() == 1072
    assert len(table) == 693 and table["arch"].is_unique
    assert table["family"].nunique() == 74 and (table["family"] != "").all()
    assert table["imagenet_top1_acc_pct"].between(40, 90).all()
    assert (table["imagenet_top1_acc_pct"] >= table["median_top1_acc_pct"]).all()
    assert all(timm_results.exclusion(w) == "" for w in table["weight"])
    resnet50 = table.set_index("arch").loc["resnet50"]
    assert (resnet50["weight"], resnet50["eval_img_size"], resnet50["imagenet_top1_acc_pct"]) == \
        ("resnet50.a1_in1k", 288, 81.24)
    assert resnet50["in1k_weights"] == 16 and resnet50["family"] == "resnet"
    assert "deit_base_distilled_patch16_224" not in set(table["arch"])


@needs_file
def test_every_architecture_parses_in_the_timm_space():
    from swap_engine import spaces

    space = spaces.get("timm")
    archs = _table()["arch"].tolist()
    assert [space.format(space.parse(a)) for a in archs] == archs


# --- fetching: a copy served on 127.0.0.1 ---

class _Serve(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path != "/" + timm_results.FILE:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(monkeypatch):
    """`serve(body)` -> base URL of a server on 127.0.0.1 that answers the timm file's path with `body`."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    started = []

    def start(body: bytes) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Serve", (_Serve,), {"body": body}))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def target(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("SWAP_DATA", str(root))
    monkeypatch.delenv("SWAP_DATA_URL_BASE", raising=False)
    return root


def test_the_file_is_pinned_to_a_commit_with_its_sha256():
    entry = next(f for f in files.FILES if f.path == timm_results.FILE)
    assert entry.group == "timm" and entry.size == 123_104
    assert entry.url == ("https://raw.githubusercontent.com/huggingface/pytorch-image-models/"
                         "4e5207c7bb6592474ca56e28b2cf85be8f1a550f/results/results-imagenet.csv")
    readme = SHARED / "README.md"
    if readme.is_file():
        assert f"{entry.sha256}  {entry.path}" in readme.read_text()


def test_missing_file_says_how_to_fetch_it(target):
    with pytest.raises(data.MissingDataError, match=r"data fetch timm` \(0.1 MB\)") as err:
        data.benchmark("timm-in1k")
    assert "4e5207c7bb6592474ca56e28b2cf85be8f1a550f/results/results-imagenet.csv" in str(err.value)
    assert str(target / timm_results.FILE) in str(err.value)


@needs_file
def test_fetch_from_a_local_copy_with_progress(target, serve):
    base = serve(SOURCE.read_bytes())
    seen = []
    paths = data.fetch(["timm"], base_url=base, progress=lambda *a: seen.append(a))
    assert paths == [target / timm_results.FILE]
    assert hashlib.sha256(paths[0].read_bytes()).hexdigest() == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    assert seen[-1] == (timm_results.FILE, 123_104, 123_104)
    assert len(data.benchmark("timm-in1k")) == 693


@needs_file
def test_a_corrupt_copy_is_refused_in_words(target, serve):
    altered = SOURCE.read_bytes().replace(b"resnet50.a1_in1k,288,81.240", b"resnet50.a1_in1k,288,91.240")
    with pytest.raises(data.MissingDataError, match="checksum does not match the pinned sha256:30972bf7c") as err:
        data.fetch(["timm"], base_url=serve(altered))
    assert "refused timm/results-imagenet.csv" in str(err.value) and "nothing was written" in str(err.value)
    assert not (target / timm_results.FILE).exists()
    # A corrupt file already on disk is refused when read, with the fetch command.
    (target / "timm").mkdir(parents=True, exist_ok=True)  # pooch made the folder, and left it empty
    shutil.copyfile(SOURCE, target / timm_results.FILE)
    with open(target / timm_results.FILE, "ab") as handle:
        handle.write(b"extra,row\n")
    with pytest.raises(data.MissingDataError, match="does not match its sha256.*data fetch timm"):
        files.require(timm_results.FILE)


def test_offline_says_no_connection(target, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(data.MissingDataError, match="no connection") as err:
        data.fetch(["timm"], base_url=f"http://127.0.0.1:{port}")
    assert "nothing was written" in str(err.value) and "data fetch timm" in str(err.value)
