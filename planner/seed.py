"""A greedy starting plan for the counts stage: the solver proves optimality, the seed only lets it start from a
good plan (a hand-written heuristic may seed the solver, never be the answer).

Reach is a sum of concave functions of venue counts, so the marginal gain of a venue only falls as sessions are
added (submodular): a lazy greedy keeps stale gains in a heap and re-evaluates only the top.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from core.calendar import DayType
from planner.instance import Instance

Slot = tuple[str, DayType]


def greedy_counts(
    instance: Instance,
    quotas: dict[Slot, int],
    slot_limit: dict[tuple[int, Slot], int],
    month_limit: dict[tuple[int, str], int],
    total_limit: list[int],
    locked: dict[tuple[int, Slot], int],
) -> dict[tuple[int, Slot], int]:
    """Sessions per venue and slot, filling each slot's quota with the venue of largest marginal reach.

    The limits are the counts model's own (packable dates per slot and month, caps); locked sessions come first.
    """
    parameters = instance.parameters
    groups_of: dict[int, list[int]] = defaultdict(list)
    for g, group in enumerate(instance.groups):
        for v in group.venues:
            groups_of[v].append(g)
    coverage = [0.0] * len(instance.groups)
    counts: dict[tuple[int, Slot], int] = defaultdict(int)
    per_month: dict[tuple[int, str], int] = defaultdict(int)
    totals = [0] * len(instance.venues)
    filled: dict[Slot, int] = defaultdict(int)

    def gain(v: int) -> float:
        draw = instance.venues[v].draw
        return sum(
            instance.groups[g].weight * (parameters.phi(coverage[g] + draw) - parameters.phi(coverage[g]))
            for g in groups_of[v]
        )

    def take(v: int, slot: Slot) -> None:
        counts[(v, slot)] += 1
        per_month[(v, slot[0])] += 1
        totals[v] += 1
        filled[slot] += 1
        for g in groups_of[v]:
            coverage[g] += instance.venues[v].draw

    for (v, slot), n in locked.items():
        for _ in range(n):
            take(v, slot)

    def available(v: int, slot: Slot) -> bool:
        return (
            counts[(v, slot)] < slot_limit.get((v, slot), 0)
            and per_month[(v, slot[0])] < month_limit.get((v, slot[0]), 0)
            and totals[v] < total_limit[v]
        )

    venues_in: dict[Slot, list[int]] = defaultdict(list)
    for (v, slot), limit in slot_limit.items():
        if limit > 0:
            venues_in[slot].append(v)
    # The scarcest slots first: they have the fewest venues to choose from.
    for slot in sorted(quotas, key=lambda s: (len(venues_in[s]), s)):
        heap = [(-gain(v), v) for v in venues_in[slot]]
        heapq.heapify(heap)
        while filled[slot] < quotas[slot] and heap:
            stale, v = heapq.heappop(heap)
            if not available(v, slot):
                continue
            fresh = gain(v)
            if heap and -fresh > heap[0][0] + 1e-12:  # another venue may now be better: look again
                heapq.heappush(heap, (-fresh, v))
                continue
            take(v, slot)
            heapq.heappush(heap, (-gain(v), v))
    return dict(counts)
