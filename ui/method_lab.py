"""Components of the 方法实验室 page: shared lab results and their tables, charts and exports.

Why shared (`cache.shared`, not `st.cache_data`): the checks depend only on (year, profile[,
scale, spread]) and the page re-runs on every widget move; at province scale a sensitivity
result holds 140,000 firms, which `st.cache_data` would copy on every hit. `clear_data_caches`
(after any write or save) drops them with the rest. What goes to the browser is bounded: long
lists show their first `SHOWN_ROWS` rows, and the exports, built only when clicked, hold them all.
A large sensitivity analysis (province scale) runs when the official asks for it.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from muyun import export, labels
from muyun.accounts import Account
from muyun.method_lab import profiles, quality, redundancy, sensitivity
from muyun.profile import Profile, shipped_profiles
from ui import admin, cache
from ui import method_lab_charts as lab_charts

T = labels.METHOD_LAB_TEXT
S = labels.METHOD_LAB_SCALE_TEXT
C = labels.METHOD_LAB_COLUMNS
TAB_KEY = "lab_tab"
SHOWN_ROWS = 500  # rows of a long list sent to the browser; the export has every row
_PERCENT = ("coverage", "prob_A", "prob_B", "prob_C", "prob_D", "prob_current")
_NAMED = ("indicator", "first", "second", "factor")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def quality_report(year: int, profile_name: str) -> quality.QualityReport:
    """The data-quality checks of a year under a profile (land change against year − 1)."""
    year = int(year)

    def compute() -> quality.QualityReport:
        land = quality.prior_land(cache.database().reader(), year)
        return quality.check_year(cache.year_data(year), cache.load_profile(profile_name), land)

    return cache.shared(("lab_quality", year, profile_name), compute, S["checking"])


def redundancy_report(year: int, profile_name: str) -> redundancy.Redundancy:
    """The Spearman matrices and flags of a year under a profile."""
    year = int(year)
    return cache.shared(
        ("lab_redundancy", year, profile_name),
        lambda: redundancy.check_year(cache.year_data(year), cache.load_profile(profile_name)),
        S["correlating"],
    )


def sensitivity_key(
    year: int, profile_name: str, scale: str, spread_pct: int
) -> tuple[str | int, ...]:
    """The shared-cache key of one sensitivity analysis."""
    return ("lab_sensitivity", int(year), profile_name, scale, int(spread_pct))


def sensitivity_report(
    year: int, profile_name: str, scale: str, spread_pct: int
) -> sensitivity.Sensitivity:
    """Drop-one, Sobol indices and per-firm intervals of one scale, from the live score."""
    year = int(year)
    return cache.shared(
        sensitivity_key(year, profile_name, scale, spread_pct),
        lambda: sensitivity.analyse(
            cache.live_year(year, profile_name),
            cache.load_profile(profile_name),
            scale,
            spread=spread_pct / 100,
        ),
        S["analysing"],
    )


def next_year(year: int, profile_name: str) -> tuple[Profile, pd.DataFrame]:
    """Next year's profile copied from this year's data, and its diff to the current one."""
    year = int(year)

    def compute() -> tuple[Profile, pd.DataFrame]:
        prof = cache.load_profile(profile_name)
        new = profiles.next_year_profile(prof, cache.year_data(year))
        return new, profiles.diff_profiles(prof, new)

    return cache.shared(("lab_next_year", year, profile_name), compute)


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as an official reads it: Chinese rule, indicator and output names, Chinese
    headers (the page's tables and the exports show the same thing)."""
    out = frame.copy()
    if "rule" in out:
        out["rule"] = out["rule"].map(labels.QUALITY_RULES)
    for column in _NAMED:
        if column in out:
            out[column] = out[column].map(lab_charts.factor_name)
    if "output" in out:
        out["output"] = out["output"].map(labels.SENSITIVITY_OUTPUTS)
    if "denominator" in out:
        out["denominator"] = out["denominator"].map(labels.score_header)
    for column in _PERCENT:
        if column in out:
            out[column] = out[column] * 100
    return out.rename(columns=lambda c: _header(str(c)))


