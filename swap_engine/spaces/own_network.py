"""Your own network, named by one line of text, as a space of one architecture.

    FILE.py:factory            a Python file (its code runs when it is loaded), then a function in it
    package.module:factory     an importable module, then a function in it
    timm:NAME                  any `timm.list_models()` name, random weights (the timm space's build)
    torchvision:NAME           any `torchvision.models.list_models()` name, `weights=None`

A factory takes no arguments, or keyword options (`--model-option k=v`), and returns an `nn.Module`. Nothing
is ever downloaded: timm and torchvision models get random weights, and an option asking for trained ones
(`pretrained`, `weights`) is refused. Each way the text can be wrong is a `NetworkError` in words: a missing
file or module, one that raises while it is imported, a missing or uncallable factory, options it does not
take, a factory that raises or returns something other than a module. `check_runs` then tries the built
network on the batch it will be scored on, through the engine's own capture: one that does not take that
shape, or calls no activation SWAP can hook, is refused before scoring.

It is a `SearchSpace` so that `swap_engine.models.load` sizes it on torch's meta device and builds it from a
seed exactly as it does any cell; it is not registered, since it is not a space to pick from a list.
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import importlib
import importlib.util
import inspect
import random
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from swap_engine.spaces.base import InputSpec, SearchSpace
from swap_engine.swap.capture import (DEFAULT_ACTIVATIONS, FUNCTIONAL_ATTRIBUTE, PatternCapture, activation_functions,
                                      activation_modules, module_names)
from swap_engine.swap.model_state import preserved
from swap_engine.swap.score import forward_arguments
from swap_engine.words import check_text, quote

FORMS = ("FILE.py:factory", "package.module:factory", "timm:NAME", "torchvision:NAME")
LIBRARY_RESOLUTION = 64  # timm's and torchvision's networks are built and fed at 64x64, as their atlases are
TRIAL_SAMPLES = 2  # samples of the trial forward: enough for train-mode BatchNorm, cheap on any network
_TRAINED = ("pretrained", "weights", "pretrained_cfg", "pretrained_cfg_overlay", "checkpoint_path")


class NetworkError(ValueError):
    """Your network could not be loaded, or cannot be scored on the batch given; the message says why in words."""


class OwnNetwork(SearchSpace):
    """One network made by `make` (options already bound); its only architecture is the text that named it."""

    description = "your own network: a factory in a file or a module, or a timm or torchvision name"

    def __init__(self, spec: str, make: Callable[[], Any], *, maker: str, resolution: int | None = None) -> None:
        self.name = spec
        self.spec = spec
        self.maker = maker  # what `make` calls, in words ("make_net(width=8) in net.py")
        self.input_spec = InputSpec(kind="image", channels=3, resolution=resolution, default_input="gaussian")
        self._make = make

    def parse(self, text: str) -> str:
        if text != self.spec:
            raise NetworkError(f"{self.spec} is one network; it has no architecture {quote(text)}")
        return text

    def format(self, arch: str) -> str:
        return self.parse(arch)

    def build(self, arch: str | None = None) -> nn.Module:
        """The network, from torch's current RNG; whatever the factory raises or wrongly returns, in words."""
        try:
            model = self._make()
        except NetworkError:
            raise
        except Exception as err:
            raise NetworkError(f"{self.maker} raised {_error(err)}") from None
        if not isinstance(model, nn.Module):
            raise NetworkError(f"{self.maker} returned {type(model).__name__} {quote(model)}, not a torch.nn.Module; "
                               "a factory must return the network itself")
        return model

    def sample(self, n: int, seed: int = 0) -> list[str]:
        if n > 1:
            raise NetworkError(f"{self.spec} is one network: there are not {n} to sample")
        return [self.spec][:n]

    def mutate(self, arch: str, rng: random.Random) -> str:
        raise NetworkError(f"{self.spec} is one network: it has no neighbours to search")


