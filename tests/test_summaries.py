"""muyun.summaries: stored year summaries, valid only for the profile text and inputs they
were built from; and the figures read off a summary equal the figures of the firms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from muyun import briefing, db, labels, profile, queries, scoring, summaries

PROFILE_TEXT = profile.profile_path("yongkang-default").read_text(encoding="utf-8")
PROFILE = profile.load_profile(profile.profile_path("yongkang-default"))


@pytest.fixture
def store(demo_db_copy: Path) -> db.Database:
    database = db.Database(demo_db_copy)
    yield database
    database.close()


def scored(con, year: int) -> pd.DataFrame:
    return scoring.score_prepared(scoring.load_year(con, year), PROFILE)


def test_a_stored_summary_reads_back_as_it_was_saved(store: db.Database) -> None:
    frame = scored(store.reader(), 2024)
    summary, tiers = queries.year_summary(frame), summaries.year_tiers(frame)
    sha, inputs = summaries.profile_sha(PROFILE_TEXT), summaries.input_fingerprints(store.reader())
    with store.write() as con:
        summaries.save(con, 2024, sha, inputs[2024], summary, tiers)
    pd.testing.assert_frame_equal(
        summaries.load_tiers(store.reader(), 2024, sha, inputs[2024]),
        tiers.sort_values("credit_code").reset_index(drop=True),
    )
    back = summaries.load(store.reader(), 2024, sha, inputs[2024])
    assert back is not None and len(back) == len(summary)
    key = queries.SUMMARY_KEYS
    expected = summary.sort_values(key).reset_index(drop=True)[summaries.COLUMNS]
    got = back.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got[summaries.VALUE_COLUMNS], expected[summaries.VALUE_COLUMNS], check_dtype=False
    )
    assert summaries.load(store.reader(), 2024, sha, inputs[2024] + "x") is None
    assert (
        summaries.load(store.reader(), 2024, summaries.profile_sha(PROFILE_TEXT + "#"), "") is None
    )


def test_saving_again_replaces_the_older_fingerprint(store: db.Database) -> None:
    frame = scored(store.reader(), 2024)
    summary, tiers = queries.year_summary(frame), summaries.year_tiers(frame)
    sha = summaries.profile_sha(PROFILE_TEXT)
    for inputs in ("old", "new"):
        with store.write() as con:
            summaries.save(con, 2024, sha, inputs, summary, tiers)
    for table in ("score_summaries", "score_tiers"):
        query = f"SELECT DISTINCT inputs FROM {table} WHERE year = 2024"
        assert store.reader().execute(query).fetchall() == [("new",)]
    assert summaries.load_tiers(store.reader(), 2024, sha, "old") is None


def test_the_fingerprint_follows_the_year_and_the_year_before(store: db.Database) -> None:
    before = summaries.input_fingerprints(store.reader())
    with store.write() as con:
        con.execute(
            "UPDATE enterprises SET tax = tax + 1 WHERE year = 2023 "
            "AND credit_code = (SELECT min(credit_code) FROM enterprises WHERE year = 2023)"
        )
    after = summaries.input_fingerprints(store.reader())
    assert after[2023] != before[2023] and after[2024] != before[2024]  # 2023 is 2024's prior
    assert after[2022] == before[2022]


def test_summary_figures_equal_the_figures_of_the_firms(store: db.Database) -> None:
    frame = scored(store.reader(), 2024)
    summary = queries.year_summary(frame)
    for scale in labels.SCALES:
        of_scale = frame[frame["status"].isin(queries.PARTICIPATING) & (frame["scale"] == scale)]
        k = queries.summary_kpis(summary, scale)
        assert k.firms_by_scale[scale] == len(of_scale)
        assert k.tax_per_mu == pytest.approx(queries.ratio_of_sums(of_scale, "tax", "land_mu"))
        assert k.va_per_mu == pytest.approx(
            queries.ratio_of_sums(of_scale, "value_added", "land_mu"), nan_ok=True
        )
        assert k.land_mu == pytest.approx(of_scale["land_mu"].sum())
        ranked = queries.ranked(of_scale)
        assert k.tiers == {t: int((ranked["tier"] == t).sum()) for t in labels.TIERS}
    town = str(frame["town"].dropna().iloc[0])
    one_town = queries.filter_scored(summary, towns=(town,))
    assert int(one_town["firms"].sum()) == int((frame["town"] == town).sum())


def test_map_bubbles_count_every_ranked_firm_once(store: db.Database) -> None:
    frame = scored(store.reader(), 2024)
    centres = pd.DataFrame(store.reader().execute("SELECT name, lat, lon FROM towns").df())
    bubbles = queries.map_bubbles(queries.year_summary(frame), centres)
    ranked = queries.ranked(frame)
    assert int(bubbles["firms"].sum()) == len(ranked)
    a_firms = ranked[ranked["tier"] == "A"]
    first = bubbles[bubbles["tier"] == "A"].iloc[0]
    in_town = a_firms[a_firms["town"] == first["town"]]
    assert first["mean_total"] == pytest.approx(in_town["total"].mean())


def test_last_years_stored_tiers_and_attributes_stand_in_for_its_scored_year(
    store: db.Database,
) -> None:
    """The rankings' 上年 columns and tier changes read last year as stored tiers plus each
    firm's scale, industry and town (`queries.firm_attributes`): the same table as from the
    scored year, for the whole scale and for one industry."""
    con = store.reader()
    now, before = scored(con, 2024), scored(con, 2023)
    sha, inputs = summaries.profile_sha(PROFILE_TEXT), summaries.input_fingerprints(con)
    with store.write() as writer:
        summaries.save(
            writer,
            2023,
            sha,
            inputs[2023],
            queries.year_summary(before),
            summaries.year_tiers(before),
        )
    tiers = summaries.load_tiers(store.reader(), 2023, sha, inputs[2023])
    assert tiers is not None
    lean = tiers.merge(queries.firm_attributes(store.reader(), 2023), on="credit_code", how="left")
    assert lean["scale"].notna().all()
    industry = str(now["industry"].dropna().iloc[0])
    for scale in labels.SCALES:
        for industries in ((), (industry,)):
            shown = queries.ranked(queries.filter_scored(now, scale=scale, industries=industries))
            table = queries.ranking_table(shown, PROFILE, scale)
            pd.testing.assert_frame_equal(
                briefing.with_previous_year(table, lean),
                briefing.with_previous_year(table, before),
            )
            scope = {"scale": scale, "industries": industries}
            changes = briefing.tier_changes(
                queries.filter_scored(now, **scope), queries.filter_scored(lean, **scope)
            )
            assert changes.equals(
                briefing.tier_changes(
                    queries.filter_scored(now, **scope), queries.filter_scored(before, **scope)
                )
            )
    assert len(changes) > 0


def test_the_demo_store_comes_with_the_default_profiles_summaries(store: db.Database) -> None:
    sha, inputs = summaries.profile_sha(PROFILE_TEXT), summaries.input_fingerprints(store.reader())
    years = scoring.scorable_years(sorted(inputs), PROFILE)
    assert years == [2020, 2021, 2022, 2023, 2024]
    for year in years:
        frame = scored(store.reader(), year)
        stored = summaries.load(store.reader(), year, sha, inputs[year])
        assert stored is not None and int(stored["firms"].sum()) == len(frame), year
        tiers = summaries.load_tiers(store.reader(), year, sha, inputs[year])
        expected = summaries.year_tiers(frame).sort_values("credit_code", ignore_index=True)
        pd.testing.assert_frame_equal(tiers, expected)


def test_store_years_scores_only_the_years_whose_inputs_changed(demo_db_copy: Path) -> None:
    con = db.connect(demo_db_copy)
    try:
        assert summaries.store_years(con, PROFILE_TEXT, "yongkang-default") == []
        con.execute("UPDATE enterprises SET tax = tax + 1 WHERE year = 2022 AND rowid % 7 = 0")
        # 2022's own rows and 2023's year before changed; the other years are still valid.
        assert summaries.store_years(con, PROFILE_TEXT, "yongkang-default") == [2022, 2023]
        assert summaries.store_years(con, PROFILE_TEXT, "yongkang-default") == []
        other = profile.profile_path("huangyan-2022").read_text(encoding="utf-8")
        assert summaries.store_years(con, other, "huangyan-2022") == [2020, 2021, 2022, 2023, 2024]
    finally:
        con.close()


def test_a_firms_stored_rows_give_the_history_its_whole_years_give(store: db.Database) -> None:
    con = store.reader()
    sha, inputs = summaries.profile_sha(PROFILE_TEXT), summaries.input_fingerprints(con)
    whole = {year: summaries.year_tiers(scored(con, year)) for year in sorted(inputs)}
    codes = (
        con.execute(
            "SELECT credit_code FROM enterprises GROUP BY credit_code "
            "ORDER BY count(*), credit_code LIMIT 3"  # firms missing from some years first
        ).fetchall()
        + con.execute("SELECT max(credit_code) FROM enterprises").fetchall()
    )
    for (code,) in codes:
        own = summaries.firm_tiers(con, code, sha, inputs)
        assert own is not None
        expected = queries.firm_history(whole, code)
        assert len(expected) > 0
        pd.testing.assert_frame_equal(queries.firm_history(own, code), expected)
    assert len(queries.firm_history(whole, codes[0][0])) < len(inputs)
    assert summaries.firm_tiers(con, codes[0][0], sha, {**inputs, 2024: "other"}) is None
    assert summaries.firm_tiers(con, codes[0][0], sha + "x", inputs) is None
