"""Your own network on Activation patterns: named by one line (`timm:NAME`, `torchvision:NAME`, and while the app
listens on this machine alone also `FILE.py:factory` or `package.module:factory`), scored with the sidebar's
batch, and placed among a benchmark's networks (percentile, and the accuracy of the nearest in score).

Loading a file or a module runs its code, so a shared app (`swap-explorer app --share`, or any server address
other than this machine's loopback) refuses both and takes library names only. Every refusal is a `ValueError`
in words (`own_network.NetworkError`, `placement.PlacementError`, a memory `ResourceError`); the page shows it
and nothing else. Scoring follows the page's rule (`ui.launch`): over `AT_ONCE_SECONDS` it waits for a click on
a button that says how long, estimated from the network's size on torch's meta device.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

import swap_engine
from swap_engine import atlas, data, models
from swap_engine.columns import Column, column as score_column
from swap_engine.spaces import own_network
from swap_engine.studies import placement
from ui import charts, engine, fetch, launch, messages
from ui.choices import INPUT_LABELS, INPUTS_BY_KIND, parse_build_options
from ui.export import show_chart
from ui.labels import words as column_words

SOURCES = ("From the search space", "Your own network")
LIBRARIES = ("timm", "torchvision")  # names that load no code of the user's: the only ones a shared app takes
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EXAMPLE = "torchvision:resnet18"
REFERENCES = (placement.ATLAS, "zoo")  # timm-in1k first; the zoo (torchvision at 64x64) when it cannot place
_SOURCE, _SPEC, _OPTIONS, _REFERENCE = "_own_source", "_own_spec", "_own_options", "_own_reference"
_ASKED = "_own_asked"  # the scorings whose button was pressed (a few), so a rerun does not ask again
_TIMED = "_own_timed"  # Own -> seconds its scoring took here: the next estimate for it
MAX_KEPT = 16


@dataclass(frozen=True)
class Own:
    """Everything one scoring of your network depends on; hashable, so it keys the caches."""

    spec: str
    options: str  # canonical JSON of the factory's keyword options ("" for none)
    stamp: tuple  # a file's (size, modification time), so an edited file is loaded again
    input: str
    batch_size: int
    resolution: int | None  # None: the input's own size
    device: str
    seed: int
    repeats: int
    reinit: bool


# --- where the app listens -------------------------------------------------------------------------------

def server_address() -> str:
    """The address Streamlit listens on; empty (Streamlit's default) means every interface."""
    return str(st.get_option("server.address") or "")


def listens_here_only() -> bool:
    """True when only this machine can reach the app (a loopback address), the one case a file is taken."""
    address = server_address().strip("[]")
    return address in LOOPBACK or address.startswith("127.")


def loads_code(spec: str) -> bool:
    """True for a spec that imports a file or a module (runs its code); False for a timm or torchvision name."""
    head, sep, _ = spec.strip().rpartition(":")
    return not (sep and head in LIBRARIES)


# --- the choices ------------------------------------------------------------------------------------------

def _kept(plain: str, box: str, default: str) -> None:
    """A widget's value survives a page switch in its plain copy `plain` (Streamlit forgets undrawn widgets)."""
    s = st.session_state
    s[box] = s.get(plain, default)


def _copy(box: str, plain: str) -> None:
    st.session_state[plain] = st.session_state[box]


def choose_source() -> bool:
    """The radio above the page: a cell of the sidebar's search space, or your own network; True for the latter."""
    _kept(_SOURCE, "own_source_box", SOURCES[0])
    st.radio("Network", SOURCES, key="own_source_box", horizontal=True, label_visibility="collapsed",
             on_change=_copy, args=("own_source_box", _SOURCE))
    return st.session_state["own_source_box"] == SOURCES[1]


def choose(settings) -> Own | None:
    """The spec box, the options box and what loading means; the network resolved (a file imported) and its
    scoring's settings, or None with the reason said in words. A refusal of the library is raised."""
    _kept(_SPEC, "own_spec_box", EXAMPLE)
    _kept(_OPTIONS, "own_options_box", "")
    local = listens_here_only()
    forms = ", ".join(own_network.FORMS) if local else "timm:NAME or torchvision:NAME"
    left, right = st.columns([3, 2])
    left.text_input("Your network", key="own_spec_box", on_change=_copy, args=("own_spec_box", _SPEC),
                    placeholder="timm:resnet18, torchvision:mobilenet_v3_small" + (", nets/mine.py:make_net"
                                                                                   if local else ""),
                    help=f"One of {forms}. timm and torchvision networks get random weights (nothing is "
                         "downloaded) and are fed 64x64 images, as their atlases were.")
    right.text_input("Factory options (JSON)", key="own_options_box", on_change=_copy,
                     args=("own_options_box", _OPTIONS), placeholder='none, or e.g. {"width": 16}',
                     help="Keyword arguments for the factory (or for timm's and torchvision's builders).")
    if local:
        st.caption("Loading a file or a module runs its Python code on this machine, with this app's rights: name "
                   "only code you trust. The app takes files and modules only while it listens on this machine "
                   f"alone, as now; a relative path starts from {messages.literal(Path.cwd())}.")
    else:
        st.caption("Loading a file or a module runs its Python code on this machine, so this shared app (it listens "
                   f"on {messages.literal(server_address() or 'every interface')}) takes only timm and "
                   "torchvision names.")
    spec = st.session_state["own_spec_box"].strip()
    if not spec:
        st.info("Name a network above, e.g. " + messages.literal(EXAMPLE) + ".")
        return None
    if loads_code(spec) and not local:
        messages.error(spec, prefix="This app is shared on a network, so it does not load files or modules: "
                                    "loading one runs its code on this machine. Name a timm or torchvision "
                                    "network (timm:NAME, torchvision:NAME), or run the app for this machine "
                                    "alone to load ")
        return None
    options = parse_build_options(st.session_state["own_options_box"])  # a ValueError in words
    stamp = _stamp(spec)
    network = _network(spec, options, stamp)
    return _setup(settings, network, options, stamp)


def _stamp(spec: str) -> tuple:
    head = spec.rpartition(":")[0]
    if not (head.endswith(".py") or "/" in head or "\\" in head):
        return ()
    try:
        found = os.stat(Path(head).expanduser())
    except OSError:
        return ()  # resolve says that it is missing
    return (found.st_size, found.st_mtime_ns)


@st.cache_resource(show_spinner="Loading the network ...", max_entries=8)
def _network(spec: str, options: str, stamp: tuple) -> own_network.OwnNetwork:
    """The network `spec` names with its options (a file imported once per version of it; refusals not kept)."""
    return own_network.resolve(spec, json.loads(options) if options else None)


def _setup(settings, network: own_network.OwnNetwork, options: str, stamp: tuple) -> Own:
    """The sidebar's batch for your network: its input when that is an image input (else Gaussian noise), its
    resolution when it names one, else the network's own (64 for timm and torchvision), else the input's."""
    chosen = st.session_state.get("resolution", "native")
    name = settings.input if settings.input in INPUTS_BY_KIND["image"] else "gaussian"
    own = Own(network.spec, options, stamp, name, settings.batch_size,
              chosen if isinstance(chosen, int) else network.input_spec.resolution, settings.device,
              settings.seed, settings.repeats, settings.reinit)
    try:
        batch(own)
    except data.MissingDataError as err:  # a fresh install has no CIFAR-10: noise needs no file
        st.info(f"{INPUT_LABELS.get(own.input, own.input)} are not on this machine, so your network is scored on "
                "Gaussian noise, which needs no file. Fetch them to score on the sidebar's input.",
                icon=":material/cloud_off:")
        fetch.offer(err, key="own_fetch")
        own = replace(own, input="gaussian")
    return own


def batch(own: Own):
    return engine.inputs(own.input, own.batch_size, own.resolution, own.device)


def described(own: Own) -> str:
    """The batch in words: input, size, seed."""
    x = batch(own).x
    size = f" at {x.shape[-1]}x{x.shape[-2]}" if x.dim() == 4 else ""
    return (f"{INPUT_LABELS.get(own.input, own.input)}{size}, B = {own.batch_size}, seed {own.seed}"
            + (f", {own.repeats} repeats" if own.repeats > 1 else ""))


# --- scoring ----------------------------------------------------------------------------------------------

def ready(own: Own) -> bool:
    """True when the page may score now: expected to take at most `launch.AT_ONCE_SECONDS`, or its button was
    pressed; otherwise draws the button that says how long and returns False."""
    s = st.session_state
    asked = s.setdefault(_ASKED, [])
    if own in asked:
        return True
    seconds, source = expected(own)
    if seconds <= launch.AT_ONCE_SECONDS:
        return True
    slot = st.empty()
    if slot.button(f"Score this network (about {launch.duration(seconds)})", key="own_go", type="primary",
                   icon=":material/play_arrow:"):
        asked[:] = asked[-(MAX_KEPT - 1):] + [own]
        slot.empty()
        return True
    st.caption(f"Nothing is scored until you press the button: at B = {own.batch_size} this takes about "
               f"{launch.duration(seconds)} ({source}).")
    return False


def expected(own: Own) -> tuple[float, str]:
    """(seconds, where that number comes from): its own time here before, else its size at this batch."""
    timed = st.session_state.get(_TIMED, {})
    if own in timed:
        return timed[own], "as it took here before"
    flops, values = _cost(own)
    seconds = (flops / launch.FLOPS_PER_SECOND + values / launch.VALUES_PER_SECOND) * own.repeats
    if own.device.startswith("cuda"):
        seconds /= launch.GPU_SPEEDUP
    return seconds, "estimated from the network's size: its FLOPs and the neurons SWAP reads"


@st.cache_data(show_spinner="Sizing the network ...", max_entries=64)
def _cost(own: Own) -> tuple[float, int]:
    network = _network(own.spec, own.options, own.stamp)
    try:
        return models.cost(network, network.spec, {}, batch(own))
    except own_network.NetworkError:
        raise  # the factory raised, or returned no module: said now
    except Exception:  # a forward that cannot run on the meta device: scored at once, where the checks say why
        return 0.0, 0


def score(own: Own, keep_patterns: int) -> swap_engine.SwapResult:
    """The raw SWAP result (with a pattern sample), and its time kept for the next estimate."""
    result = _score(own, keep_patterns)
    timed = st.session_state.setdefault(_TIMED, {})
    timed[own] = result.seconds
    while len(timed) > MAX_KEPT:
        timed.pop(next(iter(timed)))
    return result


@st.cache_data(show_spinner=False, max_entries=32)
def _score(own: Own, keep_patterns: int) -> swap_engine.SwapResult:
    """The CLI's path (`score --model`): load (sized, built from the seed, tried on the batch), then score."""
    network = _network(own.spec, own.options, own.stamp)
    inputs = batch(own)
    model = models.load(network, inputs=inputs, seed=own.seed, device=own.device)
    return swap_engine.swap_score(model, inputs, seed=own.seed, device=own.device, repeats=own.repeats,
                                  reinit="gaussian" if own.reinit else None, keep_patterns=keep_patterns)


# --- against a benchmark ----------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Reading the atlas ...", max_entries=8)
def _reference(name: str, column: str) -> pd.DataFrame:
    """The atlas with its accuracy, checked to place `column` (shared: never modify it)."""
    return placement.reference(name, column)


def placement_section(own: Own, result: swap_engine.SwapResult) -> None:
    """The score among a benchmark's networks: percentile, the nearest in score with their accuracy, and the
    chart of the whole atlas; when timm-in1k cannot place it, why, and the zoo instead."""
    st.subheader("Among a benchmark's networks")
    _kept(_REFERENCE, "own_reference_box", REFERENCES[0])
    st.selectbox("Compare with", REFERENCES, key="own_reference_box", on_change=_copy,
                 args=("own_reference_box", _REFERENCE),
                 format_func=lambda name: f"{name}: {atlas.spec(name).title}")
    chosen = st.session_state["own_reference_box"]
    column = score_column("swap", own.batch_size)
    for name in dict.fromkeys([chosen, *REFERENCES]):
        try:
            frame = _reference(name, column)
            found = placement.place(result.raw_score, column, frame)
        except placement.PlacementError as err:
            messages.info(err, prefix=f"Not placed among {name}'s networks: ", icon=":material/info:")
            continue
        if name != chosen:
            st.caption(f"Placed among {name}'s networks instead ({atlas.spec(name).title}).")
        _placed(own, result, found, frame)
        return


def _placed(own: Own, result: swap_engine.SwapResult, found: placement.Placement, frame: pd.DataFrame) -> None:
    target = found.target
    unit = "%" if target.endswith("_pct") else ""
    cols = st.columns(3)
    cols[0].metric("percentile", f"{found.percentile:.1f}",
                   help=f"The share of {found.atlas}'s networks scored in {found.column} whose score is below "
                        "this one, ties counted half.")
    cols[1].metric(f"networks in {found.atlas}", f"{found.rows:,}",
                   help=f"Scored in {found.column}, of {found.cells:,} in the atlas.")
    if len(found.nearest):
        cols[2].metric(f"{len(found.nearest)} nearest: mean {column_words(target)}",
                       f"{found.nearest[target].mean():.1f}{unit}",
                       help="What networks scoring alike reached when trained, not what this one will.")
    st.write(messages.literal(found.words()[0]) + ".")
    note = _unlike(found.measured, own, result)
    if note:
        st.caption(note)
    if len(found.nearest):
        nearest = found.nearest.rename(columns={found.column: "score"})
        st.dataframe(engine.readable(nearest), hide_index=True)
    shown = frame[["arch", found.column, target, "params"]].dropna(subset=[found.column, target])
    fig = charts.score_vs_target(shown, found.column, target)
    engine.mark_value(fig, result.raw_score, "your network")
    fig.update_xaxes(title_text=Column.parse(found.column).words())
    fig.update_layout(title=f"{column_words(target)} against {Column.parse(found.column).words()} over "
                            f"{found.atlas}'s networks, your network's score marked")
    show_chart(fig, f"own_network_{found.atlas}", shown)


def _unlike(measured: dict, own: Own, result: swap_engine.SwapResult) -> str:
    """A caption when the atlas scored its networks on another input, size, seed or repeats than this score."""
    if not measured:
        return ""
    x = batch(own).x
    mine = (own.input, int(x.shape[-1]) if x.dim() == 4 else None, own.seed)
    theirs = (measured.get("input"), measured.get("resolution") or 32, measured.get("seed", 0))
    if mine == theirs and own.repeats == 1 and not own.reinit:
        return ""
    return (f"The atlas scored {INPUT_LABELS.get(str(theirs[0]), theirs[0])} at {theirs[1]}x{theirs[1]} with seed "
            f"{theirs[2]}, one pass; this score is on {described(own)}"
            + (" with Gaussian re-init" if own.reinit else "")
            + ": scores on other settings compare only loosely (set the sidebar to match for a like-for-like "
              "placement).")


__all__ = ["LIBRARIES", "Own", "SOURCES", "choose", "choose_source", "described", "listens_here_only",
           "loads_code", "placement_section", "ready", "score", "server_address"]
