"""Direction of stored effects and effect sizes computed from arm data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pdevidence.metapsy.read import to_number


def orientation(frame: pd.DataFrame, g: pd.Series, decimal: str) -> tuple[pd.Series, str]:
    """Effects turned so that positive favours arm 1.

    Metapsy databases differ: some store g already signed so that positive
    favours the treatment, others store arm 1 minus arm 2 on the raw scale,
    where a lower symptom score is better. Which one is read off the rows with
    both arm means: if g nearly always has the sign of mean_arm1 - mean_arm2
    the database is raw and g is negated.
    """
    if "mean_arm1" not in frame or "mean_arm2" not in frame:
        return g, "as stored (no arm means to check the sign against)"
    diff = np.sign(to_number(frame["mean_arm1"], decimal) - to_number(frame["mean_arm2"], decimal))
    sign = np.sign(g)
    usable = diff.notna() & sign.notna() & (diff != 0) & (sign != 0)
    if usable.sum() < 5:
        return g, "as stored (too few rows with arm means to check the sign)"
    same = float((diff[usable] == sign[usable]).mean())
    if same >= 0.8:
        return -g, (
            f"negated: in {same:.0%} of rows with arm means, g has the sign of arm 1 minus arm 2, so the database "
            "stores raw differences where lower scores are better; outcomes where higher is better (such as "
            "quality of life) then point the wrong way"
        )
    if same <= 0.2:
        return g, "as stored: positive g already favours the treatment arm"
    return g, f"as stored, but unclear: g has the sign of arm 1 minus arm 2 in {same:.0%} of rows"
