"""Next year's method: copy last year's profile, see what changed, save edits with history.

Why copy-and-diff: counties re-issue the method every year with new fixed benchmarks (last
year's city averages), sometimes new weights or bands; the bureau has to say exactly what
changed before the public notice. The copy takes the averages of the year just evaluated
(`scoring.year_averages`, the §3 ratio of sums, statuses decided by the copied profile), and
the diff compares two profiles key by key through their TOML (`Profile.to_toml`), so every
section — weights, bands, benchmarks, bonus, deductions, policy rates, years — is covered by
one comparison and nothing can be forgotten.

Why profiles edited in the app live in the store (table `profile_versions`, migration 8), not in
data/profiles: the shipped files are the project's reviewed references; an edit is a new
version under its own stem, never an overwrite, so the history is the table itself.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from muyun import labels, scoring
from muyun.accounts import Account, can
from muyun.profile import AVERAGE, PRIOR_YEAR_AVERAGE, Profile, ProfileError, profile_from_toml

if TYPE_CHECKING:
    from muyun.db import Database

SAVED_PREFIX = "saved:"  # a saved profile's key beside the shipped stems (URL-safe, plain)
EDIT_ACTION = "edit_profile"
STEM_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
SIGNIFICANT = 4  # copied benchmarks keep 4 significant digits, as a notice prints them
DIFF_COLUMNS = ["section", "item", "before", "after"]

_T = labels.METHOD_LAB_TEXT
_E = labels.METHOD_LAB_ERRORS


class ProfileSaveError(ValueError):
    """A profile could not be saved; the message is Chinese, for the official."""


@dataclass(frozen=True)
class SavedVersion:
    """One row of a saved profile's history."""

    stem: str
    version: int
    name: str
    based_on: str
    note: str
    saved_at: datetime
    saved_by: str


def next_year_profile(
    profile: Profile, last_year: scoring.YearData, target_year: int | None = None
) -> Profile:
    """The profile for `target_year` (default: the year after `last_year`'s) with every fixed
    benchmark replaced by `last_year`'s average; rule benchmarks ("average",
    "prior_year_average") and multipliers stay, since they update themselves."""
    year = int(target_year if target_year is not None else last_year.year + 1)
    averages = scoring.year_averages(last_year, profile)
    scales = {}
    for scale, specs in profile.scales.items():
        updated = []
        for spec in specs:
            value = averages[scale][spec.key]
            fixed = spec.benchmark not in (AVERAGE, PRIOR_YEAR_AVERAGE)
            if fixed and value == value and value > 0:  # NaN or ≤ 0: keep the old base
                spec = replace(spec, benchmark=float(f"{value:.{SIGNIFICANT}g}"))
            updated.append(spec)
        scales[scale] = tuple(updated)
    name = profile.name
    stated = [str(y) for y in (*profile.years, last_year.year) if str(y) in name]
    name = (
        name.replace(stated[0], str(year))
        if stated
        else _T["copy_name"].format(name=name, year=year)
    )
    return replace(profile, name=name, years=(year,), scales=scales)


def diff_profiles(before: Profile, after: Profile) -> pd.DataFrame:
    """Every setting that differs, one row each: section (权重, 分档, 基准值 …), item, before,
    after (text as the TOML writes it; "—" where a side does not have the setting)."""
    old = _flat(before)
    new = _flat(after)
    rows = []
    for path in sorted(set(old) | set(new), key=_order):
        if old.get(path) == new.get(path):
            continue
        rows.append(
            {
                "section": _section(path),
                "item": _item(path),
                "before": old.get(path, _T["absent"]),
                "after": new.get(path, _T["absent"]),
            }
        )
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def save_profile(
    db: Database,
    stem: str,
    toml_text: str,
    *,
    actor: Account,
    based_on: str = "",
    note: str = "",
) -> int:
    """Validate the TOML and store it as the next version of `stem`; returns the version."""
    if not can(actor, EDIT_ACTION):
        raise ProfileSaveError(_E["not_allowed"].format(role=actor.role))
    if not STEM_PATTERN.fullmatch(stem):
        raise ProfileSaveError(_E["bad_stem"].format(stem=stem))
    try:
        profile = profile_from_toml(toml_text, f"{stem}.toml")
    except ProfileError as exc:
        raise ProfileSaveError(str(exc)) from exc
    with db.write() as cur:
        row = cur.execute(
            "SELECT coalesce(max(version), 0) FROM profile_versions WHERE stem = ?", [stem]
        ).fetchall()[0]
        version = int(row[0]) + 1
        cur.execute(
            "INSERT INTO profile_versions (stem, version, name, toml, based_on, note, saved_at, "
            "saved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                stem,
                version,
                profile.name,
                toml_text,
                based_on,
                note,
                datetime.now(UTC).replace(tzinfo=None),
                actor.username,
            ],
        )
    return version


