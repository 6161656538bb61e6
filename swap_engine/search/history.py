"""A search's history: its settings, then one JSON object per step (format `swap-search-history/1`).

A saved history is how a search is shared, checked and resumed (`evolution.Search(..., history=...)` replays
it); every record is checked field by field on reading, so a damaged file is an error that names its line.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

HISTORY_FORMAT = "swap-search-history/1"


_NUMBER = (int, float)
_FIELD_TYPES = {"step": (int,), "arch": (str,), "score": _NUMBER, "raw": (*_NUMBER, type(None)),
                "params": (int, type(None)), "seconds": _NUMBER, "cached": (bool,), "error": (str, type(None))}


@dataclass(frozen=True)
class Record:
    """One step of a search: the architecture (canonical text) and its fitness."""

    step: int
    arch: str
    score: float
    raw: float | None = None
    params: int | None = None
    seconds: float = 0.0  # time the fitness call took; 0 for a cached score
    cached: bool = False  # True when the arch had been scored earlier in this search
    error: str | None = None  # why the fitness call failed ("TypeError: ..."); the score is then NaN

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_json(self) -> str:
        item = dataclasses.asdict(self)
        if item["error"] is None:
            del item["error"]  # histories of searches without failures read as before
        return json.dumps(item)

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Record:
        missing = {"step", "arch", "score"} - set(item)
        unknown = set(item) - set(_FIELD_TYPES)
        if missing or unknown:
            raise ValueError(f"history record has missing fields {sorted(missing)} "
                             f"or unknown fields {sorted(unknown)}")
        for name, value in item.items():
            if isinstance(value, bool) != (name == "cached") or not isinstance(value, _FIELD_TYPES[name]):
                raise ValueError(f"history record field {name!r} has the wrong type: {value!r}")
        if item.get("error") is None and not math.isfinite(item["score"]):
            raise ValueError(f"history record step {item['step']} has score {item['score']} but no error")
        return cls(**item)


@dataclass
class History:
    """A search's settings and every step it took; one JSON object per line (settings first)."""

    settings: dict[str, Any]
    records: list[Record] = field(default_factory=list)

    def dumps(self) -> str:
        header = json.dumps({"format": HISTORY_FORMAT, "settings": self.settings})
        return "".join(line + "\n" for line in [header, *(r.to_json() for r in self.records)])

    @classmethod
    def loads(cls, text: str) -> History:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("search history is empty: expected a settings line first")
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError as err:
            raise ValueError(f"search history line 1 is not JSON: {err}") from None
        if not isinstance(header, dict) or header.get("format") != HISTORY_FORMAT:
            raise ValueError(f"search history line 1 must be {{\"format\": \"{HISTORY_FORMAT}\", ...}}")
        records = []
        for number, line in enumerate(lines[1:], start=2):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"search history line {number} is not JSON: {err}") from None
            if not isinstance(item, dict):
                raise ValueError(f"search history line {number} is not a JSON object")
            record = Record.from_dict(item)
            if record.step != number - 2:
                raise ValueError(f"search history line {number} has step {record.step}, expected {number - 2}")
            records.append(record)
        return cls(dict(header.get("settings") or {}), records)


def jsonable(value: Any) -> Any:
    """The value as it reads back from JSON (tuples become lists, devices and the like become strings)."""
    return json.loads(json.dumps(value, default=str))


__all__ = ["HISTORY_FORMAT", "History", "Record", "jsonable"]