def resolve(spec: str, options: Mapping[str, Any] | None = None) -> OwnNetwork:
    """The network `spec` names with `options` bound, checked as far as it can be without building it.

    A file or module is imported here (its code runs); the factory is called only by `build`."""
    text = check_text(spec, "network")
    chosen = dict(options or {})
    head, sep, tail = text.rpartition(":")
    if not sep or not head or not tail:
        raise NetworkError(f"a network is named as one of {', '.join(FORMS)}; got {quote(text)}")
    if head == "timm":
        return _timm(text, tail, chosen)
    if head == "torchvision":
        return _torchvision(text, tail, chosen)
    is_file = head.endswith(".py") or "/" in head or "\\" in head
    where, owner = _from_file(head) if is_file else _from_module(head)
    folder = str(Path(owner.__file__).parent) if is_file else None
    if not hasattr(owner, tail):
        defined = [n for n, v in vars(owner).items() if callable(v) and not n.startswith("_")
                   and getattr(v, "__module__", None) == owner.__name__]
        near = difflib.get_close_matches(tail, defined, n=5, cutoff=0.5) or sorted(defined)[:10]
        hint = f"; it defines {', '.join(near)}" if near else "; it defines no function"
        raise NetworkError(f"{where} has no factory {quote(tail)}{hint}")
    factory = getattr(owner, tail)
    if not callable(factory):
        raise NetworkError(f"{tail} in {where} is {type(factory).__name__} {quote(factory)}, not a function: "
                           "name a function (or class) that returns the network")
    _bind(factory, chosen, f"{tail} in {where}")
    maker = f"{tail}({_listed(chosen)}) in {where}"
    return OwnNetwork(text, lambda: _beside(folder, lambda: factory(**chosen)), maker=maker)


def _from_file(head: str) -> tuple[str, Any]:
    path = Path(head).expanduser()
    if not path.is_file():
        raise NetworkError(f"no file {quote(head)}" + (f" (looked in {Path.cwd()})" if not path.is_absolute() else "")
                           + ("; a file named in a network ends in .py" if not head.endswith(".py") else ""))
    path = path.resolve()
    name = f"swap_own_network_{abs(hash(str(path)))}"
    loader = importlib.util.spec_from_file_location(name, path)
    if loader is None or loader.loader is None:
        raise NetworkError(f"{head} cannot be imported as Python (is it a .py file?)")
    module = importlib.util.module_from_spec(loader)
    sys.modules[name] = module  # as an import would: its dataclasses and pickling look for it there
    try:
        _beside(str(path.parent), lambda: loader.loader.exec_module(module))  # type: ignore[union-attr]
    except BaseException as err:
        sys.modules.pop(name, None)
        if isinstance(err, KeyboardInterrupt):
            raise
        raise NetworkError(f"importing {head} raised {_error(err, path)}; fix the file and try again") from None
    return str(head), module


def _from_module(head: str) -> tuple[str, Any]:
    try:
        return f"module {head}", importlib.import_module(head)
    except ModuleNotFoundError as err:
        if err.name and (head == err.name or head.startswith(err.name + ".")):
            raise NetworkError(f"no Python module {quote(err.name)}: install it, or put the folder that holds it on "
                               "PYTHONPATH (for a single file, name it as path/to/file.py:factory)") from None
        raise NetworkError(f"importing module {head} raised {_error(err)}") from None
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt):
            raise
        raise NetworkError(f"importing module {head} raised {_error(err)}") from None


