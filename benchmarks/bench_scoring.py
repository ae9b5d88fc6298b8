"""Scoring speed: `score_year` beside same-run baselines, the what-if re-score and the CLI.

Prints, for 1,000 / 20,000 / 200,000 synthetic enterprises (one year, with leases):
- engine: `scoring.score_year` under the default profile (median of a few runs);
- baseline (a): the plain DuckDB read-and-rank of the same rows into pandas
  (SELECT …, rank() OVER (PARTITION BY scale, industry ORDER BY tax / land DESC));
- baseline (b): a straightforward pandas implementation of the same method (groupby benchmarks,
  per-row items, groupby rank) — what one would write without thinking about speed;
- the ratios engine ÷ (a) (target ≤ 2 at 200,000) and engine ÷ (b);
then the what-if re-score (`score_prepared` only) at 4,000 firms (target well under 50 ms), the
profile step in numpy against (c) the same step as one DuckDB query (why the engine uses numpy),
and `python -m muyun score --input` on a 200,000-row CSV (when the importer is available);
last, the peak RSS that `score_year` adds at the largest size, each of `--runs` in a fresh
process (a server scores several such years, two at once on two threads).

Run: `python benchmarks/bench_scoring.py [--sizes 1000 20000 200000] [--runs 5]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from muyun import creditcode, db, labels, profile, scoring

YEAR = 2024
TOWNS = pd.read_csv(db.TOWNS_CSV)["name"].tolist()


def synthesise(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`n` enterprises of one year and their leases (≈ 8 % lease land out, 80 % registered).

    Quick lognormal data shaped like the demo city (26 % 规上); valid credit codes, known towns,
    and registered leases never exceed the lessor's own land, so the importer accepts the files.
    """
    rng = np.random.default_rng(seed)
    big = rng.random(n) < 0.26
    land = np.where(big, rng.lognormal(2.6, 0.9, n), rng.lognormal(1.7, 0.45, n)).round(2)
    land = np.maximum(land, 0.5)
    tax_per_mu = rng.lognormal(2.3, 0.8, n) * np.where(rng.random(n) < 0.01, -0.2, 1.0)
    tax = (land * tax_per_mu).round(2)
    va = (land * rng.lognormal(4.4, 0.6, n)).round(2)
    revenue = (va * rng.uniform(3, 6, n)).round(2)
    employees = np.maximum(1, (va / rng.lognormal(2.8, 0.4, n))).astype(int)

    def optional(values: np.ndarray, share_missing: float) -> np.ndarray:
        return np.where(rng.random(n) < share_missing, np.nan, values)

    frame = pd.DataFrame(
        {
            "year": YEAR,
            "credit_code": _credit_codes(n, rng),
            "name": [f"合成企业{i:06d}有限公司" for i in range(n)],
            "industry": rng.choice(labels.INDUSTRIES, n),
            "town": rng.choice(TOWNS, n),
            "scale": np.where(big, "规上", "规下"),
            "land_own_mu": land,
            "tax": tax,
            "value_added": np.where(big, va, optional(va, 0.5)),
            "revenue": revenue,
            "employees": np.where(big, employees, optional(employees, 0.5)),
            "energy_tce": optional((va / rng.lognormal(1.0, 0.7, n)).round(2), 0.05),
            "electricity_10k_kwh": optional(
                (np.abs(tax) / rng.lognormal(-1.4, 0.5, n)).round(2), 0.02
            ),
            "emission_t": optional((va / rng.lognormal(7.5, 1.0, n)).round(3), 0.3),
            "rd": optional((revenue * rng.uniform(0, 0.05, n)).round(2), 0.2),
            "water_t": optional((va * rng.lognormal(3.5, 0.7, n)).round(0), 0.2),
            "investment": optional(rng.lognormal(6.0, 1.5, n).round(1), 0.4),
            "listing": rng.choice(labels.LISTING_STATUSES, n, p=[0.9, 0.06, 0.02, 0.02]),
            "talents": np.minimum(employees, (employees * rng.uniform(0, 0.4, n)).astype(int)),
            "safety_incidents": (rng.random(n) < 0.01).astype(int),
            "env_penalties": (rng.random(n) < 0.02).astype(int),
            "veto": rng.random(n) < 0.005,
            "exempt": rng.random(n) < 0.01,
        }
    )
    frame["employees"] = frame["employees"].astype("Int64")
    lessors = rng.choice(n, max(1, n // 12), replace=False)
    lessees = (lessors + rng.integers(1, n, len(lessors))) % n
    registered = rng.random(len(lessors)) < 0.8
    leases = pd.DataFrame(
        {
            "year": YEAR,
            "lessor_code": frame["credit_code"].to_numpy()[lessors],
            "lessee_code": frame["credit_code"].to_numpy()[lessees],
            "land_mu": np.maximum(
                0.01, (land[lessors] * rng.uniform(0.05, 0.5, len(lessors)))
            ).round(2),
            "floor_area_m2": rng.uniform(200, 5000, len(lessors)).round(0),
            "registered": registered,
            "record_no": np.where(registered, [f"ZL{i:07d}" for i in range(len(lessors))], None),
        }
    )
    return frame, leases


def _credit_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` distinct valid GB 32100 codes of 永康 companies, vectorised."""
    alphabet = np.array(list(creditcode.ALPHABET))
    codes: set[str] = set()
    out: list[str] = []
    prefix = "91" + creditcode.YONGKANG_DIVISION
    prefix_sum = sum(
        creditcode.ALPHABET.index(c) * w for c, w in zip(prefix, creditcode.WEIGHTS, strict=False)
    )
    weights = np.array(creditcode.WEIGHTS[len(prefix) :])
    while len(out) < n:
        body = rng.integers(0, 31, (n, 9))
        check = (31 - (prefix_sum + body @ weights) % 31) % 31
        chars = alphabet[np.column_stack([body, check])]
        for row in chars:
            code = prefix + "".join(row)
            if code not in codes:
                codes.add(code)
                out.append(code)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


def load(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, leases: pd.DataFrame) -> None:
    """Insert the synthetic year into a muyun store."""
    con.register("synthetic_enterprises", frame)
    con.register("synthetic_leases", leases)
    columns = ", ".join(frame.columns)
    con.execute(f"INSERT INTO enterprises ({columns}) SELECT {columns} FROM synthetic_enterprises")
    columns = ", ".join(leases.columns)
    con.execute(f"INSERT INTO leases ({columns}) SELECT {columns} FROM synthetic_leases")
    con.unregister("synthetic_enterprises")
    con.unregister("synthetic_leases")


def baseline_duckdb(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(a) The plain read-and-rank: every row, 亩均税收 and its rank per scale × industry."""
    return con.execute(
        """
        SELECT *, tax / land_own_mu AS tax_per_mu,
               rank() OVER (PARTITION BY scale, industry ORDER BY tax / land_own_mu DESC) AS rank
        FROM enterprises WHERE year = ?
        """,
        [YEAR],
    ).df()


def baseline_pandas(con: duckdb.DuckDBPyConnection, prof: profile.Profile) -> pd.DataFrame:
    """(b) The same method written plainly in pandas (groupby benchmarks, per-row items, rank)."""
    e = con.execute("SELECT * FROM enterprises WHERE year = ?", [YEAR]).df()
    leases = con.execute("SELECT * FROM leases WHERE year = ? AND registered", [YEAR]).df()
    out = leases.groupby("lessor_code")["land_mu"].sum()
    inn = leases.groupby("lessee_code")["land_mu"].sum()
    e["land_mu"] = (
        e["land_own_mu"]
        - e["credit_code"].map(out).fillna(0.0)
        + e["credit_code"].map(inn).fillna(0.0)
    )
    small = e["scale"] == "规下"
    e = e[(e["land_mu"] > 0) & (~small | (e["land_mu"] >= prof.below_min_land_mu))].copy()
    e["total"] = 0.0
    for scale, specs in prof.scales.items():
        rows = e["scale"] == scale
        sub = e[rows]
        for spec in specs:
            num_col, den_col = scoring.INDICATOR_FORMULAS[spec.key]
            ok = sub[num_col].notna() & (sub[den_col] > 0)
            mean = (
                sub.loc[ok & ~sub["exempt"], num_col].sum()
                / sub.loc[ok & ~sub["exempt"], den_col].sum()
            )
            ratio = (sub[num_col] / sub[den_col]).where(ok) / mean
            item = spec.weight * ratio.clip(0, spec.cap)
            if spec.missing == "average_score":
                item = item.fillna(item[~sub["exempt"]].mean())
            e.loc[rows, "total"] += item.fillna(0.0)
    e["rank"] = (
        e[~e["exempt"]].groupby(["scale", "industry"])["total"].rank(method="min", ascending=False)
    )
    return e.sort_values(["total"], ascending=False)


def sql_scoring_query(prof: profile.Profile) -> str:
    """(c) The profile-dependent step written as one DuckDB query over a prepared table.

    This is the alternative the engine was measured against (see `muyun.scoring`'s docstring):
    benchmarks as window sums, items with caps, average-score imputation, bonus, deductions,
    `rank() OVER (PARTITION BY pool …)` and tiers as CASE, ordered for display. It is only for
    timing — the engine is the reference for the rules.
    """
    scales = ", ".join(f"'{s}'" for s in prof.scales)
    status = (
        f"CASE WHEN scale NOT IN ({scales}) OR land_mu <= 0 "
        f"OR (scale = '规下' AND land_mu < {prof.below_min_land_mu}) THEN 2 "
        "WHEN exempt THEN 1 ELSE 0 END"
    )
    items, totals = [], []
    for scale, specs in prof.scales.items():
        parts = []
        for spec in specs:
            num, den = scoring.INDICATOR_FORMULAS[spec.key]
            col = f"i_{len(items)}"
            if spec.benchmark == "average":
                sel = f"scale = '{scale}' AND st = 0 AND {spec.key} IS NOT NULL"
                bench = (
                    f"(sum(CASE WHEN {sel} THEN {num} END) OVER () / "
                    f"sum(CASE WHEN {sel} THEN {den} END) OVER ())"
                )
            else:
                bench = str(spec.benchmark)
            cap = "" if spec.cap is None else f", {spec.cap}"
            unit = f"least(greatest({spec.key} / {bench}, 0){cap})"
            present = f"scale = '{scale}' AND {spec.key} IS NOT NULL"  # greatest() skips NULL
            items.append(f"CASE WHEN {present} THEN {spec.weight} * {unit} END AS {col}")
            if spec.missing == "average_score":
                fill = f"avg(CASE WHEN st = 0 THEN {col} END) OVER (PARTITION BY scale)"
                parts.append(f"coalesce({col}, {fill})")
            else:
                parts.append(f"coalesce({col}, 0)")
        totals.append(f"WHEN scale = '{scale}' THEN {' + '.join(parts)}")
    bonus = "0"
    if prof.bonus is not None:
        rule = prof.bonus
        listing = " ".join(f"WHEN '{k}' THEN {v}" for k, v in rule.listing.items())
        talent = " ".join(
            f"WHEN employees > 0 AND talents / employees >= {a} THEN {b}" for a, b in rule.talent
        )
        water_sel = "st = 0 AND va_per_water IS NOT NULL"
        water_avg = (
            f"(sum(CASE WHEN {water_sel} THEN value_added END) OVER (PARTITION BY scale) / "
            f"sum(CASE WHEN {water_sel} THEN water_t END) OVER (PARTITION BY scale))"
        )
        water = " ".join(f"WHEN va_per_water / {water_avg} >= {a} THEN {b}" for a, b in rule.water)
        bonus = (
            f"least(CASE listing {listing} ELSE 0 END"
            f" + least(floor(coalesce(investment, 0) / {rule.investment_per_point}), "
            f"{rule.investment_max}) + CASE {talent} ELSE 0 END + CASE {water} ELSE 0 END"
            f", {rule.cap})"
        )
    deduction = "0"
    if prof.deductions is not None:
        rule = prof.deductions
        deduction = (
            f"{rule.safety_incident} * safety_incidents + {rule.env_penalty} * env_penalties"
        )
    t = prof.tiers
    return f"""
    WITH s AS (SELECT *, {status} AS st FROM prepared),
    i AS (SELECT *, {", ".join(items)} FROM s),
    t AS (
        SELECT *, CASE WHEN st < 2 THEN round(CASE {" ".join(totals)} END
               + {bonus} - ({deduction}), 6) END AS total
        FROM i
    ),
    r AS (
        SELECT *, CASE WHEN st = 0 THEN rank() OVER (PARTITION BY pool, st ORDER BY total DESC)
                  END AS rnk,
               count(*) FILTER (WHERE st = 0) OVER (PARTITION BY pool) AS n
        FROM t
    )
    SELECT *, CASE WHEN st <> 0 THEN NULL
        WHEN rnk * 100 <= {t.a_pct} * n THEN CASE WHEN veto THEN 'C' ELSE 'A' END
        WHEN rnk * 100 <= {t.b_pct} * n THEN CASE WHEN veto THEN 'C' ELSE 'B' END
        WHEN (n - rnk + 1) * 100 <= {t.d_pct} * n
             AND round(tax_per_mu, 6) < {t.d_max_tax_per_mu} THEN 'D'
        ELSE 'C' END AS tier
    FROM r
    ORDER BY total DESC NULLS LAST, tax_per_mu DESC NULLS LAST, credit_code
    """


def bench_sql_variant(n: int, runs: int, prof: profile.Profile) -> None:
    """Numpy `score_prepared` against (c), both from an already prepared year."""
    query = sql_scoring_query(prof)
    frame, leases = synthesise(n)
    con = db.connect(":memory:")
    load(con, frame, leases)
    data = scoring.load_year(con, YEAR)
    indicators = ", ".join(
        f"CASE WHEN {den} > 0 THEN {num} / {den} END AS {key}"
        for key, (num, den) in scoring.INDICATOR_FORMULAS.items()
    )
    pool = "scale || '·' || industry" if prof.pool_by == "industry" else "scale"
    year_sql = scoring._YEAR_SQL.replace("$year", str(YEAR))
    con.execute(
        f"CREATE TABLE prepared AS SELECT *, {indicators}, {pool} AS pool FROM ({year_sql})"
    )

    def in_sql() -> pd.DataFrame:
        return con.sql(query).to_arrow_table().to_pandas(types_mapper=scoring.pandas_type)

    same = in_sql()["tier"].fillna("") == scoring.score_prepared(data, prof)["tier"].fillna("")
    ms = timed({"numpy": lambda: scoring.score_prepared(data, prof), "sql": in_sql}, runs)
    print(
        f"{n:>8,} firms | profile step in numpy (score_prepared) {ms['numpy']:7.1f} ms | "
        f"(c) same step as one DuckDB query {ms['sql']:7.1f} ms "
        f"(ratio {ms['sql'] / ms['numpy']:4.1f}) "
        f"(same tier in display order: {same.mean():.1%})"
    )
    con.close()


def timed(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median wall time of each function in milliseconds, runs interleaved (after a warm-up).

    Interleaving means a busy neighbour on this shared 2-core machine slows every contender
    alike, so the same-run ratios stay meaningful even when the absolute times move.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_size(n: int, runs: int, prof: profile.Profile) -> None:
    frame, leases = synthesise(n)
    con = db.connect(":memory:")
    load(con, frame, leases)
    data = scoring.load_year(con, YEAR)
    ms = timed(
        {
            "engine": lambda: scoring.score_year(con, YEAR, prof),
            "load": lambda: scoring.load_year(con, YEAR),
            "prepared": lambda: scoring.score_prepared(data, prof),
            "a": lambda: baseline_duckdb(con),
            "b": lambda: baseline_pandas(con, prof),
        },
        runs,
    )
    print(
        f"{n:>8,} firms | engine score_year {ms['engine']:7.1f} ms "
        f"(load_year {ms['load']:6.1f} + score_prepared {ms['prepared']:6.1f}) | "
        f"(a) DuckDB read+rank {ms['a']:6.1f} ms, engine/(a) = {ms['engine'] / ms['a']:4.2f} | "
        f"(b) plain pandas {ms['b']:7.1f} ms, engine/(b) = {ms['engine'] / ms['b']:4.2f}"
    )
    con.close()


def bench_whatif(runs: int, prof: profile.Profile) -> None:
    frame, leases = synthesise(4_000)
    con = db.connect(":memory:")
    load(con, frame, leases)
    data = scoring.load_year(con, YEAR)
    weights = prof.weights("规上")
    step = [0]

    def move_slider() -> None:
        step[0] += 1
        moved = prof.with_weights("规上", {"tax_per_mu": weights["tax_per_mu"] + step[0] % 7})
        scoring.score_prepared(data, moved)

    ms = timed({"step": move_slider}, max(runs, 20))["step"]
    print(
        f"what-if re-score (with_weights + score_prepared), 4,000 firms: {ms:.1f} ms "
        "(target well under 50 ms)"
    )
    con.close()


def bench_cli(n: int) -> None:
    try:
        import muyun.importer  # noqa: F401
    except ImportError:
        print("CLI: muyun.importer is not available yet — skipped")
        return
    frame, leases = synthesise(n)
    with tempfile.TemporaryDirectory() as tmp:
        enterprises_csv = Path(tmp) / "enterprises.csv"
        leases_csv = Path(tmp) / "leases.csv"
        leases.assign(registered=np.where(leases["registered"], "是", "否")).to_csv(
            leases_csv, index=False
        )
        frame.assign(
            veto=np.where(frame["veto"], "是", "否"), exempt=np.where(frame["exempt"], "是", "否")
        ).to_csv(enterprises_csv, index=False)
        out = Path(tmp) / "scores.csv"
        command = [
            sys.executable,
            "-m",
            "muyun",
            "score",
            "--input",
            str(enterprises_csv),
            "--leases",
            str(leases_csv),
            "--profile",
            str(profile.profile_path(profile.DEFAULT_PROFILE)),
            "--out",
            str(out),
        ]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            print(f"CLI failed ({done.returncode}): {done.stderr.strip()[-500:]}")
            return
        rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        print(
            f"CLI score --input {n:,}-row CSV (+{len(leases):,} leases) → {rows:,} rows: "
            f"{elapsed:.2f} s wall, including interpreter start"
        )


def _rss_mb(field: str) -> float:
    """`VmRSS` or `VmHWM` (the peak) of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(n: int) -> None:
    """In a fresh process: synthesise and load `n` firms, reset the peak RSS, score the year
    once, and print the peak's rise and the result's size (MB) for `bench_memory`."""
    frame, leases = synthesise(n)
    con = db.connect(":memory:")
    load(con, frame, leases)
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    del frame, leases
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    start = _rss_mb("VmRSS")
    result = scoring.score_year(con, YEAR, prof)
    size = result.memory_usage(deep=True).sum() / 2**20
    print(f"{_rss_mb('VmHWM') - start:.1f} {size:.1f}")


def bench_memory(n: int, runs: int) -> None:
    """The median over `runs` fresh processes of `memory_child` (a peak needs a fresh one)."""
    rises, size = [], 0.0
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        rise, size = map(float, done.stdout.split())
        rises.append(rise)
    print(
        f"score_year peak RSS rise, {n:,} firms, fresh process: "
        f"{statistics.median(rises):.0f} MB (median of {runs}) for a {size:.0f} MB result"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 20_000, 200_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli-rows", type=int, default=200_000)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    print(f"scoring under “{prof.name}”, median of {args.runs} runs")
    for n in args.sizes:
        bench_size(n, args.runs, prof)
    bench_whatif(args.runs, prof)
    for n in (4_000, max(args.sizes)):
        bench_sql_variant(n, args.runs, prof)
    if args.cli_rows:
        bench_cli(args.cli_rows)
    bench_memory(max(args.sizes), args.runs)


if __name__ == "__main__":
    main()
