"""ui/method_lab_charts.py: the lab's charts carry the engine's numbers, named as the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from muyun import labels
from muyun.method_lab import sensitivity
from ui import method_lab_charts as lab_charts


def test_factor_names_are_the_indicators_and_the_cap() -> None:
    assert lab_charts.factor_name("tax_per_mu") == labels.INDICATORS["tax_per_mu"].name
    assert lab_charts.factor_name(sensitivity.CAP_FACTOR) == labels.SENSITIVITY_OUTPUTS["cap"]
    assert lab_charts.factor_name("其他") == "其他"


def test_heatmap_has_a_cell_per_pair_and_leaves_a_missing_one_blank() -> None:
    keys = ["tax_per_mu", "va_per_mu"]
    matrix = pd.DataFrame([[1.0, np.nan], [np.nan, 1.0]], index=keys, columns=keys)
    chart = lab_charts.heatmap(matrix, "标题")
    cells = chart.data
    assert len(cells) == 2  # the two pairs without a coefficient are not drawn
    assert set(cells["rho"]) == {1.0}
    names = [labels.INDICATORS[k].name for k in keys]
    assert chart.to_dict()["layer"][0]["encoding"]["x"]["sort"] == names