def _beside(folder: str | None, call: Callable[[], Any]) -> Any:
    """`call()` with the file's folder first on `sys.path`, so a file imports its sibling modules as
    `python file.py` would let it."""
    if folder is None:
        return call()
    sys.path.insert(0, folder)
    try:
        return call()
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _bind(factory: Callable, options: dict[str, Any], what: str) -> None:
    """The options against the factory's signature: unknown names, and required arguments left out, in words."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # a builtin without a signature: let the call say
        return
    try:
        signature.bind(**options)
    except TypeError:
        takes = [p for p in signature.parameters.values() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
        described = ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in takes)
        needed = [p.name for p in takes if p.default is p.empty and p.name not in options]
        unknown = [n for n in options if n not in {p.name for p in takes}]
        if unknown and not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            said = f"does not take option {', '.join(quote(n, 40) for n in unknown)}"
        elif needed:
            said = f"needs {', '.join(needed)}: give each with --model-option NAME=VALUE"
        else:
            said = "cannot be called with these options"
        raise NetworkError(f"{what} {said}; it takes " + (f"({described})" if described else "no options")) from None


def _timm(text: str, name: str, options: dict[str, Any]) -> OwnNetwork:
    from swap_engine.spaces.timm import RESOLUTION, TimmSpace

    space = TimmSpace()
    try:
        arch = space.parse(name)
    except ValueError as err:
        raise NetworkError(str(err)) from None
    _refuse_trained(options)
    _bind(functools.partial(space.build, arch), options, f"timm:{arch}")
    size = options.get("img_size", RESOLUTION)
    return OwnNetwork(text, lambda: space.build(arch, **options),
                      maker=f"timm's create_model for {arch}" + (f" ({_listed(options)})" if options else ""),
                      resolution=size if isinstance(size, int) else None)


def _torchvision(text: str, name: str, options: dict[str, Any]) -> OwnNetwork:
    from torchvision import models

    known = models.list_models()
    if name not in known:
        near = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
        hint = f"; closest: {', '.join(near)}" if near else "; list them with torchvision.models.list_models()"
        raise NetworkError(f"unknown torchvision model {quote(name)}{hint}")
    _refuse_trained(options)
    chosen: dict[str, Any] = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    chosen.update(options)

    def make() -> nn.Module:
        try:
            model = models.get_model(name, weights=None, **chosen)
        except TypeError as err:
            raise NetworkError(f"torchvision's {name} does not take these options ({_listed(options)}): "
                               f"{err}") from None
        setattr(model, FUNCTIONAL_ATTRIBUTE, True)  # as the zoo space's: some call F.relu (see spaces.zoo)
        return model

    return OwnNetwork(text, make, maker=f"torchvision's {name}" + (f" ({_listed(options)})" if options else ""),
                      resolution=LIBRARY_RESOLUTION)


def _refuse_trained(options: Mapping[str, Any]) -> None:
    asked = [n for n in options if n in _TRAINED]
    if asked:
        raise NetworkError(f"option {', '.join(asked)} asks for trained weights; SWAP scores networks at random "
                           "initialisation and this loader never downloads weights")


def check_runs(model: nn.Module, inputs: Any, *, name: str, mode: str = "train") -> None:
    """Refuse, in words, a network that cannot be scored on `inputs`: one with no activation SWAP can hook,
    one whose forward fails on the batch's shape, one whose forward calls none of its activations.

    A trial forward of the first `TRIAL_SAMPLES` samples, inside the engine's own capture (`PatternCapture`),
    from a forked RNG; the model comes back as it was (weights, buffers, modes)."""
    functional = bool(getattr(model, FUNCTIONAL_ATTRIBUTE, False))
    modules = activation_modules(model, DEFAULT_ACTIVATIONS)
    if not modules and not functional:
        kinds = ", ".join(t.__name__ for t in DEFAULT_ACTIVATIONS)
        raise NetworkError(f"{name} has no activation module for SWAP to hook (none of {kinds}); if it applies "
                           "its activations as functions (F.relu), set `model.swap_functional = True` in the "
                           "factory so that SWAP counts those calls")
    args, kwargs, shape = _trial(inputs)
    samples = next(t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)).shape[0]
    capture = PatternCapture(modules, batch_size=samples, ternary=True,
                             functions=activation_functions(DEFAULT_ACTIVATIONS) if functional else None,
                             names=module_names(model) if functional else None)
    device = next((t.device for t in (*model.parameters(), *model.buffers())), torch.device("cpu"))
    move = lambda t: t.to(device) if isinstance(t, torch.Tensor) else t  # noqa: E731
    try:
        with preserved(model, weights=False), torch.random.fork_rng(devices=[]), torch.no_grad(), capture:
            model.train(mode == "train")
            model(*(move(a) for a in args), **{k: move(v) for k, v in kwargs.items()})
    except Exception as err:
        raise NetworkError(f"{name} does not take inputs of shape {shape} (tried on its first {samples} samples): "
                           f"its forward raised {_error(err)}") from None
    if not capture.layers:
        raise NetworkError(f"{name}'s forward called none of its {len(modules)} activation module(s)"
                           + (" nor any activation function" if functional else "")
                           + ": SWAP has no pattern to count")


def _trial(inputs: Any) -> tuple[tuple, dict, str]:
    """The first samples of a batch as forward arguments, and the whole batch's shape in words."""
    try:
        args, kwargs = forward_arguments(inputs)
    except ValueError as err:
        raise NetworkError(str(err)) from None
    tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor) and t.dim()]
    if not tensors:
        raise NetworkError("the inputs hold no batched tensor (the first dimension must be the batch)")
    shape = " and ".join(str(tuple(t.shape)) for t in tensors)
    cut = lambda t: t[:TRIAL_SAMPLES] if isinstance(t, torch.Tensor) and t.dim() else t  # noqa: E731
    return tuple(cut(a) for a in args), {k: cut(v) for k, v in kwargs.items()}, shape


def _error(err: BaseException, path: Path | None = None) -> str:
    """An exception in words: its type, its message, and the line of `path` it came from when there is one."""
    text = str(err.msg if isinstance(err, SyntaxError) else err)
    text = text if len(text) <= 300 else text[:300] + "..."
    said = f"{type(err).__name__}: {text}" if text else type(err).__name__
    if path is not None:
        lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path]
        if isinstance(err, SyntaxError) and err.lineno:
            lines.append(err.lineno)
        if lines:
            said += f" (line {lines[-1]})"
    return said


def _listed(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())


__all__ = ["FORMS", "NetworkError", "OwnNetwork", "check_runs", "resolve"]