def saved_profiles(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """stem → (latest version, display name) of every saved profile, by stem."""
    rows = con.execute(
        "SELECT stem, max(version) AS version, arg_max(name, version) FROM profile_versions "
        "GROUP BY stem ORDER BY stem"
    ).fetchall()
    return {str(stem): (int(version), str(name)) for stem, version, name in rows}


def history(con: duckdb.DuckDBPyConnection, stem: str) -> list[SavedVersion]:
    """Every version of a saved profile, newest first."""
    rows = con.execute(
        "SELECT stem, version, name, coalesce(based_on, ''), coalesce(note, ''), saved_at, "
        "saved_by FROM profile_versions WHERE stem = ? ORDER BY version DESC",
        [stem],
    ).fetchall()
    return [SavedVersion(*row) for row in rows]


def saved_toml(con: duckdb.DuckDBPyConnection, stem: str, version: int | None = None) -> str:
    """The TOML text of a version (the latest when None); ProfileSaveError when there is none."""
    rows = con.execute(
        "SELECT toml FROM profile_versions WHERE stem = ? AND (? IS NULL OR version = ?) "
        "ORDER BY version DESC LIMIT 1",
        [stem, version, version],
    ).fetchall()
    if not rows:
        raise ProfileSaveError(_E["no_saved"].format(stem=stem))
    return str(rows[0][0])


def load_saved(con: duckdb.DuckDBPyConnection, stem: str, version: int | None = None) -> Profile:
    """A saved profile parsed (it was validated when saved, and is validated again here)."""
    return profile_from_toml(saved_toml(con, stem, version), f"{stem}.toml")


# ── flattening for the diff ─────────────────────────────────────────────────────────────────

_SECTIONS = (
    ("meta.years", "years"),
    ("meta.", "meta"),
    ("evaluation.", "evaluation"),
    ("tiers.", "tiers"),
    ("bonus.", "bonus"),
    ("deductions.", "deductions"),
    ("policies", "policies"),
    ("policy.", "policy"),
)
_SECTION_RANK = {key: i for i, key in enumerate(("years", "meta", "weights", "benchmarks"))}


def _flat(profile: Profile) -> dict[str, str]:
    data = tomllib.loads(profile.to_toml())
    out: dict[str, str] = {}
    _walk(data, "", out)
    return out


def _walk(value: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _walk(inner, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for item in value:
            tier = item.get("tier", "")
            for key, inner in item.items():
                if key != "tier":
                    _walk(inner, f"{path}.{tier}.{key}", out)
    else:
        out[path] = _shown(value)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return labels.EXPORT_TEXT["yes"] if value else labels.EXPORT_TEXT["no"]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            return "; ".join(f"[{_shown(v)}]" for v in value)
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _section_key(path: str) -> str:
    if path.startswith("scales."):
        field = path.rsplit(".", 1)[-1]
        return "weights" if field == "weight" else "benchmarks"
    for prefix, key in _SECTIONS:
        if path.startswith(prefix):
            return key
    return "meta"


def _section(path: str) -> str:
    return _T["diff_sections"][_section_key(path)]


def _order(path: str) -> tuple[int, str]:
    return (_SECTION_RANK.get(_section_key(path), len(_SECTION_RANK)), path)


def _item(path: str) -> str:
    """A readable item: 规上 · 亩均税收 · 封顶倍数 for scales, the dotted key elsewhere."""
    if path.startswith("scales."):
        _, scale, _, key, field = path.split(".", 4)
        indicator = labels.INDICATORS[key].name if key in labels.INDICATORS else key
        return str(_T["item_sep"]).join((scale, indicator, _T["diff_fields"].get(field, field)))
    return path
