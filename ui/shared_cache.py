"""One copy of each large result per server process, bounded by the bytes it holds (issue 15).

Why not `st.cache_data`: it pickles every value and hands each hit a fresh unpickled copy. A
scored year of 200,000 firms is ~145 MB, so every page view paid a copy and memory grew with
every profile and scale a user looked at. Why not `st.cache_resource`: it bounds entries by
count, and a city year is 3 MB while a province year is 145 MB. Here each value is stored once
and shared read-only — numpy arrays are frozen, and a DataFrame is handed out as a shallow
copy, which pandas' copy-on-write keeps from ever writing into the stored one — and the least
recently used values go when the total passes the budget. One thread computes a missing key;
the others asking for it wait for that result instead of computing it again.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

T = TypeVar("T")

# The default leaves room, under the 1.5 GB a province-scale server may use, for the process
# itself (~300 MB), DuckDB and two scorings in flight (`ui.cache.SCORING_THREADS`);
# `MUYUN_CACHE_MB` overrides it.
DEFAULT_BUDGET_MB = 420


def nbytes(value: object) -> int:
    """Bytes held by a cached value: frames, arrays and the dataclasses and containers of them."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(nbytes(v) for v in value)
    return 64


def freeze(value: object) -> None:
    """Make the arrays inside a value read-only, so a caller that writes into one fails loudly
    instead of changing what every other session sees."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            freeze(getattr(value, field.name))
    elif isinstance(value, dict):
        for item in value.values():
            freeze(item)
    elif isinstance(value, list | tuple):
        for item in value:
            freeze(item)


def hand_out(value: T) -> T:
    """What a caller receives: the stored value, a DataFrame or Series as a shallow copy (its
    columns are shared until somebody writes, and then only the writer's copy changes)."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return cast(T, tuple(hand_out(item) for item in value))
    return value


@dataclasses.dataclass
class _Entry:
    value: Any
    size: int
    stored_at: float


class SharedCache:
    """A thread-safe LRU keyed by plain values, bounded by `budget` bytes and `ttl_s` seconds.

    An entry larger than the whole budget is still handed out but not kept.
    """

    def __init__(self, budget: int, ttl_s: float) -> None:
        self.budget = budget
        self.ttl_s = ttl_s
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._generation = 0

    @property
    def size(self) -> int:
        """Bytes held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return self._fresh(key) is not None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for `key`, computed once by `compute` when missing or expired."""
        with self._lock:
            entry = self._fresh(key)
            if entry is not None:
                return hand_out(entry.value)
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                entry = self._fresh(key)
                if entry is not None:
                    return hand_out(entry.value)
                generation = self._generation
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            freeze(value)
            with self._lock:
                if generation == self._generation:  # not cleared while computing
                    self._store(key, value)
            return hand_out(value)

    def clear(self) -> None:
        """Drop everything (after a write to the store); a computation in flight is not kept."""
        with self._lock:
            self._entries.clear()
            self._size = 0
            self._generation += 1

    def discard(self, kind: Hashable) -> None:
        """Drop every entry whose key is a tuple starting with `kind` (say, after an edit that
        changes one kind of result); a computation of any key in flight is not kept."""
        with self._lock:
            for key in [k for k in self._entries if isinstance(k, tuple) and k[:1] == (kind,)]:
                self._drop(key)
            self._generation += 1

    def _fresh(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry.stored_at > self.ttl_s:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _store(self, key: Hashable, value: object) -> None:
        size = nbytes(value)
        if key in self._entries:
            self._drop(key)
        if size > self.budget:
            return
        while self._entries and self._size + size > self.budget:
            self._drop(next(iter(self._entries)))
        self._entries[key] = _Entry(value, size, time.monotonic())
        self._size += size

    def _drop(self, key: Hashable) -> None:
        self._size -= self._entries.pop(key).size


def budget_from_env() -> int:
    """The cache budget in bytes: `MUYUN_CACHE_MB`, else the default."""
    raw = os.environ.get("MUYUN_CACHE_MB", "").strip()
    megabytes = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_BUDGET_MB
    return megabytes * 1024 * 1024