def table(frame: pd.DataFrame, key: str, height: int | None = None) -> None:
    """A read-only table of `shown(frame)` (percent columns with a % sign); a list longer than
    `SHOWN_ROWS` shows its first rows and says so (the export next to it has them all)."""
    config = {
        _header(c): st.column_config.NumberColumn(format="%.1f%%") for c in _PERCENT if c in frame
    }
    if len(frame) > SHOWN_ROWS:
        st.caption(S["shown"].format(shown=SHOWN_ROWS, n=len(frame)))
    on_screen = shown(frame.head(SHOWN_ROWS))
    if height is None:
        st.dataframe(on_screen, hide_index=True, column_config=config, key=key)
    else:
        st.dataframe(on_screen, hide_index=True, column_config=config, key=key, height=height)


def excel_bytes(frame: pd.DataFrame) -> bytes:
    """The Excel file of `shown(frame)` (formula-safe, through muyun.export)."""
    return export.to_excel_bytes(shown(frame), header=str)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV file of `shown(frame)` (formula-safe, through muyun.export)."""
    return export.to_csv_bytes(export.neutralise_frame(shown(frame)))


def downloads(frame: pd.DataFrame, stem: str, key: str, excel_label: str, csv_label: str) -> None:
    """Excel (and CSV) of `shown(frame)`, built only when clicked (200,000 rows of Excel took
    seconds on every rerun of the page)."""
    left, right = st.columns(2)
    left.download_button(
        excel_label,
        data=partial(excel_bytes, frame),
        file_name=f"{stem}.xlsx",
        mime=_XLSX,
        on_click="ignore",
        key=f"{key}_xlsx",
        icon=":material/download:",
    )
    right.download_button(
        csv_label,
        data=partial(csv_bytes, frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{key}_csv",
        icon=":material/download:",
    )


def quality_tab(year: int, profile_name: str, prof: Profile) -> None:
    """Coverage, distribution shape, and every flagged row with its rule, exportable."""
    report = quality_report(year, profile_name)
    st.caption(T["quality_summary"].format(year=year, profile=prof.name, flags=len(report.flags)))
    counts = report.counts().rename_axis("rule").reset_index(name="firms")
    table(counts, "lab_counts")
    pct = quality.COVERAGE_MIN * 100
    st.subheader(T["coverage_title"].format(pct=pct))
    table(report.indicator_coverage, "lab_coverage")
    st.caption(T["firm_coverage_title"].format(pct=pct, n=len(report.firm_coverage)))
    st.subheader(T["shape_title"])
    table(report.shape, "lab_shape")
    st.subheader(T["flags_title"])
    rules = list(report.counts().index)
    picked = st.multiselect(
        T["rule_filter"],
        rules,
        format_func=lambda r: labels.QUALITY_RULES[r],
        key="lab_rules",
    )
    flags = report.flags
    if picked:
        flags = flags[flags["rule"].isin(picked)]
    table(flags, "lab_flags_table", height=360)
    stem = export.file_stem(year, prof.name, T["flags_file"])
    downloads(flags, stem, "lab_flags", T["export_flags"], T["export_flags_csv"])


def redundancy_tab(year: int, profile_name: str, scale: str) -> None:
    """The Spearman heat map of the scale, collinear pairs and size-driven indicators."""
    result = redundancy_report(year, profile_name)
    if scale not in result.matrices:
        st.info(labels.REASON_SCALE_NOT_IN_PROFILE)
        return
    matrix = result.matrices[scale]
    st.altair_chart(
        lab_charts.heatmap(matrix, T["redundancy_title"].format(scale=scale)),
        width="stretch",
        key="lab_heatmap",
    )
    st.subheader(T["pairs_title"].format(limit=redundancy.PAIR_MAX))
    pairs = result.pairs[result.pairs["scale"] == scale]
    if pairs.empty:
        st.caption(T["no_pairs"].format(limit=redundancy.PAIR_MAX))
    else:
        table(pairs, "lab_pairs")
    st.subheader(T["denominators_title"].format(limit=redundancy.DENOMINATOR_MIN))
    table(result.denominators[result.denominators["scale"] == scale], "lab_denominators")


def sensitivity_tab(year: int, profile_name: str, prof: Profile, scale: str) -> None:
    """Drop-one, the indices chart, and the borderline firms with their intervals; a large
    analysis not yet computed waits for the official's click."""
    if scale not in prof.scales:
        st.info(labels.REASON_SCALE_NOT_IN_PROFILE)
        return
    spread = int(st.slider(T["spread"], 5, 50, int(sensitivity.SPREAD * 100), 5, key="lab_spread"))
    if sensitivity_key(year, profile_name, scale, spread) not in cache.frames():
        firms, runs = sensitivity.plan(cache.year_data(year), prof, scale)
        if firms * runs > sensitivity.AUTO_CELLS:
            ask = st.empty()
            with ask.container():
                st.caption(S["on_demand"].format(scale=scale, firms=firms, runs=runs))
                run = st.button(T["run_sensitivity"], key="lab_run", icon=":material/play_arrow:")
            if not run:
                return
            ask.empty()
    result = sensitivity_report(year, profile_name, scale, spread)
    st.caption(
        T["sensitivity_scale"].format(
            scale=scale,
            firms=len(result.firms),
            n=result.samples,
            runs=result.runs,
            spread=result.spread * 100,
        )
    )
    st.subheader(T["drop_title"])
    table(result.drop_one, "lab_drop")
    st.subheader(T["indices_title"])
    st.caption(T["indices_help"])
    st.altair_chart(lab_charts.indices_chart(result.indices), width="stretch", key="lab_indices")
    table(result.indices, "lab_indices_table")
    borderline = sensitivity.borderline(result)
    st.subheader(T["borderline_title"].format(n=len(borderline)))
    table(borderline, "lab_borderline", height=360)
    stem = export.file_stem(year, scale, prof.name, T["firms_file"])
    downloads(result.firms, stem, "lab_firms", T["export_firms"], T["export_firms_csv"])


