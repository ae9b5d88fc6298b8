"""Cached handles to the store and the engine, per the performance rules.

`database()` is a process-wide resource (one DuckDB file, one root connection); every call reads
through `db.reader()`, a cursor of its own thread. Large results (raw and scored years, policy
years, report contexts, earlier years' tiers) are held once per process in `frames()`, bounded in
bytes (issue 15); the five-year views read small per-year summaries (`summaries()`, also kept in
the store by `muyun.summaries`). Everything else is bounded `st.cache_data` keyed by plain
values (years, names, tuples of strings). `clear_data_caches()` after any write makes every
view recompute.

Published or live (issue 16): `scored_year` hands every page the same shape of scored year —
the published evaluation run of (year, profile) when one exists and the basis is 正式发布, else
the live score — and `result_source` says which, so no page branches on it. The basis comes from
the sidebar (`?basis=实时测算`, the label, as the other filters carry theirs); cached functions
take it as an explicit argument, so it is part of their cache key, and the public wrappers fill
it in from the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from muyun import demo, evaluation, labels, policy, profile, queries, report, scoring
from muyun import summaries as summary_store
from muyun.db import Database, db_path, explicitly_configured, require_existing
from muyun.method_lab import profiles
from ui import shared_cache

CACHE_TTL_S = 3600
T = TypeVar("T")
LOG = logging.getLogger(__name__)
# Years scored at once when several are missing: two on this two-core machine while the years
# are small; a scoring holds ~3 KB a firm while it runs (~0.6 GB for a 200,000-firm year), so
# larger years are scored one at a time and the server stays within its memory. Set
# `MUYUN_SCORING_THREADS` to choose.
PARALLEL_SCORING_MAX_FIRMS = 60_000
SUMMARY_BUDGET = 64 * 1024 * 1024


@st.cache_resource(show_spinner=labels.SPINNERS["database"])
def database() -> Database:
    """The app's database; the demo city is built only at the default path when it is missing.

    A store named by `MUYUN_DB` must exist (a typo used to serve a new demo silently), and one
    the server may not write is opened read-only (`Database.read_only`). Failures raise
    `StoreError`/`duckdb.Error`, which app.py turns into one neutral page; not cached, so the
    next visit tries again once the file is fixed.
    """
    path = db_path()
    if explicitly_configured():
        require_existing(path)
    else:
        demo.ensure_demo_database(path)
    return Database(path)


@st.cache_resource
def frames() -> shared_cache.SharedCache:
    """Scored years, raw years and other large results: one shared copy each, bounded in bytes
    (a resource, so it goes with the database when the resource caches are cleared)."""
    return shared_cache.SharedCache(shared_cache.budget_from_env(), CACHE_TTL_S)


@st.cache_resource
def summaries() -> shared_cache.SharedCache:
    """Small aggregates of scored years (`year_summary`), kept apart from the large frames so
    that reading one more year never evicts the summaries the five-year views are drawn from."""
    return shared_cache.SharedCache(SUMMARY_BUDGET, CACHE_TTL_S)


def shared(
    key: tuple,
    compute: Callable[[], T],
    spinner: str | None = None,
    store: shared_cache.SharedCache | None = None,
) -> T:
    """`frames().get` (or `store.get`), with a spinner while a missing value is computed on the
    script thread."""
    store = frames() if store is None else store
    if spinner is None or key in store or get_script_run_ctx(suppress_warning=True) is None:
        return store.get(key, compute)
    with st.spinner(spinner):
        return store.get(key, compute)


def load_profile(name: str) -> profile.Profile:
    """A shipped profile by its file stem, or one saved in the method lab (`saved:<stem>`,
    its latest version)."""
    if name.startswith(profiles.SAVED_PREFIX):
        return _saved_profile(name.removeprefix(profiles.SAVED_PREFIX))
    return _shipped_profile(name)


@st.cache_resource
def _shipped_profile(name: str) -> profile.Profile:
    """A shipped profile (profiles are immutable, so one copy serves all)."""
    return profile.load_profile(profile.profile_path(name))


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def _saved_profile(stem: str) -> profile.Profile:
    """A saved profile's latest version (dropped with the data caches after every save)."""
    return profiles.load_saved(database().reader(), stem)


def check_prior_year(year: int, profile_name: str) -> None:
    """Raise `scoring.PriorYearMissing` when the profile cannot score the year for want of
    year − 1 (cheap: the prepared year and its prior are cached)."""
    prof = load_profile(profile_name)
    if prof.needs_prior_year():
        scoring.prior_benchmarks(year_data(int(year)), prof)


