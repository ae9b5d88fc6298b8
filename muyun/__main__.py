"""Entry point for `python -m muyun`.

Two settings are made before numpy loads, for a command that runs once over a whole file:
- OpenBLAS on one thread. muyun calls no BLAS routine that a second thread would speed up, and
  OpenBLAS's helper thread (started with numpy, then spinning while it waits for work) cost
  `muyun score --input` on a province's file about 0.25 s of CPU, 8 % of the command.
- No transparent huge pages for numpy's arrays. The command allocates and frees the year's
  columns many times, and the kernel zeroed a fresh 2 MB page for each: about 0.1 s more.
(Issue 15; `benchmarks/bench_score_cli.py`.) Setting them here, not in the library, leaves a
host that imports muyun (Streamlit, the tests) to choose its own.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

import sys

from muyun.cli import main

sys.exit(main())
