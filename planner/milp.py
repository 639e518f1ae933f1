"""A small sparse mixed-integer model handed to HiGHS (highspy): columns, rows, solve, progress callbacks."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np

INF = math.inf


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance (the library prints its banner on stdout before any option can be set: that would
    mix with the output of `outreach plan`, so stdout is pointed away while it is made)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy leaves Highs.__init__ unannotated
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass
class Progress:
    """What the solver reports while it works: best plan value so far (incumbent) and proven bound."""

    seconds: float
    incumbent: float | None
    bound: float | None
    stage: str = ""


@dataclass
class Solution:
    status: str  # "optimal" | "feasible" | "infeasible" | "no_solution"
    objective: float
    bound: float
    values: list[float]
    seconds: float

    @property
    def found(self) -> bool:
        """Whether the solver returned a feasible assignment (possibly of zero variables)."""
        return self.status in ("optimal", "feasible")


@dataclass
class Model:
    """Maximisation model: ``add_var`` and ``add_row`` then ``solve``."""

    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    row_entries: list[list[tuple[int, float]]] = field(default_factory=list)
    initial: list[float | None] = field(default_factory=list)

    def add_var(
        self,
        lower: float = 0.0,
        upper: float = INF,
        cost: float = 0.0,
        integer: bool = False,
        initial: float | None = None,
    ) -> int:
        """A column; ``initial`` is its value in a starting solution (used when every column has one)."""
        self.initial.append(initial)
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(self, entries: list[tuple[int, float]], lower: float = -INF, upper: float = INF) -> int:
        self.row_entries.append(entries)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_entries) - 1

    def solve(
        self,
        *,
        time_limit: float,
        rel_gap: float = 1e-7,
        abs_gap: float = 1e-7,
        on_progress: Callable[[Progress], None] | None = None,
        stage: str = "",
        start: list[float] | None = None,
        presolve_rules_off: int = 0,
    ) -> Solution:
        """Maximise with HiGHS; ``start`` is an optional feasible assignment to begin from; ``presolve_rules_off`` is
        HiGHS's ``presolve_rule_off`` bit mask (presolve reductions not to use)."""
        if not self.cost:  # nothing to choose: feasible exactly when every row admits 0
            feasible = all(lo <= 1e-9 and up >= -1e-9 for lo, up in zip(self.row_lower, self.row_upper, strict=True))
            return Solution(
                "optimal" if feasible else "infeasible", 0.0 if feasible else -INF, 0.0 if feasible else -INF, [], 0.0
            )
        highs = _new_highs()
        highs.setOptionValue("time_limit", max(0.1, float(time_limit)))
        highs.setOptionValue("mip_rel_gap", rel_gap)
        highs.setOptionValue("mip_abs_gap", abs_gap)
        highs.setOptionValue("threads", 1)
        if presolve_rules_off:
            highs.setOptionValue("presolve_rule_off", presolve_rules_off)
        lp = highspy.HighsLp()
        n = len(self.cost)
        lp.num_col_ = n
        lp.num_row_ = len(self.row_entries)
        lp.col_cost_ = np.array(self.cost, dtype=np.float64)
        lp.col_lower_ = np.array(self.lower, dtype=np.float64)
        lp.col_upper_ = np.array([u if math.isfinite(u) else highspy.kHighsInf for u in self.upper], dtype=np.float64)
        lp.row_lower_ = np.array(
            [v if math.isfinite(v) else -highspy.kHighsInf for v in self.row_lower], dtype=np.float64
        )
        lp.row_upper_ = np.array(
            [v if math.isfinite(v) else highspy.kHighsInf for v in self.row_upper], dtype=np.float64
        )
        starts, indices, values = [0], [], []
        for entries in self.row_entries:
            for column, coefficient in entries:
                indices.append(column)
                values.append(coefficient)
            starts.append(len(indices))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values, dtype=np.float64)
        lp.sense_ = highspy.ObjSense.kMaximize
        if any(self.integer):
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer
            ]
        highs.passModel(lp)
        if start is None and self.initial:
            known = [float(v) for v in self.initial if v is not None]
            if len(known) == len(self.initial):  # a starting solution only when every column has a value
                start = known
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(start)
            solution.value_valid = True
            highs.setSolution(solution)
        began = time.perf_counter()
        if on_progress is not None:
            last = [0.0]

            def report(
                kind: highspy.cb.HighsCallbackType,
                _message: str,
                data_out: highspy.cb.HighsCallbackOutput,
                _data_in: highspy.cb.HighsCallbackInput,
                _user: object,
            ) -> None:
                now = time.perf_counter() - began
                improving = kind == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
                if not improving and now - last[0] < 0.5:  # the interrupt callback comes often: report twice a second
                    return
                last[0] = now
                incumbent = data_out.objective_function_value
                bound = data_out.mip_dual_bound
                on_progress(
                    Progress(
                        now,
                        incumbent if math.isfinite(incumbent) and abs(incumbent) < 1e300 else None,
                        bound if math.isfinite(bound) and abs(bound) < 1e300 else None,
                        stage,
                    )
                )

            highs.setCallback(report, None)
            highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
            highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
        highs.run()
        seconds = time.perf_counter() - began
        status = highs.getModelStatus()
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status == highspy.HighsModelStatus.kInfeasible:
            return Solution("infeasible", -INF, -INF, [], seconds)
        if not has_solution:
            return Solution("no_solution", -INF, -INF, [], seconds)
        values_out = list(highs.getSolution().col_value)
        # The objective of the values returned, not HiGHS's own figure: after a start solution (setSolution) HiGHS
        # 1.x has been seen to report an objective (and, with it, a bound) above what its returned values reach.
        objective = math.fsum(cost * value for cost, value in zip(self.cost, values_out, strict=True))
        optimal = status == highspy.HighsModelStatus.kOptimal
        bound = info.mip_dual_bound if any(self.integer) else objective
        if not math.isfinite(bound):
            bound = objective
        if optimal:  # proven within the gap tolerances: the bound is no further than they allow
            bound = min(bound, objective + max(abs_gap, rel_gap * abs(objective)))
        return Solution("optimal" if optimal else "feasible", objective, max(bound, objective), values_out, seconds)
