"""What the policy money (methodology §9) adds to scoring and to a what-if slider step.

Prints, on synthetic years (the generator of `bench_scoring.py`, default profile with its
illustrative `[policy]`), medians of interleaved runs in the same process:
- `score_year` alone, `policy.policy_columns` alone on its result, and the two in a row, at
  200,000 firms; the money's share of the score time is `policy_columns` ÷ `score_year` (target:
  under 10 %) — the difference of the two medians is printed too, but on a shared machine it
  is within the noise of `score_year` itself. The repeat escalation looks back
  on two prior years whose tiers are this year's (every D firm escalates: the lookup's worst
  case); building that history from two scored years (`policy.tier_history`) is printed apart,
  since the pages cache it with the scored years;
- a what-if slider step (`whatif.rescore` + `whatif.paired` against the cached baseline),
  `whatif.fiscal_effect` alone and the two in a row, at 4,000 firms (the demo city) and 200,000.

Run: `python benchmarks/bench_policy.py [--sizes 4000 200000] [--runs 7]`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_scoring import YEAR, load, synthesise, timed

from muyun import db, policy, profile, scoring, whatif

SCALE = "规上"


def bench_score(n: int, runs: int, prof: profile.Profile) -> None:
    frame, leases = synthesise(n)
    con = db.connect(":memory:")
    load(con, frame, leases)
    scored = scoring.score_year(con, YEAR, prof)
    tiers = policy.tier_history({YEAR - 1: scored, YEAR - 2: scored})

    def with_money() -> None:
        result = scoring.score_year(con, YEAR, prof)
        policy.policy_columns(result, prof, tiers)

    ms = timed(
        {
            "score": lambda: scoring.score_year(con, YEAR, prof),
            "money": with_money,
            "columns": lambda: policy.policy_columns(scored, prof, tiers),
            "history": lambda: policy.tier_history({YEAR - 1: scored, YEAR - 2: scored}),
        },
        runs,
    )
    escalated = int(policy.with_money(scored, prof, tiers)["repeat_escalated"].sum())
    print(
        f"{n:>8,} firms | score_year {ms['score']:7.1f} ms | policy_columns alone "
        f"{ms['columns']:5.1f} ms = {ms['columns'] / ms['score']:5.1%} of the score "
        f"(target < 10 %; {escalated:,} firms escalated) | score_year + policy_columns "
        f"{ms['money']:7.1f} ms (difference {ms['money'] - ms['score']:+6.1f} ms) | "
        f"tier_history of two years {ms['history']:5.1f} ms"
    )
    con.close()


def bench_step(n: int, runs: int, prof: profile.Profile) -> None:
    frame, leases = synthesise(n)
    con = db.connect(":memory:")
    load(con, frame, leases)
    data = scoring.load_year(con, YEAR)
    base = whatif.settings_from_profile(prof, SCALE)
    baseline = whatif.rescore(data, prof, SCALE, base)
    tiers = policy.tier_history({YEAR - 1: baseline, YEAR - 2: baseline})
    step = [0]

    def settings() -> whatif.Settings:
        step[0] += 1
        weights = tuple((k, w + step[0] % 7 if k == "tax_per_mu" else w) for k, w in base.weights)
        return whatif.Settings(weights, *base.scoring_key()[1:])

    def rescore() -> None:
        whatif.paired(baseline, whatif.rescore(data, prof, SCALE, settings()), SCALE)

    def rescore_with_money() -> None:
        moved = settings()
        pairs = whatif.paired(baseline, whatif.rescore(data, prof, SCALE, moved), SCALE)
        rates = whatif.apply(prof, SCALE, moved).policy
        whatif.fiscal_effect(pairs, prof.policy, rates, tiers)

    moved = settings()
    pairs = whatif.paired(baseline, whatif.rescore(data, prof, SCALE, moved), SCALE)
    rates = whatif.apply(prof, SCALE, moved).policy
    ms = timed(
        {
            "step": rescore,
            "money": rescore_with_money,
            "fiscal": lambda: whatif.fiscal_effect(pairs, prof.policy, rates, tiers),
        },
        max(runs, 15),
    )
    print(
        f"{n:>8,} firms | what-if step (rescore + paired) {ms['step']:7.1f} ms | "
        f"fiscal_effect alone {ms['fiscal']:6.1f} ms = {ms['fiscal'] / ms['step']:5.1%} of the "
        f"step | step + fiscal_effect {ms['money']:7.1f} ms "
        f"(difference {ms['money'] - ms['step']:+6.1f} ms)"
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4_000, 200_000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    prof = profile.load_profile(profile.profile_path(profile.DEFAULT_PROFILE))
    assert prof.policy is not None, "the default profile carries illustrative [policy] rates"
    for n in args.sizes:
        bench_score(n, args.runs, prof)
    for n in args.sizes:
        bench_step(n, args.runs, prof)


if __name__ == "__main__":
    main()