def profile_text(name: str) -> str:
    """The TOML text of a shipped or saved profile (what an evaluation run freezes)."""
    if name.startswith(profiles.SAVED_PREFIX):
        return profiles.saved_toml(database().reader(), name.removeprefix(profiles.SAVED_PREFIX))
    return profile.profile_path(name).read_text(encoding="utf-8")


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def profile_names() -> dict[str, str]:
    """Shipped profiles, file stem → display name (default first), then the profiles saved in
    the method lab (`saved:<stem>` → name and version)."""
    names = profile.shipped_profiles()
    suffix = labels.METHOD_LAB_TEXT["saved_suffix"]
    for stem, (version, name) in profiles.saved_profiles(database().reader()).items():
        names[f"{profiles.SAVED_PREFIX}{stem}"] = name + suffix.format(version=version)
    return names


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def profile_years() -> dict[str, tuple[int, ...]]:
    """Profile key → the years it states (empty: any year), for the year's default profile."""
    return {name: load_profile(name).years for name in profile_names()}


def year_profile(year: int, default: str) -> str:
    """The profile the year filter picks by default: the first one (shipped default first)
    stating this year; else `default` when it applies to any year or this one; else the first
    profile that applies; else `default`."""
    years = profile_years()
    stating = [name for name, stated in years.items() if int(year) in stated]
    if stating:
        return stating[0]
    if not years.get(default) or int(year) in years[default]:
        return default
    return next((name for name, stated in years.items() if not stated), default)


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def available_years() -> list[int]:
    """Years with enterprise data, ascending."""
    return queries.available_years(database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def scoring_threads() -> int:
    """How many years are scored at once (see `PARALLEL_SCORING_MAX_FIRMS`)."""
    firms = queries.largest_year(database().reader())
    default = 2 if firms <= PARALLEL_SCORING_MAX_FIRMS else 1
    return shared_cache.positive_int_from_env("MUYUN_SCORING_THREADS", default)


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def towns() -> pd.DataFrame:
    """The city's 镇街 with their centres, in reference order."""
    return queries.towns(database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def dataset_info() -> dict[str, str]:
    """The store's `dataset_info` pairs (demo flag, seed, build time)."""
    return queries.dataset_info(database().reader())


def year_data(year: int) -> scoring.YearData:
    """The raw inputs of a year (enterprises + effective land), read once and re-scored often;
    shared read-only by every session (its arrays are frozen)."""
    year = int(year)
    return shared(
        ("year", year),
        lambda: scoring.load_year(database().reader(), year),
        labels.SPINNERS["year"],
    )


BASIS_PUBLISHED, BASIS_LIVE = "published", "live"
BASES: tuple[str, ...] = (BASIS_PUBLISHED, BASIS_LIVE)


@dataclass(frozen=True)
class ResultSource:
    """Where a scored year came from: a published run, or a live score of the current data."""

    kind: str  # BASIS_PUBLISHED or BASIS_LIVE
    run_id: int | None = None
    published_at: datetime | None = None

    @property
    def label(self) -> str:
        """正式发布 / 实时测算, as the pages show it."""
        key = "stage_published" if self.kind == BASIS_PUBLISHED else "stage_live"
        return labels.EVAL_TEXT[key]


def current_basis() -> str:
    """The sidebar's basis of this session (正式发布 unless the official switched)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return BASIS_PUBLISHED  # a download's callable runs outside the script thread
    chosen = getattr(st.session_state.get("filters"), "basis", BASIS_PUBLISHED)
    return chosen if chosen in BASES else BASIS_PUBLISHED


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def published_runs() -> dict[tuple[int, str], tuple[int, datetime | None]]:
    """(year, profile stem) → (run id, published at) of every published run."""
    con = database().reader()
    return {
        (run.year, run.profile_id): (run.id, run.published_at)
        for run in evaluation.list_runs(con)
        if run.stage == evaluation.STAGE_PUBLISHED
    }


def result_source(year: int, profile_name: str, basis: str | None = None) -> ResultSource:
    """Published when the basis is 正式发布 and (year, profile) has a published run."""
    found = published_runs().get((int(year), profile_name))
    if (basis or current_basis()) == BASIS_PUBLISHED and found is not None:
        return ResultSource(BASIS_PUBLISHED, found[0], found[1])
    return ResultSource(BASIS_LIVE)


def live_year(year: int, profile_name: str) -> pd.DataFrame:
    """Every enterprise of a year scored live under a profile (`muyun.scoring.score_year`)."""
    year = int(year)
    return shared(
        ("live", year, profile_name),
        lambda: scoring.score_prepared(year_data(year), load_profile(profile_name)),
        labels.SPINNERS["scoring"],
    )


def run_result(run_id: int) -> pd.DataFrame:
    """A run's frozen result, overrides applied (`muyun.evaluation.run_result`)."""
    run_id = int(run_id)
    return shared(
        ("run", run_id),
        lambda: evaluation.run_result(database().reader(), run_id),
        labels.SPINNERS["scoring"],
    )


def scored_year(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """The scored year the pages show: published run or live score (see `result_source`)."""
    source = result_source(year, profile_name, basis)
    if source.run_id is not None:
        return run_result(source.run_id)
    return live_year(year, profile_name)


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def tier_differences(year: int, profile_name: str) -> int | None:
    """How many firms' tier differs between the published run and a live score (None when the
    year has no published run under this profile)."""
    found = published_runs().get((int(year), profile_name))
    if found is None:
        return None
    return evaluation.tier_differences(run_result(found[0]), live_year(year, profile_name))


def year_summary(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """The scored year summed by scale × industry × town × tier × status
    (`queries.year_summary`): a few thousand rows that outlive the scored year itself."""
    key, compute = _summary_source(int(year), profile_name, basis or current_basis())
    return shared(key, compute, store=summaries())


def _summary_source(
    year: int, profile_name: str, basis: str
) -> tuple[tuple, Callable[[], pd.DataFrame]]:
    """The summaries-cache key of a year's summary and how to compute it: from the published
    run's result, or live (stored in DuckDB, see `_live_summary`)."""
    run_id = result_source(year, profile_name, basis).run_id
    if run_id is not None:
        return ("run_summary", run_id), lambda: queries.year_summary(run_result(run_id))
    return ("live_summary", year, profile_name), lambda: _live_summary(year, profile_name)


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def input_fingerprints() -> dict[int, str]:
    """year → fingerprint of the inputs a live score reads (`muyun.summaries`)."""
    return summary_store.input_fingerprints(database().reader())


def _stored_key(year: int, profile_name: str) -> tuple[str, str | None]:
    """(profile SHA, inputs fingerprint) a live year's stored summary and tiers are kept under."""
    return summary_store.profile_sha(profile_text(profile_name)), input_fingerprints().get(year)


def _live_summary(year: int, profile_name: str) -> pd.DataFrame:
    """A live year's summary: from the store when it was built from the same profile text and
    inputs, else scored now and stored with the year's tiers for the next server (when the
    store is writable)."""
    store = database()
    sha, inputs = _stored_key(year, profile_name)
    if inputs is not None:
        stored = summary_store.load(store.reader(), year, sha, inputs)
        if stored is not None:
            return stored
    scored = live_year(year, profile_name)
    summary = queries.year_summary(scored)
    if inputs is not None and not store.read_only:
        try:
            with store.write() as con:
                if summary_store.available(con):
                    tiers = summary_store.year_tiers(scored)
                    summary_store.save(con, year, sha, inputs, summary, tiers)
        except duckdb.Error:
            LOG.warning("year summary not stored", exc_info=True)
    return summary


def year_tiers(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """Every firm's status, total, rank, pool size and tier of a year (`muyun.summaries`):
    what earlier years are read for, without holding their scored frames."""
    year, basis = int(year), basis or current_basis()
    source = result_source(year, profile_name, basis)
    if source.run_id is not None:
        run_id = source.run_id
        return shared(("run_tiers", run_id), lambda: summary_store.year_tiers(run_result(run_id)))
    return shared(("live_tiers", year, profile_name), lambda: _live_tiers(year, profile_name))


def _live_tiers(year: int, profile_name: str) -> pd.DataFrame:
    sha, inputs = _stored_key(year, profile_name)
    if inputs is not None:
        stored = summary_store.load_tiers(database().reader(), year, sha, inputs)
        if stored is not None:
            return stored
    year_summary(year, profile_name, BASIS_LIVE)  # scores the year and stores both
    return summary_store.year_tiers(live_year(year, profile_name))


def year_lean(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """A year's slim tiers with each firm's scale, industry and town: what a page reads of last
    year (上年分类, 上年排名, tier changes in the sidebar's scope) without holding a second
    scored year, which at province scale pushed the year shown out of the shared cache."""
    year, basis = int(year), basis or current_basis()
    run_id = result_source(year, profile_name, basis).run_id
    if run_id is not None:
        return shared(("run_lean", run_id), lambda: _lean(run_result(run_id)))
    return shared(
        ("live_lean", year, profile_name),
        lambda: year_tiers(year, profile_name, BASIS_LIVE).merge(
            queries.firm_attributes(database().reader(), year), on="credit_code", how="left"
        ),
    )


def scored_columns(
    year: int, profile_name: str, basis: str | None, columns: tuple[str, ...]
) -> pd.DataFrame:
    """`columns` of the scored year, in its display order, as a frame of their own.

    Why: an earlier year that the store keeps the tiers of (a live score under this profile)
    is read from DuckDB — its stored tiers, the firms' own columns and their indicators —
    instead of scoring 200,000 firms for a few columns (the land list's last year, the
    programme cohorts' years). A published year, or one not stored yet, is cut from its scored
    frame, and the result is the same either way.
    """
    year, basis = int(year), basis or current_basis()
    key = ("columns", year, profile_name, basis, columns)
    return shared(key, lambda: _scored_columns(year, profile_name, basis, columns))


def _scored_columns(
    year: int, profile_name: str, basis: str, columns: tuple[str, ...]
) -> pd.DataFrame:
    sha, inputs = _stored_key(year, profile_name)
    live = result_source(year, profile_name, basis).run_id is None
    con = database().reader()
    if not (live and inputs is not None and summary_store.is_stored(con, year, sha, inputs)):
        # A copy of its own: a cut would keep the whole scored year's arrays alive.
        return scored_year(year, profile_name, basis)[list(columns)].copy().reset_index(drop=True)
    tiers = year_tiers(year, profile_name, BASIS_LIVE)
    indicators = [c for c in columns if c in scoring.INDICATOR_FORMULAS]
    own = [c for c in columns if c not in tiers.columns and c not in indicators]
    rows = scoring.year_columns(con, year, own, [*dict.fromkeys([*indicators, "tax_per_mu"])])
    lean = rows.merge(tiers, on="credit_code", how="left", validate="one_to_one")
    order = scoring.display_order(lean["total"].to_numpy(), lean["tax_per_mu"].to_numpy())
    return lean.take(order)[list(columns)].reset_index(drop=True)


def _lean(scored: pd.DataFrame) -> pd.DataFrame:
    columns = [*summary_store.TIER_COLUMNS, *queries.ATTRIBUTE_COLUMNS[1:]]
    return scored[columns].reset_index(drop=True)


def year_summaries(
    years: Iterable[int], profile_name: str, basis: str | None = None
) -> dict[int, pd.DataFrame]:
    """`year_summary` of several years; the missing ones are scored two at a time (reading and
    scoring release the GIL for most of their time, and the machine has two cores)."""
    basis = basis or current_basis()
    years = [int(y) for y in years]
    input_fingerprints()  # on the script thread: the workers find it cached
    missing = [y for y in years if _summary_source(y, profile_name, basis)[0] not in summaries()]
    threads = scoring_threads()
    if len(missing) > 1 and threads > 1:
        with st.spinner(labels.SPINNERS["scoring"]), ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda y: year_summary(y, profile_name, basis), missing))
    return {y: year_summary(y, profile_name, basis) for y in years}


def overview(
    year: int,
    profile_name: str,
    scale: str,
    industries: tuple[str, ...],
    towns_: tuple[str, ...],
    basis: str | None = None,
    tiers: tuple[str, ...] = (),
) -> dict[str, object]:
    """The overview page's figures for a selection: KPIs of the year and the year before,
    the tier mix by industry and the five-year trend, all read off the years' summaries. A tier
    filter keeps the firms of those tiers in each year (issue 13: every figure obeys it)."""
    basis = basis or current_basis()
    years = scoring.scorable_years(available_years(), load_profile(profile_name), keep=year)
    summaries = {
        y: queries.filter_scored(summary, industries=industries, towns=towns_, tiers=tiers)
        for y, summary in year_summaries(years, profile_name, basis).items()
    }
    previous = summaries.get(year - 1)
    return {
        "kpis": queries.summary_kpis(summaries[year], scale),
        "previous": None if previous is None else queries.summary_kpis(previous, scale),
        "tier_mix": queries.summary_tier_mix(queries.filter_scored(summaries[year], scale=scale)),
        "trend": queries.summary_trend(summaries, scale),
    }


def firm_history(credit_code: str, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """One firm's total, rank and tier in every year (from the cached scored years)."""
    return _firm_history(credit_code, profile_name, basis or current_basis())


@st.cache_data(max_entries=256, ttl=CACHE_TTL_S, show_spinner=False)
def _firm_history(credit_code: str, profile_name: str, basis: str) -> pd.DataFrame:
    years = scoring.scorable_years(available_years(), load_profile(profile_name))
    tiers = _stored_firm_tiers(credit_code, profile_name, basis, years)
    if tiers is None:
        year_summaries(years, profile_name, basis)  # scores what the store lacks, two at a time
        tiers = {year: year_tiers(year, profile_name, basis) for year in years}
    return queries.firm_history(tiers, credit_code)


def _stored_firm_tiers(
    credit_code: str, profile_name: str, basis: str, years: list[int]
) -> dict[int, pd.DataFrame] | None:
    """The firm's own rows of the stored tiers when every year is a live score the store keeps
    (`summaries.firm_tiers`); None sends the caller to the whole years."""
    if any(result_source(y, profile_name, basis).run_id is not None for y in years):
        return None
    fingerprints = input_fingerprints()
    if any(fingerprints.get(y) is None for y in years):
        return None
    sha = summary_store.profile_sha(profile_text(profile_name))
    inputs = {y: fingerprints[y] for y in years}
    return summary_store.firm_tiers(database().reader(), credit_code, sha, inputs)


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def firm_leases(year: int, credit_code: str) -> pd.DataFrame:
    """The firm's leases of a year in both directions."""
    return queries.firm_leases(database().reader(), year, credit_code)


def report_context(year: int, profile_name: str, basis: str | None = None) -> report.ReportContext:
    """The firm report's context: the published run's when that is the source, else live."""
    source = result_source(year, profile_name, basis)
    if source.run_id is not None:
        return run_report_context(source.run_id)
    return live_report_context(year, profile_name)


def run_report_context(run_id: int) -> report.ReportContext:
    """A run's report context, built on its frozen inputs and result (overrides shown)."""
    run_id = int(run_id)
    return shared(
        ("run_report", run_id), lambda: evaluation.report_context(database().reader(), run_id)
    )


def live_report_context(year: int, profile_name: str) -> report.ReportContext:
    """The scored years a firm's report needs, built once per (year, profile) for all sessions.

    Shared, not copied: reports only read it, and copying five scored years on every click
    would cost what the cache saves. The raw year and the scored years come from the caches
    above, so a report reuses what the pages already computed. A province-size context is
    larger than the cache's budget and is rebuilt per report from those cached parts. No
    spinner: it is called from a download button's callable, outside the script thread.
    """
    year = int(year)
    return shared(("live_report", year, profile_name), lambda: _live_report(year, profile_name))


def _live_report(year: int, profile_name: str) -> report.ReportContext:
    """A report reads only the tiers of earlier years (`muyun.summaries.TIER_COLUMNS`: its
    trend and the change on last year), so those come slim and the context fits the cache."""
    con = database().reader()
    return report.prepare_context(
        con,
        year,
        load_profile(profile_name),
        data=year_data(year),
        scored_years={
            y: live_year(y, profile_name) if y == year else year_tiers(y, profile_name, BASIS_LIVE)
            for y in scoring.scorable_years(
                report.trend_years(con, year), load_profile(profile_name), keep=year
            )
        },
    )


def prior_tiers(year: int, profile_name: str) -> dict[int, pd.Series]:
    """Live mode: the tiers of the years the repeat escalation looks back on (§9), scored under
    the same profile from the cached scored years; a year without data breaks every run.
    Shared (a Series per year of every firm's tier is large at province scale)."""
    year = int(year)
    return shared(("prior_tiers", year, profile_name), lambda: _prior_tiers(year, profile_name))


def _prior_tiers(year: int, profile_name: str) -> dict[int, pd.Series]:
    years = set(scoring.scorable_years(available_years(), load_profile(profile_name)))
    wanted = [y for y in policy.prior_years(load_profile(profile_name), year) if y in years]
    return policy.tier_history({y: year_tiers(y, profile_name, BASIS_LIVE) for y in wanted})


def policy_year(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """The scored year with the four policy-money columns (万元) and `repeat_escalated`;
    the scored year unchanged when the profile has no `[policy]`. A published year is priced
    under its run's frozen profile, with the published tiers of earlier years."""
    year, basis = int(year), basis or current_basis()
    return shared(
        ("policy", year, profile_name, basis),
        lambda: _policy_year(year, profile_name, basis),
        labels.SPINNERS["scoring"],
    )


def _policy_year(year: int, profile_name: str, basis: str) -> pd.DataFrame:
    source = result_source(year, profile_name, basis)
    if source.run_id is not None:
        con = database().reader()
        return policy.with_money(
            run_result(source.run_id),
            evaluation.run_profile(con, source.run_id),
            evaluation.published_tier_history(con, year - 1),
        )
    return policy.with_money(
        live_year(year, profile_name),
        load_profile(profile_name),
        prior_tiers(year, profile_name),
    )


def clear_data_caches() -> None:
    """Call after any successful write (import, edit) so every view recomputes from DuckDB."""
    st.cache_data.clear()
    frames().clear()
    summaries().clear()
