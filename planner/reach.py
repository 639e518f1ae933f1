"""Evaluate a plan's reach directly from the formula of DESIGN §4 (independent of the solver's formulation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from planner.instance import Instance


def coverage(instance: Instance, chosen: Mapping[int, list[dt.date]]) -> list[float]:
    """c_p for every demand point: the sum of f over the plan's sessions that reach it."""
    counts = {index: len(dates) for index, dates in chosen.items()}
    return [sum(instance.venues[v].draw * counts.get(v, 0) for v in reached) for reached in instance.reached_by]


def evaluate_reach(instance: Instance, chosen: Mapping[int, list[dt.date]]) -> float:
    """reach = Σ_p w_p · a_p · Φ(c_p)."""
    parameters = instance.parameters
    return sum(
        point.weight * weight * parameters.phi(c)
        for point, weight, c in zip(instance.demand, instance.access_weight, coverage(instance, chosen), strict=True)
    )
