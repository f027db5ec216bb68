"""The hash chain's arithmetic and its walk, without a store."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from ledger.chain import POSTGRES_RECORDER_TOPIC, SQLITE_RECORDER_TOPIC
from ledger.chain.links import GLOBAL, Head, Record, assign, extend, genesis, link, record_bytes
from ledger.chain.postgres import ChainedPostgresRecorder
from ledger.chain.sqlite import ChainedSQLiteRecorder
from ledger.chain.walk import Row, walk
from ledger.domain.region import region_id, region_units_log_id, unit_id
from ledger.settings import Settings

UNIT = unit_id("91150402MA0N1CF000")
REGION = region_id("150400")


def registered_unit(oid: UUID = UNIT, region: str = "150400") -> Record:
    state = json.dumps({"uscc": "91150402MA0N1CF000", "region": region}).encode()
    return Record(oid, 1, "ledger.unit.registered", state)


def assessed(oid: UUID = UNIT, version: int = 2, amount: str = "300.00") -> Record:
    return Record(oid, version, "ledger.unit.period-assessed", f'{{"a":"{amount}"}}'.encode())


def rows_of(records: list[Record], chain: str = "150400") -> tuple[list[Row], dict[str, Head]]:
    """Stored rows of a chain of ``records`` at notification ids 1.., and its head."""
    links = extend(records, {r.originator_id: chain for r in records}, {})
    rows = [
        Row(n, c, h, r.originator_id, r.originator_version, r.topic, r.state)
        for n, (r, c, h) in enumerate(zip(records, links.chains, links.hashes, strict=True), 1)
    ]
    head = Head(chain, len(rows), len(rows), links.hashes[-1])
    return rows, {chain: head}


# ------------------------------------------------------------------ links


def test_a_link_is_sha256_of_the_previous_link_and_the_records_canonical_bytes() -> None:
    record = assessed()

    value = link(b"\x01" * 32, record)

    assert value == hashlib.sha256(b"\x01" * 32 + record_bytes(record)).digest()


@pytest.mark.parametrize(
    "changed",
    [
        Record(uuid4(), 2, "ledger.unit.period-assessed", b'{"a":"300.00"}'),
        Record(UNIT, 3, "ledger.unit.period-assessed", b'{"a":"300.00"}'),
        Record(UNIT, 2, "ledger.unit.payment-collected", b'{"a":"300.00"}'),
        Record(UNIT, 2, "ledger.unit.period-assessed", b'{"a":"300.01"}'),
    ],
    ids=["originator", "version", "topic", "state"],
)
def test_changing_any_field_of_the_stored_record_changes_its_link(changed: Record) -> None:
    assert link(genesis("150400"), changed) != link(genesis("150400"), assessed())


def test_fields_cannot_shift_between_topic_and_state() -> None:
    one = Record(UNIT, 1, "ledger.unit.x", b"y")
    other = Record(UNIT, 1, "ledger.unit.", b"xy")

    assert record_bytes(one) != record_bytes(other)


def test_each_chain_starts_from_its_own_genesis() -> None:
    assert genesis("150400") != genesis("530900") != genesis(GLOBAL)


# ------------------------------------------------------------------ chains


def test_a_units_events_chain_in_the_region_it_registered_in() -> None:
    chains = assign([registered_unit(), assessed()], {})

    assert chains == ["150400", "150400"]


def test_a_unit_registered_earlier_chains_in_its_stored_region() -> None:
    assert assign([assessed()], {UNIT: "530900"}) == ["530900"]


def test_a_region_and_its_units_index_chain_in_the_region_itself() -> None:
    state = json.dumps({"code": "150400", "name": "赤峰市", "parent": "150000"}).encode()
    registered = Record(REGION, 1, "ledger.region.registered", state)
    indexed = Record(region_units_log_id("150400"), 1, "ledger.index.unit", b"{}")

    assert assign([registered, indexed], {}) == ["150400", "150400"]


def test_policies_and_anything_of_no_region_chain_globally() -> None:
    policy = Record(uuid4(), 1, "ledger.policy.enacted", b"{}")

    assert assign([policy], {}) == [GLOBAL]


def test_a_registration_whose_state_cannot_be_read_is_refused() -> None:
    encrypted = Record(UNIT, 1, "ledger.unit.registered", b"\x8f\x00 not json")

    with pytest.raises(ValueError, match="cannot read 'region'"):
        assign([encrypted], {})


def test_a_save_continues_each_chain_from_its_head_and_moves_only_the_heads_it_touched() -> None:
    before = {"150400": Head("150400", 7, 70, b"\x07" * 32)}
    records = [assessed(version=8), Record(uuid4(), 1, "ledger.policy.enacted", b"{}")]

    links = extend(records, {UNIT: "150400"}, before)
    heads = links.heads([71, 72], before)

    assert links.hashes[0] == link(b"\x07" * 32, records[0])
    assert links.hashes[1] == link(genesis(GLOBAL), records[1])
    assert heads == [
        Head("150400", 8, 71, links.hashes[0]),
        Head(GLOBAL, 1, 72, links.hashes[1]),
    ]


def test_the_settings_choose_the_chaining_recorders() -> None:
    sqlite = Settings(database_url="sqlite:///x.db").eventsourcing_env()
    postgres = Settings(database_url="postgresql://u@h/db").eventsourcing_env()

    assert sqlite["APPLICATION_RECORDER_TOPIC"] == get_topic(ChainedSQLiteRecorder)
    assert postgres["APPLICATION_RECORDER_TOPIC"] == get_topic(ChainedPostgresRecorder)
    assert get_topic(ChainedSQLiteRecorder) == SQLITE_RECORDER_TOPIC
    assert get_topic(ChainedPostgresRecorder) == POSTGRES_RECORDER_TOPIC


# ------------------------------------------------------------------ the walk


def history() -> list[Record]:
    return [registered_unit(), *(assessed(version=v, amount=f"{v}00.00") for v in range(2, 6))]


def test_an_untouched_chain_verifies_every_link() -> None:
    rows, heads = rows_of(history())

    report = walk(rows, heads)

    assert report.intact
    assert report.verified == {"150400": 5}


def test_an_altered_state_is_named_with_its_recorded_and_recomputed_links() -> None:
    rows, heads = rows_of(history())
    rows[2] = rows[2]._replace(state=b'{"a":"1.00"}')

    report = walk(rows, heads)

    [broken] = report.breaks
    assert (broken.chain, broken.notification_id, broken.originator_version) == ("150400", 3, 3)
    assert broken.expected == bytes(rows[2].link or b"").hex()
    assert broken.found != broken.expected
    assert report.verified == {"150400": 2}


def test_a_deleted_event_is_named_by_the_link_left_behind() -> None:
    rows, heads = rows_of(history())
    rows[3] = rows[3]._replace(originator_id=None, originator_version=None, topic=None, state=None)

    [broken] = walk(rows, heads).breaks

    assert broken.notification_id == 4
    assert "no longer stored" in broken.problem


def test_two_swapped_events_break_at_the_first_of_them() -> None:
    rows, heads = rows_of(history())
    one, two = rows[1], rows[2]
    rows[1] = one._replace(originator_version=two.originator_version, state=two.state)
    rows[2] = two._replace(originator_version=one.originator_version, state=one.state)

    [broken] = walk(rows, heads).breaks

    assert broken.notification_id == 2


def test_an_event_written_around_the_chain_is_reported() -> None:
    rows, heads = rows_of(history())
    stray = Row(6, None, None, UNIT, 6, "ledger.unit.period-assessed", b"{}")

    report = walk([*rows, stray], heads)

    assert report.unchained == 1
    assert [b.notification_id for b in report.breaks] == [6]


def test_links_removed_from_the_end_do_not_match_the_stored_head() -> None:
    rows, heads = rows_of(history())

    [broken] = walk(rows[:-1], heads).breaks

    assert "does not end at its stored head" in broken.problem


def test_a_chain_rewritten_from_the_start_passes_alone_but_not_against_an_anchored_head() -> None:
    _, heads = rows_of(history())
    forged = [registered_unit(), *(assessed(version=v, amount="1.00") for v in range(2, 6))]
    forged_rows, forged_heads = rows_of(forged)

    assert walk(forged_rows, forged_heads).intact
    [broken] = walk(forged_rows, forged_heads, anchors=heads).breaks
    assert "anchored head" in broken.problem


def test_one_chain_can_be_verified_alone() -> None:
    rows, heads = rows_of(history())
    other, other_heads = rows_of([Record(uuid4(), 1, "ledger.policy.enacted", b"{}")], GLOBAL)
    other[0] = other[0]._replace(notification_id=99, state=b"tampered")

    report = walk([*rows, *other], {**heads, **other_heads}, only="150400")

    assert report.intact
    assert report.verified == {"150400": 5}
