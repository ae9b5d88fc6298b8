"""The method lab (方法实验室, issue 17): checking the method itself before a year is scored.

- `profiles`: next year's profile copied from last year's (benchmarks updated), the diff of two
  profiles, profiles edited in the app saved with history (migration 8).
- `quality`: coverage, outliers and impossible or suspicious rows, with the rows behind them.
- `redundancy`: Spearman correlations per scale, collinear pairs, size-driven indicators.
- `sensitivity`: drop-one tier changes, Sobol indices (Saltelli/Jansen) of ranks and tiers to
  the weights and the cap, per-firm rank intervals and tier probabilities.

`year_audit.audit_year` runs the three checks of one year under one profile (what the page
shows, and what benchmarks/bench_method_lab.py times). This package file imports nothing, so that
reading saved profiles (`profiles`, used on every page) does not load SciPy for `sensitivity`
(which itself imports SciPy only when an analysis runs).
"""