def profiles_tab(year: int, profile_name: str, prof: Profile) -> None:
    """Next year's profile from this year's data, the diff, the TOML; saving (admin) with
    history."""
    years = "、".join(str(y) for y in prof.years) or T["years_any"]
    st.caption(T["profiles_current"].format(name=prof.name, years=years))
    st.subheader(T["copy_title"].format(year=year, next=year + 1))
    st.caption(T["copy_help"].format(year=year))
    new, diff = next_year(year, profile_name)
    st.markdown(f"**{T['diff_title'].format(n=len(diff))}**")
    if diff.empty:
        st.caption(T["no_diff"])
    else:
        table(diff, "lab_diff")
    stem = export.file_stem(year + 1, new.name, T["diff_file"])
    left, right = st.columns(2)
    left.download_button(
        T["export_diff"],
        data=partial(excel_bytes, diff),
        file_name=f"{stem}.xlsx",
        mime=_XLSX,
        on_click="ignore",
        key="lab_diff_xlsx",
        icon=":material/download:",
    )
    right.download_button(
        T["download_toml"],
        data=new.to_toml().encode("utf-8"),
        file_name=f"profile-{year + 1}.toml",
        mime="application/toml",
        on_click="ignore",
        key="lab_toml",
        icon=":material/download:",
    )
    st.subheader(T["edit_title"])
    account = admin.require(profiles.EDIT_ACTION, "lab_admin")
    if account is not None:
        _edit_form(new, profile_name, account)
    _history()


def _edit_form(new: Profile, based_on: str, account: Account) -> None:
    with st.form("lab_edit"):
        text = st.text_area(T["edit_text"], new.to_toml(), height=360, key="lab_text")
        stem = st.text_input(T["edit_stem"], f"profile-{new.years[0]}", max_chars=40)
        note = st.text_input(T["edit_note"], max_chars=200)
        submitted = st.form_submit_button(T["save_button"], icon=":material/save:")
    if not submitted:
        return
    if stem in shipped_profiles():
        st.error(labels.METHOD_LAB_ERRORS["shipped_stem"].format(stem=stem))
        return
    try:
        version = profiles.save_profile(
            cache.database(),
            stem,
            text,
            actor=account,
            based_on=based_on,
            note=note,
        )
    except profiles.ProfileSaveError as error:
        st.error(str(error), icon=":material/block:")
        return
    cache.clear_data_caches()
    st.success(T["saved"].format(stem=stem, version=version), icon=":material/check_circle:")


def _history() -> None:
    saved = profiles.saved_profiles(cache.database().reader())
    st.subheader(T["history_title"])
    if not saved:
        st.caption(T["no_saved"])
        return
    stem = st.selectbox(T["edit_stem"], list(saved), key="lab_history_stem")
    rows = profiles.history(cache.database().reader(), str(stem))
    frame = pd.DataFrame(
        [
            {
                "version": r.version,
                "profile_name": r.name,
                "based_on": r.based_on,
                "note": r.note,
                "saved_at": r.saved_at,
                "saved_by": r.saved_by,
            }
            for r in rows
        ]
    )
    table(frame, "lab_history")


def _header(column: str) -> str:
    return C.get(column) or labels.score_header(column)
