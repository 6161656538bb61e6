"""Activation patterns on your own network: a factory in a file, a torchvision name, the refusals in words, and no
file loaded while the app is shared. Gaussian inputs: no data files needed."""
import importlib.util
import textwrap

import pytest

from swap_engine import data, swap_score
from tests.app_helpers import assert_clean, metric, open_app
from ui import own_network

OWN = {"space": "nb201", "input": "gaussian", "batch_size": 16, "seed": 0, "_own_source": "Your own network"}

NET = """
import torch
from torch import nn


def make_net(width=4):
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, width, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))
"""


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def open_own(spec: str, **state):
    return open_app("patterns", defaults=OWN, _own_spec=spec, **state)


def write(folder, name: str, text: str) -> str:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_a_factory_in_a_file_scores_as_swap_score_does(tmp_path):
    path = write(tmp_path, "net.py", NET)
    at = open_own(f"{path}:make_net", _own_options='{"width": 6}')
    assert_clean(at)
    loader = importlib.util.spec_from_file_location("own_net_for_test", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    expected = swap_score(module.make_net(width=6), data.inputs("gaussian", 16), seed=0).score
    assert metric(at, "SWAP-Score") == f"{expected:,.0f}"
    assert metric(at, "batch size") == "16"
    assert [t.label for t in at.tabs] == ["Patterns", "Per layer"]
    assert any("runs its Python code" in c.value for c in at.caption)  # said on the page, local or shared
    assert 0 <= float(metric(at, "percentile")) <= 100  # among timm-in1k's networks, or the zoo's meanwhile


def test_a_torchvision_name_typed_in_the_box_scores_and_is_placed():
    at = open_own("")
    assert any("Name a network" in i.value for i in at.info)
    at.text_input(key="own_spec_box").input("torchvision:squeezenet1_1").run()
    assert_clean(at)
    assert int(metric(at, "SWAP-Score").replace(",", "")) > 0
    assert 0 <= float(metric(at, "percentile")) <= 100
    assert len(at.dataframe) == 1  # the nearest networks with their accuracy
    assert at.session_state["_own_spec"] == "torchvision:squeezenet1_1"  # kept for a page switch


@pytest.mark.parametrize("name, text, factory, said", [
    ("absent.py", None, "make", "no file"),
    ("broken.py", "import torch\nraise RuntimeError('half written')\n", "make", "raised RuntimeError: half written"),
    ("number.py", "def make():\n    return 42\n", "make", "not a torch.nn.Module"),
    ("plain.py", "from torch import nn\ndef make():\n    return nn.Sequential(nn.Flatten(), nn.Linear(4, 2))\n",
     "make", "no activation module"),
    ("shape.py", "from torch import nn\ndef make():\n    return nn.Sequential(nn.Linear(5, 5), nn.ReLU())\n",
     "make", "does not take inputs of shape"),
])
def test_a_network_that_cannot_be_scored_is_one_message_in_words(tmp_path, name, text, factory, said):
    path = write(tmp_path, name, text) if text is not None else str(tmp_path / name)
    at = open_own(f"{path}:{factory}")
    assert not at.exception
    assert len(at.error) == 1 and said in at.error[0].value.replace("\\", ""), [e.value for e in at.error]
    assert not at.metric and not at.tabs and not at.get("plotly_chart")  # nothing half-done


def test_a_shared_app_loads_no_file_and_says_why(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    path = write(tmp_path, "net.py", f"open({str(marker)!r}, 'w').close()\n" + NET)
    monkeypatch.setattr(own_network, "server_address", lambda: "0.0.0.0")
    at = open_own(f"{path}:make_net")
    assert not at.exception and not at.metric
    assert len(at.error) == 1 and "shared" in at.error[0].value and "runs its code" in at.error[0].value
    assert any("runs its Python code" in c.value and "only timm and torchvision" in c.value for c in at.caption)
    assert not marker.exists()  # the file's code never ran
    assert own_network.loads_code("pkg.mod:make") and not own_network.loads_code("timm:resnet18")


def test_a_long_scoring_waits_for_its_button():
    at = open_own("torchvision:resnet152", batch_size=256)
    assert_clean(at)
    assert not at.metric
    assert any(b.label.startswith("Score this network (about") for b in at.button)
    assert any("Nothing is scored until you press the button" in c.value for c in at.caption)
