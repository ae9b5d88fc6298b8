"""Cached handles to the store and the engine, per the performance rules.

`database()` is a process-wide resource (one DuckDB file, one root connection); every call reads
through `db.reader()`, a cursor of its own thread. Everything else is bounded `st.cache_data`
keyed by plain values (years, names, tuples of strings), so a cache hit never touches DuckDB and
never re-scores: a scored year is computed once per profile, and the five-year views are built
from those cached years. `clear_data_caches()` after any write makes every view recompute.

Published or live (issue 16): `scored_year` hands every page the same shape of scored year —
the published evaluation run of (year, profile) when one exists and the basis is 正式发布, else
the live score — and `result_source` says which, so no page branches on it. The basis comes from
the sidebar (`?basis=实时测算`, the label, as the other filters carry theirs); cached functions
take it as an explicit argument, so it is part of their cache key, and the public wrappers fill
it in from the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from muyun import demo, evaluation, labels, policy, profile, queries, report, scoring
from muyun.db import Database, db_path, explicitly_configured, require_existing
from muyun.method_lab import profiles

CACHE_TTL_S = 3600
# A report context holds a year and the four before it, scored (~15 MB with the demo city).
REPORT_CONTEXTS = 4


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
def towns() -> pd.DataFrame:
    """The city's 镇街 with their centres, in reference order."""
    return queries.towns(database().reader())


@st.cache_data(max_entries=4, ttl=CACHE_TTL_S, show_spinner=False)
def dataset_info() -> dict[str, str]:
    """The store's `dataset_info` pairs (demo flag, seed, build time)."""
    return queries.dataset_info(database().reader())


@st.cache_data(max_entries=8, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["year"])
def year_data(year: int) -> scoring.YearData:
    """The raw inputs of a year (enterprises + effective land), read once and re-scored often."""
    return scoring.load_year(database().reader(), year)


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


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["scoring"])
def live_year(year: int, profile_name: str) -> pd.DataFrame:
    """Every enterprise of a year scored live under a profile (`muyun.scoring.score_year`)."""
    return scoring.score_prepared(year_data(year), load_profile(profile_name))


@st.cache_data(max_entries=8, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["scoring"])
def run_result(run_id: int) -> pd.DataFrame:
    """A run's frozen result, overrides applied (`muyun.evaluation.run_result`)."""
    return evaluation.run_result(database().reader(), run_id)


def scored_year(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """The scored year the pages show: published run or live score (see `result_source`)."""
    source = result_source(year, profile_name, basis)
    if source.run_id is not None:
        return run_result(source.run_id)
    return live_year(year, profile_name)


def scored_years(profile_name: str, basis: str | None = None) -> dict[int, pd.DataFrame]:
    """Every available year scored under a profile (each year cached on its own)."""
    basis = basis or current_basis()
    years = scoring.scorable_years(available_years(), load_profile(profile_name))
    return {year: scored_year(year, profile_name, basis) for year in years}


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def tier_differences(year: int, profile_name: str) -> int | None:
    """How many firms' tier differs between the published run and a live score (None when the
    year has no published run under this profile)."""
    found = published_runs().get((int(year), profile_name))
    if found is None:
        return None
    return evaluation.tier_differences(run_result(found[0]), live_year(year, profile_name))


def overview(
    year: int,
    profile_name: str,
    scale: str,
    industries: tuple[str, ...],
    towns_: tuple[str, ...],
    basis: str | None = None,
    tiers: tuple[str, ...] = (),
) -> dict[str, object]:
    """The overview page's figures (see `_overview`) on the session's basis."""
    return _overview(year, profile_name, scale, industries, towns_, basis or current_basis(), tiers)


@st.cache_data(max_entries=64, ttl=CACHE_TTL_S, show_spinner=False)
def _overview(
    year: int,
    profile_name: str,
    scale: str,
    industries: tuple[str, ...],
    towns_: tuple[str, ...],
    basis: str,
    tiers: tuple[str, ...] = (),
) -> dict[str, object]:
    """The overview page's figures for a selection: KPIs of the year and the year before,
    the tier mix by industry and the five-year trend (small frames, cheap to copy). A tier
    filter keeps the firms of those tiers in each year (issue 13: every figure obeys it)."""
    years = available_years()

    def selected(frame: pd.DataFrame) -> pd.DataFrame:
        return queries.filter_scored(frame, industries=industries, towns=towns_, tiers=tiers)

    years = scoring.scorable_years(years, load_profile(profile_name), keep=year)
    frames = {y: selected(scored_year(y, profile_name, basis)) for y in years}
    previous = frames.get(year - 1)
    of_scale = queries.filter_scored(frames[year], scale=scale)
    return {
        "kpis": queries.kpis(frames[year], scale),
        "previous": None if previous is None else queries.kpis(previous, scale),
        "tier_mix": queries.tier_mix_by_industry(of_scale),
        "trend": queries.trend(frames, scale),
    }


def firm_history(credit_code: str, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """One firm's total, rank and tier in every year (from the cached scored years)."""
    return _firm_history(credit_code, profile_name, basis or current_basis())


@st.cache_data(max_entries=256, ttl=CACHE_TTL_S, show_spinner=False)
def _firm_history(credit_code: str, profile_name: str, basis: str) -> pd.DataFrame:
    return queries.firm_history(scored_years(profile_name, basis), credit_code)


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


@st.cache_resource(max_entries=REPORT_CONTEXTS, ttl=CACHE_TTL_S, show_spinner=False)
def run_report_context(run_id: int) -> report.ReportContext:
    """A run's report context, built on its frozen inputs and result (overrides shown)."""
    return evaluation.report_context(database().reader(), run_id)


@st.cache_resource(max_entries=REPORT_CONTEXTS, ttl=CACHE_TTL_S, show_spinner=False)
def live_report_context(year: int, profile_name: str) -> report.ReportContext:
    """The scored years a firm's report needs, built once per (year, profile) for all sessions.

    A resource, not data: reports only read it, and copying five scored years on every click
    would cost what the cache saves. The raw year and the scored years come from the caches
    above, so a report reuses what the pages already computed. No spinner: it is called from a
    download button's callable, which runs outside the script thread.
    """
    con = database().reader()
    return report.prepare_context(
        con,
        year,
        load_profile(profile_name),
        data=year_data(year),
        scored_years={
            y: live_year(y, profile_name)
            for y in scoring.scorable_years(
                report.trend_years(con, year), load_profile(profile_name), keep=year
            )
        },
    )


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=False)
def prior_tiers(year: int, profile_name: str) -> dict[int, pd.Series]:
    """Live mode: the tiers of the years the repeat escalation looks back on (§9), scored under
    the same profile from the cached scored years; a year without data breaks every run."""
    years = set(scoring.scorable_years(available_years(), load_profile(profile_name)))
    wanted = [y for y in policy.prior_years(load_profile(profile_name), year) if y in years]
    return policy.tier_history({y: live_year(y, profile_name) for y in wanted})


def policy_year(year: int, profile_name: str, basis: str | None = None) -> pd.DataFrame:
    """The scored year with the four policy-money columns (万元) and `repeat_escalated`;
    the scored year unchanged when the profile has no `[policy]`. A published year is priced
    under its run's frozen profile, with the published tiers of earlier years."""
    return _policy_year(year, profile_name, basis or current_basis())


@st.cache_data(max_entries=16, ttl=CACHE_TTL_S, show_spinner=labels.SPINNERS["scoring"])
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
    live_report_context.clear()
    run_report_context.clear()
