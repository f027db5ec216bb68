"""A person's month from the declared base: the base assessed and the three parts, as
an assessment's line stores them, remembered per set of rules.

An import of a city's month computes millions of lines, and many persons share a base
(the floor, the ceiling, round figures: a third of the benchmark's persons are at the
floor). A line depends on nothing but the declared base as written and the rules in
force (rates, base limits, fixed amounts), so the same base under the same rules is
computed once, by the same arithmetic (``apply_rate``: the one rounding), and its
result reused. The key is the base's text and the rules' figures as text: two
Decimals that are equal but written differently ("4350" and "4350.00") are kept
apart, because a line stores them as written. The assessment's fold stays the
reference: ``tests/properties/test_person_parts.py`` checks the table against it.
"""

from __future__ import annotations

import operator
from decimal import Decimal

from ledger.catalogue.model import BaseLimitRule, RateRule
from ledger.domain.money import FEN, apply_rate

__all__ = ["BASES_KEPT", "Parts", "PartsTable", "table_for"]

Parts = tuple[tuple[str, ...], Decimal, Decimal, Decimal]
"""(the line's stored texts after the resident ID: base, the three parts and, where the
limits changed it, the declared base; then the three parts as Decimals)."""

#: distinct bases kept per set of rules, the first ones met (the floor and the common
#: figures come early): past it, a base is computed every time, as before. Small on
#: purpose: 16,384 kept every rarely-met base too and was slower than 512 (the import's
#: "decide and record" 5.0-5.3 us a line against 4.6-5.1, busy machine)
BASES_KEPT = 512
#: sets of rules kept at once, past which all are forgotten
RULES_KEPT = 32


class PartsTable:
    """Lines' parts under one set of rules, by the declared base as written."""

    __slots__ = ("adds_fixed", "fixed", "known", "limits", "rates")

    def __init__(
        self, rates: RateRule, limits: BaseLimitRule | None, fixed: tuple[Decimal, ...]
    ) -> None:
        self.rates = rates
        self.limits = limits
        self.fixed = fixed
        self.known: dict[str, Parts] = {}
        #: whether adding the fixed amounts can change a part: not when all are zero to
        #: the fen or coarser (a part is already to the fen, so ``part + 0.00`` is the
        #: part, digits and exponent alike), three Decimal additions a line saved
        self.adds_fixed = any(amount or _exponent(amount) < _exponent(FEN) for amount in fixed)

    def compute(self, declared: Decimal, text: str) -> Parts:
        """The parts of ``declared`` (whose ``str`` is ``text``), remembered while room lasts.

        The assessed base is the declared one held within the period's floor and ceiling
        (never refused); the line keeps the declared one where they differ.
        """
        rates, limits = self.rates, self.limits
        fixed_um, fixed_mat, fixed_ind = self.fixed
        base = declared if limits is None else limits.hold(declared)
        um: Decimal = apply_rate(base, rates.unit_medical)
        mat: Decimal = apply_rate(base, rates.unit_maternity)
        ind: Decimal = apply_rate(base, rates.individual)
        if self.adds_fixed:
            um, mat, ind = um + fixed_um, mat + fixed_mat, ind + fixed_ind
        texts: tuple[str, ...] = (str(base), str(um), str(mat), str(ind))
        if base != declared:
            texts = (*texts, text)
        parts = (texts, um, mat, ind)
        if len(self.known) < BASES_KEPT:
            self.known[text] = parts
        return parts


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0  # "n", "N", "F": not finite


_tables: dict[tuple[str, ...], PartsTable] = {}
#: the same tables by the objects asked with (a policy set hands out the same rule and
#: amount objects for a region's month: one look-up per assessment, no text to build);
#: each entry holds its objects, so their ids cannot be taken by others while it stands
_by_objects: dict[tuple[int, ...], tuple[tuple[object, ...], PartsTable]] = {}


def table_for(
    rates: RateRule, limits: BaseLimitRule | None, fixed: tuple[Decimal, Decimal, Decimal]
) -> PartsTable:
    """The table of these rules (the same figures: the same table, in any ledger of the
    process, since a line depends on the figures alone)."""
    objects = (rates, limits, *fixed)
    ids = tuple(map(id, objects))
    entry = _by_objects.get(ids)
    if entry is not None and all(map(operator.is_, entry[0], objects)):
        return entry[1]
    key = (
        str(rates.unit_medical),
        str(rates.unit_maternity),
        str(rates.individual),
        "" if limits is None else str(limits.floor),
        "" if limits is None else str(limits.ceiling),
        *(str(amount) for amount in fixed),
    )
    table = _tables.get(key)
    if table is None:
        if len(_tables) >= RULES_KEPT or len(_by_objects) >= RULES_KEPT:
            _tables.clear()
            _by_objects.clear()
        table = _tables[key] = PartsTable(rates, limits, fixed)
    _by_objects[ids] = (objects, table)
    return table
