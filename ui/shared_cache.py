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

import ctypes
import ctypes.util
import dataclasses
import gc
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa

T = TypeVar("T")

# The default leaves room, under the 1.5 GB a province-scale server may use, for the process
# itself (~300 MB), DuckDB and the scoring in flight (`ui.cache.scoring_threads`);
# `MUYUN_CACHE_MB` overrides it.
DEFAULT_BUDGET_MB = 360
# A value this large was computed with as much again in temporaries: return them to the OS.
TRIM_AFTER_BYTES = 16 * 1024 * 1024


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, None elsewhere (musl, macOS: nothing to do there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return cast(Callable[[int], int], libc.malloc_trim)
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


# A script run after which resident memory has grown by more than this collects its garbage.
COLLECT_AFTER_GROWTH_BYTES = 96 * 1024 * 1024
_resident_after_collect = 0
_collect_lock = threading.Lock()


def _resident_bytes() -> int:
    """This process's resident memory (Linux `/proc`; 0 where there is none)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def collect_if_grown() -> None:
    """After a script run: when resident memory has grown by more than
    `COLLECT_AFTER_GROWTH_BYTES` since the last collection, collect cyclic garbage and give the
    freed heap back (`release_free_memory`).

    Why: frames caught in reference cycles wait for Python's rare full collections, and at
    province scale that let a server's memory swing by ~700 MB between them. A full collection
    takes ~0.1 s, so it runs only after a run that allocated a lot, never on a light rerun.
    """
    global _resident_after_collect
    resident = _resident_bytes()
    if not resident or resident - _resident_after_collect < COLLECT_AFTER_GROWTH_BYTES:
        return
    with _collect_lock:
        gc.unfreeze()  # cyclic garbage among the frozen objects goes too (`freeze_imports`)
        gc.collect()
        gc.freeze()
        release_free_memory()
        _resident_after_collect = _resident_bytes()


_modules_when_frozen = 0


def freeze_imports() -> None:
    """After a run that imported modules: move every live object out of the collector's sight.

    Why: Streamlit collects garbage after every script run, fragment reruns included, and a full
    collection walked ~150,000 long-lived objects of pandas, plotly and Streamlit itself: ~75 ms
    of each what-if slider step. Frozen objects are still freed by reference counting; the rare
    cycles among them are collected by `collect_if_grown`, which unfreezes first.
    """
    global _modules_when_frozen
    if len(sys.modules) == _modules_when_frozen:
        return
    with _collect_lock:
        gc.collect()
        gc.freeze()
        _modules_when_frozen = len(sys.modules)


def use_system_allocator() -> None:
    """Let Arrow allocate with malloc instead of its own mimalloc pool.

    Why: every read from DuckDB and every text column goes through Arrow, and mimalloc kept
    what those freed (~100 MB after scoring a province year) where `malloc_trim` cannot
    return it; with malloc, `release_free_memory` gives it back too.
    """
    pa.set_memory_pool(pa.system_memory_pool())


def release_free_memory() -> None:
    """Give the heap that pandas and numpy freed back to the operating system.

    Why: glibc keeps freed memory in its arenas, so scoring a province year left ~260 MB of
    resident memory behind after its temporaries were gone, and a server's RSS grew with every
    year and profile scored. Trimming takes well under a millisecond.
    """
    if _TRIM is not None:
        _TRIM(0)


def _kind(key: Hashable) -> Hashable:
    """The kind of a key: its first item when it is a tuple (`("live", 2024, "…")` → "live")."""
    return key[0] if isinstance(key, tuple) and key else key


def buffers(value: object) -> dict[int, int]:
    """The memory a cached value holds, as {address: bytes} of each distinct buffer in it.

    Why by buffer: pandas' copy-on-write lets a frame share its columns with the frame it was
    made from, so a policy year shares every scored column with its scored year and a report
    context holds the scored year twice. Counted frame by frame, a province report context
    came to ~640 MB (its distinct buffers are ~314 MB, nearly all of them the scored and raw
    years the cache already held) and was never kept. Keyed by address, the
    cache counts each buffer once however many frames and entries hold it.
    """
    found: dict[int, int] = {}
    _collect(value, found)
    return found


def nbytes(value: object) -> int:
    """Bytes held by a cached value, each shared buffer counted once (`buffers`)."""
    return sum(buffers(value).values())


def _collect(value: object, found: dict[int, int]) -> None:
    if isinstance(value, pd.DataFrame):
        for _, column in value.items():
            _collect_array(column.array, found)
        _collect_index(value.index, found)
    elif isinstance(value, pd.Series):
        _collect_array(value.array, found)
        _collect_index(value.index, found)
    elif isinstance(value, pd.Index):
        _collect_index(value, found)
    elif isinstance(value, np.ndarray):
        _collect_array(value, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _collect(getattr(value, field.name), found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)
    else:
        found[id(value)] = 64


def _collect_index(index: pd.Index, found: dict[int, int]) -> None:
    if isinstance(index, pd.RangeIndex | pd.MultiIndex):
        found[id(index)] = int(index.memory_usage(deep=True))
    else:
        _collect_array(index.array, found)


def _collect_array(array: object, found: dict[int, int]) -> None:
    """One column's buffers: a numpy view is counted as the whole array it views."""
    if isinstance(array, pd.arrays.NumpyExtensionArray):
        array = np.asarray(array)
    if isinstance(array, np.ndarray):
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        size = root.nbytes
        if root.dtype == object:  # the pointers and the objects they point to
            size = int(pd.Series(root.ravel(), copy=False).memory_usage(index=False, deep=True))
        address = root.__array_interface__["data"][0]
        found[address] = max(found.get(address, 0), size)
    elif isinstance(array, pd.Categorical):
        _collect_array(array.codes, found)
        _collect_index(array.categories, found)
    elif isinstance(array, pd.arrays.ArrowExtensionArray):
        for chunk in array.__arrow_array__().chunks:
            _collect_arrow(chunk, found)
    else:
        found[id(array)] = int(getattr(array, "nbytes", 64))


def _collect_arrow(chunk: pa.Array, found: dict[int, int]) -> None:
    for buffer in chunk.buffers():
        if buffer is not None:
            found[buffer.address] = max(found.get(buffer.address, 0), buffer.size)
    if isinstance(chunk, pa.DictionaryArray):
        _collect_arrow(chunk.dictionary, found)


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
    buffers: dict[int, int]
    stored_at: float


class SharedCache:
    """A thread-safe LRU keyed by plain values, bounded by `budget` bytes and `ttl_s` seconds.

    The bytes held are those of the distinct buffers of every entry (`buffers`): a buffer
    that two entries share counts once, and is freed only when the last of them goes. An
    entry that would add more than the whole budget is still handed out but not kept.
    """

    def __init__(self, budget: int, ttl_s: float) -> None:
        self.budget = budget
        self.ttl_s = ttl_s
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._held: dict[int, list[int]] = {}  # buffer address → [bytes, entries holding it]
        self._size = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._generation = 0
        self._last_size: dict[Hashable, int] = {}  # kind → bytes its latest value added

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
                self._make_room({}, self._last_size.get(_kind(key), 0))
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            freeze(value)
            found = buffers(value)
            with self._lock:
                added = self._added_bytes(found)
                # Room is made ahead only for values that are kept and leave room for others.
                self._last_size[_kind(key)] = added if added <= self.budget // 2 else 0
                if generation == self._generation:  # not cleared while computing
                    self._store(key, value, found)
            if added >= TRIM_AFTER_BYTES:
                release_free_memory()
            return hand_out(value)

    def clear(self) -> None:
        """Drop everything (after a write to the store); a computation in flight is not kept."""
        with self._lock:
            self._entries.clear()
            self._held.clear()
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

    def _added_bytes(self, found: dict[int, int]) -> int:
        """What holding these buffers would add to the bytes held now."""
        return sum(
            max(0, size - self._held.get(address, (0,))[0]) for address, size in found.items()
        )

    def _store(self, key: Hashable, value: object, found: dict[int, int]) -> None:
        if key in self._entries:
            self._drop(key)
        if self._added_bytes(found) > self.budget:
            return
        self._make_room(found, 0)
        if self._added_bytes(found) > self.budget:  # its parts were held, and went to make room
            return
        for address, size in found.items():
            held = self._held.setdefault(address, [0, 0])
            self._size += max(0, size - held[0])
            held[0], held[1] = max(held[0], size), held[1] + 1
        self._entries[key] = _Entry(value, found, time.monotonic())

    def _make_room(self, found: dict[int, int], more: int) -> None:
        """Drop the least recently used values until the buffers `found` and `more` bytes
        fit the budget (what `found` adds grows as the entries sharing its buffers go).

        Also called before a value is computed, with what the last value of its kind added:
        a province year is scored beside what the cache holds, so making room first keeps the
        server's peak near the budget instead of a scored year above it.
        """
        while self._entries and self._size + self._added_bytes(found) + more > self.budget:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        for address in self._entries.pop(key).buffers:
            held = self._held[address]
            held[1] -= 1
            if not held[1]:
                self._size -= held[0]
                del self._held[address]


def positive_int_from_env(name: str, default: int) -> int:
    """A positive whole number from the environment variable `name`, else `default`."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def budget_from_env() -> int:
    """The cache budget in bytes: `MUYUN_CACHE_MB`, else the default."""
    return positive_int_from_env("MUYUN_CACHE_MB", DEFAULT_BUDGET_MB) * 1024 * 1024


# The server imports this module before its first read from DuckDB.
use_system_allocator()
