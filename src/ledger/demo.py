"""Worked examples from the seeds, run through the use cases on a fresh store.

Each scenario records facts in the order they happened, enacting each policy on
the day it was issued, so the retroactive decisions (Chifeng, Lincang) and the
split of an already-made July assessment (Inner Mongolia) show up as they would
in production. Figures are chosen so they can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.domain.errors import LedgerError
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.latefee import days_overdue, late_fee
from ledger.domain.money import format_money
from ledger.domain.period import Period, PeriodRange


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def make_resident_id(region: str, birth: str, seq: int) -> str:
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + resident_id_check_char(first17)


@dataclass
class Story:
    """What the demo tells the reader, and which units to show after each scenario."""

    say: Callable[[str], None]
    show: Callable[[str], None]


class Demo:
    def __init__(self, ledger: Ledger, story: Story) -> None:
        self.ledger = ledger
        self.story = story
        self.catalogue: dict[str, CatalogueFile] = {
            f.document.id: f for f in load_default_catalogue()
        }

    def actor(self, reason: str) -> Actor:
        return Actor("demo:case-worker", reason, "demo")

    def enact(self, document_id: str) -> None:
        file = self.catalogue[document_id]
        result = self.ledger.enact_policy(file, self.actor(f"enact {file.document.number}"))
        decided = [
            e["type"] for e in result["events"] if e["type"] not in ("Enacted", "PolicyIndexed")
        ]
        self.story.say(
            f"enacted {file.document.number} (dated {file.document.enacted_on})"
            + (f": {len(decided)} decisions recorded retroactively" if decided else "")
        )

    def enact_working_calendars(self) -> None:
        """The State Council's holiday notices, one a year: one line for them all."""
        years = []
        for file in self.catalogue.values():
            if file.working_calendar is not None:
                self.ledger.enact_policy(file, self.actor(f"enact {file.document.number}"))
                years.append(file.working_calendar.year)
        self.story.say(
            f"enacted the State Council's holiday notices for {min(years)}-{max(years)} "
            "(working days for review deadlines)"
        )

    def refused(self, what: str, command: Callable[[], object]) -> None:
        try:
            command()
        except LedgerError as exc:
            self.story.say(f"refused, as it should be: {what}: {exc.message}")
        else:  # pragma: no cover - the demo's own check
            raise AssertionError(f"{what} was not refused")

    def unit(
        self,
        uscc: str,
        name: str,
        region: str,
        persons: list[tuple[str, str]],
        established: date,
        unit_type: str = "enterprise",
    ) -> None:
        a = self.actor("register")
        self.ledger.register_unit(
            uscc=uscc,
            name=name,
            unit_type=unit_type,
            region=region,
            agency=region[:4] + "01",
            unit_number=uscc[-6:],
            established_on=established,
            actor=a,
        )
        for rid, base in persons:
            self.ledger.join_person(uscc, rid, base, established, a)

    # --------------------------------------------------------------- scenarios

    def run(self) -> None:
        for document_id in ("locality", "national-late-fee"):
            self.enact(document_id)
        self.enact_working_calendars()
        self.chifeng_2020()
        self.lincang_2020()
        self.inner_mongolia_2022()
        self.jinan_2022()

    def chifeng_2020(self) -> None:
        """赤医保发〔2020〕3号: half of the 6% medical share, Feb overpayment held as credit."""
        self.story.say(
            "\n[bold]1. Chifeng 2020: reduction of the 6% share, credit carried forward[/]"
        )
        led, a = self.ledger, self.actor("monthly assessment")
        led.register_region("150400", "赤峰市", "150000", a)
        uscc = make_uscc("91150402MA0N1CF00")
        persons = [
            (make_resident_id("150402", "19800101", n), b)
            for n, b in ((1, "5000.00"), (2, "6000.00"), (3, "4000.00"))
        ]
        self.unit(uscc, "赤峰市红山区示例商贸有限公司", "150400", persons, date(2012, 5, 1))
        self.story.say("bases 15,000.00 a month; rates 6% medical + 1% maternity + 2% individual")
        led.assess(uscc, Period(2020, 2), date(2020, 3, 2), a)
        led.collect_payment(uscc, date(2020, 3, 10), "1350.00", a)
        self.story.say("Feb assessed 1,350.00 (900.00 + 150.00 + 300.00) and paid on 2020-03-10")
        self.enact("chifeng-2020-3")
        self.story.say(
            "-> Feb medical share halved: 450.00 reduced, 450.00 held as credit (待转基金)"
        )
        led.assess(uscc, Period(2020, 3), date(2020, 4, 1), a)
        self.story.say(
            "Mar assessed: 450.00 reduced, the 450.00 credit offsets it (冲减下个月的缴费)"
        )
        led.collect_payment(uscc, date(2020, 4, 10), "450.00", a)
        led.assess(uscc, Period(2020, 5), date(2020, 6, 1), a)
        self.story.say("May is outside 2020-02..04: assessed in full, 1,350.00")
        self.story.show(uscc)

    def lincang_2020(self) -> None:
        """临医保联发〔2020〕14号: refund without application, deferral on application."""
        self.story.say("\n[bold]2. Lincang 2020: automatic refund and a deferral on application[/]")
        led, a = self.ledger, self.actor("monthly assessment")
        led.register_region("530900", "临沧市", "530000", a)
        uscc = make_uscc("91530902MA6K1LC00")
        persons = [
            (make_resident_id("530902", "19850615", n), b)
            for n, b in ((1, "4000.00"), (2, "6000.00"))
        ]
        self.unit(uscc, "临沧市临翔区示例茶业有限公司", "530900", persons, date(2016, 3, 1))
        for month, paid in ((2, date(2020, 3, 5)), (3, date(2020, 3, 12))):
            led.assess(uscc, Period(2020, month), date(2020, month + 1, 1), a)
            led.collect_payment(uscc, paid, "1000.00", a)
        self.story.say(
            "Feb and Mar assessed 1,000.00 each (800.00 unit at 8%, 200.00 individual), paid"
        )
        self.enact("lincang-2020-14")
        self.story.say("-> unit part halved for Feb and Mar: 400.00 each refunded, no application")
        self.refused(
            "a 7-month deferral 2020-05..2020-11",
            lambda: led.apply_for_deferral(
                uscc,
                PeriodRange.parse("2020-05..2020-11"),
                date(2020, 5, 6),
                ["书面申请", "资产负债表"],
                a,
            ),
        )
        led.apply_for_deferral(
            uscc,
            PeriodRange.parse("2020-05..2020-10"),
            date(2020, 5, 6),
            ["书面申请", "资产负债表"],
            a,
        )
        self.story.say("deferral 2020-05..2020-10 filed and granted (备案), repay by 2020-11-30")
        for month in (5, 6):
            led.assess(uscc, Period(2020, month), date(2020, month + 1, 1), a)
        self.story.say(
            "May and Jun assessed and deferred whole (视同缴费; no personal-account credit)"
        )
        self.story.show(uscc)

    def inner_mongolia_2022(self) -> None:
        """内医保办发〔2022〕19号 (Wuhai): split, shift, resignation, late repayment."""
        self.story.say(
            "\n[bold]3. Wuhai 2022: automatic deferral, a resignation, a late repayment[/]"
        )
        led, a = self.ledger, self.actor("2022 deferral")
        led.register_region("150300", "乌海市", "150000", a)
        led.declare_fund_months("150300", 10, date(2022, 7, 1), a)
        small = make_uscc("91150302MA0Q1WH00")
        stay = [(make_resident_id("150302", "19900101", n), "5000.00") for n in range(1, 21)]
        leaver = make_resident_id("150302", "19920202", 99)
        self.unit(
            small,
            "乌海市示例零售有限公司",
            "150300",
            [*stay, (leaver, "6000.00")],
            date(2018, 1, 1),
        )
        led.classify_unit(
            small,
            industry="retail",
            employees=21,
            revenue=Decimal("800"),
            classified_on=date(2022, 7, 20),
            actor=a,
        )
        paid_july = make_uscc("92150302MA0Q2WH00")
        self.unit(
            paid_july,
            "乌海市示例餐饮店",
            "150300",
            [(make_resident_id("150302", "19880808", 1), "5000.00")],
            date(2019, 1, 1),
            unit_type="individual_business",
        )
        led.classify_unit(
            paid_july,
            industry="lodging_catering",
            size_class="micro",
            classified_on=date(2022, 7, 20),
            actor=a,
        )
        for uscc in (small, paid_july):
            led.assess(uscc, Period(2022, 7), date(2022, 7, 5), a)
        led.collect_payment(paid_july, date(2022, 7, 20), "450.00", a)
        self.story.say(
            "21 persons, bases 106,000.00: unit part 7,420.00 a month at 7%; July assessed;"
            " the individual business paid its July in full"
        )
        self.enact("national-2022-21")
        self.enact("inner-mongolia-2022-19")
        self.story.say(
            "-> the retailer: deferral 2022-07..09 granted, July split (unit part deferred);"
            " the individual business: window shifted to 2022-08..10"
        )
        july = Period(2022, 7)
        led.collect_payment(
            small, date(2022, 8, 10), "2120.00", a, items=[(july, "individual", "2120.00")]
        )
        for month in (8, 9):
            led.assess(small, Period(2022, month), date(2022, month, 5), a)
            led.collect_payment(
                small,
                date(2022, month + 1, 10),
                "2120.00",
                a,
                items=[(Period(2022, month), "individual", "2120.00")],
            )
        self.story.say("individual parts (2,120.00 a month) withheld and paid on time")
        led.person_left(small, leaver, "resignation", date(2022, 10, 20), a)
        self.story.say(
            "-> a resignation on 2022-10-20 calls due that person's deferred unit part:"
            " 6,000.00 x 7% x 3 = 1,260.00"
        )
        led.collect_payment(small, date(2022, 10, 25), "1260.00", a)
        remaining = self.ledger.unit(small).deferred_open()
        paid_on, deadline = date(2023, 7, 31), date(2023, 6, 30)
        led.collect_payment(small, paid_on, format_money(remaining), a)
        fee = late_fee(remaining, deadline, paid_on, Decimal("0.0005"))
        self.story.say(
            f"the remaining {format_money(remaining)} repaid on {paid_on}, after the 2023-06-30 "
            f"deadline: {days_overdue(deadline, paid_on)} days x 0.05% = late fee "
            f"{format_money(fee)} (computed by the read side; not a stored decision)"
        )
        self.story.show(small)
        self.story.show(paid_july)

    def jinan_2022(self) -> None:
        """济医保发〔2022〕12号: the written commitment, then deregistration."""
        self.story.say("\n[bold]4. Jinan 2022: a written commitment, then deregistration[/]")
        led, a = self.ledger, self.actor("commitment")
        self.enact("jinan-2022-12")
        led.register_region("370100", "济南市", "370000", a)
        led.declare_fund_months("370100", 8, date(2022, 7, 1), a)
        uscc = make_uscc("91370102MA3C1JN00")
        persons = [(make_resident_id("370102", "19870303", n), "8000.00") for n in (1, 2)]
        self.unit(uscc, "济南市历下区示例科技有限公司", "370100", persons, date(2020, 6, 1))
        for month in (8, 9):
            led.assess(uscc, Period(2022, month), date(2022, month, 5), a)
        aug, sep, oct_, nov = (Period(2022, m) for m in (8, 9, 10, 11))
        self.refused(
            "months 2022-08 and 2022-10",
            lambda: led.file_commitment(uscc, [aug, oct_], date(2022, 9, 30), a),
        )
        self.refused(
            "months 2022-10..2022-11",
            lambda: led.file_commitment(uscc, [oct_, nov], date(2022, 9, 30), a),
        )
        led.file_commitment(uscc, [aug, sep, oct_], date(2022, 9, 30), a)
        self.story.say(
            "commitment for 2022-08..10 filed on 2022-09-30: review due 2022-10-10"
            " (3 working days; 10-01..07 holidays, 10-08/09 worked)"
        )
        led.review_commitment(uscc, True, date(2022, 10, 10), a)
        self.story.say(
            "-> accepted: deferral granted, Aug and Sep unit parts split (1,440.00 each)"
        )
        led.assess(uscc, oct_, date(2022, 10, 8), a)
        led.request_deregistration(uscc, date(2022, 11, 15), a)
        self.story.say("-> deregistration requested: all 4,320.00 deferred called due at once")
        self.refused(
            "completing the deregistration",
            lambda: led.complete_deregistration(uscc, date(2022, 11, 16), a),
        )
        outstanding = sum((i.outstanding for i in led.unit(uscc).items.values()), Decimal("0"))
        led.collect_payment(uscc, date(2022, 11, 20), format_money(outstanding), a)
        led.complete_deregistration(uscc, date(2022, 11, 21), a)
        self.story.say(f"paid {format_money(outstanding)}; deregistration completed on 2022-11-21")
        self.story.show(uscc)
