"""The result store: an append-only, checksummed CSV keyed by (space, arch, proxy, settings hash).

Why this format: appending one line per result is the only write, so a process killed mid-write can
leave at most one torn last line. Every line ends with the CRC-32 of the rest of it, so a torn or
corrupted line is detected and dropped on reading (and cut off before the next append). A key seen
twice (a retried task whose first result did arrive) is kept once: the first. `frame()` gives the
columnar view; `atlas` and `study` pivot it into wide tables.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

COLUMNS = ["space", "arch", "proxy", "settings", "values", "seconds", "error"]
HEADER = ",".join([*COLUMNS, "crc"])


@dataclass(frozen=True)
class Record:
    """One job's outcome: `values` maps result names to numbers (a SWAP job yields all its variants);
    `error` is the message of a job that raised (then `values` is empty)."""

    space: str
    arch: str
    proxy: str
    settings: str  # the settings hash
    values: dict[str, float]
    seconds: float
    error: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.space, self.arch, self.proxy, self.settings

    @property
    def failed(self) -> bool:
        return bool(self.error)


def _encode(record: Record) -> str:
    values = json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v)
                         for k, v in record.values.items()}, sort_keys=True, allow_nan=True)
    fields = [record.space, record.arch, record.proxy, record.settings, values, repr(float(record.seconds)),
              json.dumps(record.error)]
    for field in fields[:4]:
        if "\n" in field or "\r" in field:
            raise ValueError(f"a store key may not contain a line break: {field!r}")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    body = buffer.getvalue()
    return f"{body},{zlib.crc32(body.encode()):08x}\n"


def _decode(line: str) -> Record | None:
    """The record of one complete line, or None when its checksum does not match (torn or corrupt)."""
    body, sep, crc = line.rpartition(",")
    if not sep or len(crc) != 8:
        return None
    try:
        if int(crc, 16) != zlib.crc32(body.encode()):
            return None
        space, arch, proxy, settings, values, seconds, error = next(csv.reader([body]))
        parsed = {k: (math.nan if v is None else float(v)) for k, v in json.loads(values).items()}
        return Record(space, arch, proxy, settings, parsed, float(seconds), json.loads(error))
    except (ValueError, StopIteration, TypeError):
        return None


class Store:
    """Results of a runner's jobs in one file; safe to read while another process appends."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._known: dict[tuple[str, str, str, str], bool] | None = None  # key -> failed, read once per writer

    def records(self) -> Iterator[Record]:
        """Every valid record once per key, in file order: the first success, else the first failure
        (a failed job that a later run retried successfully reads as that success)."""
        if not self.path.exists():
            return
        chosen: dict[tuple[str, str, str, str], Record] = {}
        with open(self.path, newline="") as handle:
            for line in handle:
                if not line.endswith("\n") or line.startswith("space,"):
                    continue  # a torn last line (no newline yet), or the header
                record = _decode(line.rstrip("\n"))
                if record is None:
                    continue
                earlier = chosen.get(record.key)
                if earlier is None or (earlier.failed and not record.failed):
                    chosen[record.key] = record
        yield from chosen.values()

    def keys(self, *, include_failed: bool = True) -> set[tuple[str, str, str, str]]:
        """Keys already stored; without failed ones when a rerun should retry them."""
        return {r.key for r in self.records() if include_failed or not r.failed}

    def append(self, records: Iterable[Record]) -> int:
        """Append records whose key is not stored yet (or stored as a failure, for a success); returns how
        many were written."""
        records = list(records)
        if not records:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._known is None:
            self._cut_torn_tail()
            self._known = {r.key: r.failed for r in self.records()}
        stored = self._known
        fresh = []
        for record in records:
            if record.key not in stored or (stored[record.key] and not record.failed):
                stored[record.key] = record.failed
                fresh.append(record)
        if not fresh:
            return 0
        new_file = not self.path.exists() or self.path.stat().st_size == 0
        with open(self.path, "a", newline="") as handle:
            if new_file:
                handle.write(HEADER + "\n")
            handle.write("".join(_encode(r) for r in fresh))
            handle.flush()
            os.fsync(handle.fileno())
        return len(fresh)

    def _cut_torn_tail(self) -> None:
        """Drop a partial last line (a write cut short by a kill) so the next record starts on its own line."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            position = size
            while position > 0:
                step = min(65536, position)
                handle.seek(position - step)
                chunk = handle.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    handle.truncate(position - step + newline + 1)
                    return
                position -= step
            handle.truncate(0)

    def frame(self) -> pd.DataFrame:
        """One row per record: the key columns, `seconds`, `error`, and one column per value name."""
        rows = [{"space": r.space, "arch": r.arch, "proxy": r.proxy, "settings": r.settings,
                 "seconds": r.seconds, "error": r.error, **r.values} for r in self.records()]
        return pd.DataFrame(rows, columns=None if rows else [*COLUMNS[:4], "seconds", "error"])

    def failures(self) -> list[Record]:
        return [r for r in self.records() if r.failed]


def read_values(path: str | os.PathLike) -> dict[tuple[str, str, str, str], dict[str, float]]:
    """Key -> values of the successful records of a store file (a convenience for callers and tests)."""
    return {r.key: r.values for r in Store(path).records() if not r.failed}


def settings_hash(settings: dict[str, Any]) -> str:
    """A short, stable hash of a settings mapping (key order does not matter)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


__all__ = ["Record", "Store", "read_values", "settings_hash"]
