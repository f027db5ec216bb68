"""A synthetic pooling region: its units and one month of assessment lines.

Deterministic (same seed, same files, byte for byte), with valid USCCs and
resident IDs (right check characters), so every line imports. Unit sizes are
skewed like a real city's: most units have a handful of persons, a few have up
to 200; 300,000 units give about 5 million person-lines (mean ~17).

    python benchmarks/generate.py --units 300000 --out /tmp/region

writes ``units.csv`` (the registrations) and ``assessments-2024-05.csv``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ledger.domain.identifiers import parse_resident_id, uscc_check_char

REGION = "150400"  # Chifeng (赤峰市): rates 6% + 1% + 2% in the packaged catalogue
REGION_NAME = "赤峰市"
AGENCY = "150400001"
PERIOD = "2024-05"
#: county-level codes of Chifeng: the first six characters of its people's IDs
AREAS = ("150402", "150403", "150404", "150421", "150422", "150423", "150424", "150425")
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_BIRTH_DAYS = 16_000  # birth dates spread over ~44 years from 1960-01-01
_FIRST_BIRTH = date(1960, 1, 1)
MAX_PERSONS = 200
# log-normal persons per unit, cut to 1..200: mu and sigma chosen for a mean of ~16.7
_MU, _SIGMA = 2.12, 1.2


@dataclass(frozen=True, slots=True)
class SyntheticUnit:
    uscc: str
    name: str
    unit_type: str
    established_on: date
    persons: int


def uscc_of(index: int) -> str:
    """A unique, valid USCC per index: '91' + district + 9 base-31 digits + check."""
    body = []
    n = index
    for _ in range(9):
        n, digit = divmod(n, 31)
        body.append(_ALPHABET[digit])
    first17 = "91" + AREAS[index % len(AREAS)] + "".join(reversed(body))
    return first17 + uscc_check_char(first17)


# The generator's cost is per person, so everything per-day or per-area is done once:
# the GB 11643 weighted sum splits into area, birth-date and sequence parts.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


_BIRTHS = [f"{_FIRST_BIRTH + timedelta(days=d):%Y%m%d}" for d in range(_BIRTH_DAYS)]
_BIRTH_SUMS = [_weighted(b, _WEIGHTS[6:14]) for b in _BIRTHS]
_AREA_SUMS = [_weighted(a, _WEIGHTS[:6]) for a in AREAS]
_SEQS = [f"{s:03d}" for s in range(1000)]
_SEQ_SUMS = [_weighted(s, _WEIGHTS[14:]) for s in _SEQS]


def resident_id_of(person: int) -> str:
    """A unique, valid resident ID per person index (area, birth date, sequence, check)."""
    rest, seq = divmod(person, 999)
    rest, day = divmod(rest, _BIRTH_DAYS)
    area = rest % len(AREAS)
    check = _CHECK[(_AREA_SUMS[area] + _BIRTH_SUMS[day] + _SEQ_SUMS[seq + 1]) % 11]
    return f"{AREAS[area]}{_BIRTHS[day]}{_SEQS[seq + 1]}{check}"


def units(count: int, seed: int) -> Iterator[SyntheticUnit]:
    rng = random.Random(seed)
    for index in range(count):
        persons = min(MAX_PERSONS, max(1, round(rng.lognormvariate(_MU, _SIGMA))))
        kind = "individual_business" if rng.random() < 0.15 else "enterprise"
        established = date(2000, 1, 1) + timedelta(days=rng.randrange(8000))
        yield SyntheticUnit(uscc_of(index), f"单位{index:06d}", kind, established, persons)


def base_text(rng: random.Random) -> str:
    """A contribution base in yuan: a third at the floor, the rest spread to the ceiling."""
    u = rng.random()
    if u < 0.33:
        return "4350.00"
    fen = 435_000 + int((u - 0.33) * 2_597_014)  # up to 21,750.00: 5 x the floor
    return f"{fen // 100}.{fen % 100:02d}"


def write(out: Path, count: int, seed: int) -> tuple[Path, Path, int]:
    """Writes both files; returns their paths and the number of person-lines."""
    # The fast check-character arithmetic above must agree with the ledger's parser.
    for person in range(0, 5_000_000, 9_973):
        parse_resident_id(resident_id_of(person))
    out.mkdir(parents=True, exist_ok=True)
    units_path = out / "units.csv"
    lines_path = out / f"assessments-{PERIOD}.csv"
    rng = random.Random(seed + 1)
    person = 0
    with (
        units_path.open("w", encoding="utf-8", newline="") as reg,
        lines_path.open("w", encoding="utf-8", newline="") as ass,
    ):
        reg.write("uscc,name,unit_type,region,agency,unit_number,established_on\n")
        ass.write("uscc,period,resident_id,base\n")
        buffer: list[str] = []
        for index, unit in enumerate(units(count, seed)):
            reg.write(
                f"{unit.uscc},{unit.name},{unit.unit_type},{REGION},{AGENCY},"
                f"U{index:07d},{unit.established_on.isoformat()}\n"
            )
            for _ in range(unit.persons):
                buffer.append(f"{unit.uscc},{PERIOD},{resident_id_of(person)},{base_text(rng)}\n")
                person += 1
            if len(buffer) > 50_000:
                ass.write("".join(buffer))
                buffer.clear()
        ass.write("".join(buffer))
    return units_path, lines_path, person


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000, help="units in the region")
    parser.add_argument("--seed", type=int, default=20240501, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data"), help="directory")
    args = parser.parse_args(argv)
    units_path, lines_path, lines = write(args.out, args.units, args.seed)
    sys.stdout.write(f"{units_path}: {args.units} units\n{lines_path}: {lines} person-lines\n")


if __name__ == "__main__":
    main()
