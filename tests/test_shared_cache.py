"""ui.shared_cache: one shared, read-only copy per key, bounded in bytes, computed once."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from ui import shared_cache
from ui.shared_cache import SharedCache


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(rows, dtype="float64")})


def test_a_hit_does_not_compute_again() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    calls: list[int] = []
    for _ in range(3):
        cache.get("k", lambda: calls.append(1) or 42)
    assert calls == [1]


def test_least_recently_used_go_when_the_budget_is_passed() -> None:
    one = shared_cache.nbytes(frame(1000))
    cache = SharedCache(budget=int(one * 2.5), ttl_s=60)
    cache.get("a", lambda: frame(1000))
    cache.get("b", lambda: frame(1000))
    cache.get("a", lambda: frame(1000))  # a is now the most recent
    cache.get("c", lambda: frame(1000))
    assert "a" in cache and "c" in cache and "b" not in cache
    assert cache.size <= cache.budget


def test_a_value_larger_than_the_budget_is_returned_but_not_kept() -> None:
    cache = SharedCache(budget=100, ttl_s=60)
    assert len(cache.get("big", lambda: frame(1000))) == 1000
    assert "big" not in cache and cache.size == 0


def test_entries_expire_after_the_ttl() -> None:
    cache = SharedCache(budget=10**6, ttl_s=0.05)
    cache.get("k", lambda: 1)
    time.sleep(0.1)
    assert "k" not in cache


def test_a_handed_out_frame_cannot_change_the_stored_one() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    first = cache.get("k", lambda: frame(5))
    first["x"] = -1.0
    first.loc[0, "x"] = 99.0
    first["new"] = 1
    again = cache.get("k", lambda: frame(0))
    assert list(again.columns) == ["x"]
    assert again["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


@dataclass(frozen=True)
class Arrays:
    values: dict[str, np.ndarray]
    codes: np.ndarray


def test_arrays_inside_a_value_are_frozen() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    got = cache.get("k", lambda: Arrays({"a": np.zeros(3)}, np.ones(3)))
    with pytest.raises(ValueError):
        got.values["a"][0] = 1.0
    with pytest.raises(ValueError):
        got.codes[0] = 2.0
    assert shared_cache.nbytes(got) == 48


def test_concurrent_askers_share_one_computation() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 7

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [7, 7, 7, 7] and calls == [1]


def test_a_value_computed_across_a_clear_is_not_kept() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)

    def compute() -> int:
        cache.clear()  # a write happened while this was being computed
        return 1

    assert cache.get("k", compute) == 1
    assert "k" not in cache


def test_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUYUN_CACHE_MB", "12")
    assert shared_cache.budget_from_env() == 12 * 1024 * 1024
    monkeypatch.setenv("MUYUN_CACHE_MB", "lots")
    assert shared_cache.budget_from_env() == shared_cache.DEFAULT_BUDGET_MB * 1024 * 1024


def test_frames_in_a_handed_out_tuple_cannot_change_the_stored_ones() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    members, _leaving = cache.get("k", lambda: (frame(3), frame(2)))
    members["x"] = -1.0
    members["new"] = 1
    again, _ = cache.get("k", lambda: (frame(0), frame(0)))
    assert list(again.columns) == ["x"] and again["x"].tolist() == [0.0, 1.0, 2.0]


def test_discard_drops_one_kind_of_entry_and_keeps_the_rest() -> None:
    cache = SharedCache(budget=10**6, ttl_s=60)
    for key in (("list", 2024), ("list", 2023), ("live", 2024), "plain"):
        cache.get(key, lambda: frame(10))
    cache.discard("list")
    assert ("list", 2024) not in cache and ("list", 2023) not in cache
    assert ("live", 2024) in cache and "plain" in cache
    assert cache.size == 2 * shared_cache.nbytes(frame(10))


def test_a_large_value_gives_freed_memory_back(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(shared_cache, "_TRIM", lambda pad: trims.append(pad) or 1)
    monkeypatch.setattr(shared_cache, "TRIM_AFTER_BYTES", shared_cache.nbytes(frame(1000)))
    cache = SharedCache(budget=10**7, ttl_s=60)
    cache.get("small", lambda: frame(10))
    assert trims == []
    cache.get("large", lambda: frame(1000))
    assert trims == [0]


def test_garbage_is_collected_only_after_a_run_that_grew_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resident = [10**9]
    collected: list[int] = []
    monkeypatch.setattr(shared_cache, "_resident_bytes", lambda: resident[0])
    monkeypatch.setattr(shared_cache.gc, "collect", lambda: collected.append(1) or 0)
    monkeypatch.setattr(shared_cache.gc, "freeze", lambda: None)
    monkeypatch.setattr(shared_cache.gc, "unfreeze", lambda: None)
    monkeypatch.setattr(shared_cache, "_resident_after_collect", 0)
    shared_cache.collect_if_grown()
    assert len(collected) == 1  # the first run: grown from nothing
    resident[0] += shared_cache.COLLECT_AFTER_GROWTH_BYTES // 2
    shared_cache.collect_if_grown()
    assert len(collected) == 1  # a light run: no collection
    resident[0] += shared_cache.COLLECT_AFTER_GROWTH_BYTES
    shared_cache.collect_if_grown()
    assert len(collected) == 2


def test_objects_are_frozen_again_only_after_a_run_that_imported_something(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen: list[int] = []
    monkeypatch.setattr(shared_cache.gc, "collect", lambda: 0)
    monkeypatch.setattr(shared_cache.gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(shared_cache, "_modules_when_frozen", 0)
    shared_cache.freeze_imports()
    shared_cache.freeze_imports()
    assert len(frozen) == 1
    monkeypatch.setitem(shared_cache.sys.modules, "muyun_test_new_module", shared_cache)
    shared_cache.freeze_imports()
    assert len(frozen) == 2


def test_arrow_allocates_with_malloc_so_trimming_returns_its_memory() -> None:
    import pyarrow as pa

    assert pa.default_memory_pool().backend_name == "system"
    buffer = pa.allocate_buffer(1 << 20)
    assert pa.total_allocated_bytes() >= 1 << 20
    del buffer


def test_years_are_scored_one_at_a_time_once_they_are_province_sized(
    app_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muyun import queries
    from ui import cache

    monkeypatch.delenv("MUYUN_SCORING_THREADS", raising=False)
    cache.scoring_threads.clear()
    assert cache.scoring_threads() == 2  # the demo city: 4,460 firms
    monkeypatch.setattr(queries, "largest_year", lambda con: 200_000)
    cache.scoring_threads.clear()
    assert cache.scoring_threads() == 1
    monkeypatch.setenv("MUYUN_SCORING_THREADS", "2")
    cache.scoring_threads.clear()
    assert cache.scoring_threads() == 2


def test_room_for_a_value_is_made_before_it_is_computed() -> None:
    one = shared_cache.nbytes(frame(1000))
    cache = SharedCache(budget=int(one * 2.5), ttl_s=60)
    cache.get(("live", 2022), lambda: frame(1000))
    cache.get(("live", 2023), lambda: frame(1000))
    held_while_computing: list[int] = []

    def compute() -> pd.DataFrame:
        held_while_computing.append(cache.size)
        return frame(1000)

    cache.get(("live", 2024), compute)
    # The last "live" value was one frame: the oldest went before 2024 was computed.
    assert held_while_computing == [one]
    assert ("live", 2022) not in cache and ("live", 2023) in cache and ("live", 2024) in cache
    cache.get(("other", 1), lambda: frame(10))  # a kind never seen: nothing dropped ahead
    assert ("live", 2023) in cache


def test_no_room_is_made_ahead_for_a_kind_too_large_to_share_the_budget() -> None:
    one = shared_cache.nbytes(frame(1000))
    cache = SharedCache(budget=int(one * 2.5), ttl_s=60)
    cache.get(("live", 2023), lambda: frame(1000))
    cache.get(("report", 2023), lambda: frame(2000))  # over half the budget
    cache.get(("live", 2024), lambda: frame(1000))
    cache.get(("report", 2024), lambda: frame(10))  # no eviction ahead of it
    assert ("live", 2024) in cache and ("report", 2024) in cache


def test_a_buffer_two_entries_share_is_counted_once() -> None:
    base = frame(1000).assign(y=2.0, z=3.0)
    cache = SharedCache(budget=10**6, ttl_s=60)
    cache.get(("live", 2024), lambda: base)
    alone = cache.size
    cache.get(("policy", 2024), lambda: base.assign(money=1.0))  # shares base's columns
    assert cache.size - alone < alone / 2  # only the new column and its index came on top
    cache.discard("live")
    assert cache.size > alone  # the policy year still holds base's column
    cache.discard("policy")
    assert cache.size == 0


def test_a_value_built_of_cached_parts_is_kept_though_its_sum_passes_the_budget() -> None:
    """A report context holds the scored year twice and the raw year: its parts are already
    in the cache, so it adds almost nothing and must not be refused as too large."""
    year = frame(1000)
    one = shared_cache.nbytes(year)
    cache = SharedCache(budget=int(one * 1.5), ttl_s=60)
    cache.get(("live", 2024), lambda: year)
    context = cache.get(("report", 2024), lambda: Arrays({"scored": year, "history": year}, year))
    assert shared_cache.nbytes(context) == one
    assert ("report", 2024) in cache and ("live", 2024) in cache
    assert cache.size == one


def test_a_value_whose_cached_parts_go_to_make_room_is_not_kept_over_the_budget() -> None:
    year = frame(1000)
    cache = SharedCache(budget=int(shared_cache.nbytes(year) * 1.5), ttl_s=60)
    cache.get(("live", 2024), lambda: year)
    cache.get(("other", 1), lambda: frame(400))
    # Beside the year it adds 0.6 of a year; the year, least recently used, goes to make room,
    # and then the value would hold 1.6 years on its own.
    got = cache.get(("report", 2024), lambda: (year, frame(600)))
    assert len(got[1]) == 600
    assert ("report", 2024) not in cache
    assert cache.size <= cache.budget
