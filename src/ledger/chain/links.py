"""The hash chain's arithmetic: pure functions, no I/O.

Every stored event gets a *link*: SHA-256 over the previous link of its chain and
the canonical bytes of the stored record (originator id, version, topic, state:
exactly what the event table holds, so what is verified is what is read back).
A chain starts from a genesis value derived from its name, so a link cannot be
moved from one chain to another without breaking both.

Chains (see :func:`assign`): a unit's events chain in the unit's pooling region,
a region's own events and its units index in that region, and everything else
(policies, tokens, command records, the regions and policies indexes) in the
``global`` chain. A region's chain can then be verified, and its head anchored,
on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from ledger.domain.region import region_units_log_id

__all__ = [
    "GENESIS_PREFIX",
    "GLOBAL",
    "Head",
    "Links",
    "Record",
    "assign",
    "extend",
    "genesis",
    "link",
    "new_members",
    "record_bytes",
]

#: the chain of every event that belongs to no pooling region
GLOBAL = "global"
#: changes if the canonical form ever changes, so old and new links never mix silently
_VERSION = b"ledger-chain-v1"
#: what a chain's name follows in its genesis value
GENESIS_PREFIX = _VERSION + b"\x00genesis\x00"

UNIT_REGISTERED = "ledger.unit.registered"
REGION_REGISTERED = "ledger.region.registered"


@dataclass(frozen=True, slots=True)
class Record:
    """A stored event as the event table holds it."""

    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


def genesis(chain: str) -> bytes:
    """The value the first link of ``chain`` is chained to."""
    return hashlib.sha256(GENESIS_PREFIX + chain.encode()).digest()


def record_bytes(record: Record) -> bytes:
    """Canonical bytes of a stored record: each field length-prefixed, so no two
    different records share a byte string (a topic cannot leak into the state)."""
    oid = record.originator_id
    fields = (
        oid.bytes if isinstance(oid, UUID) else oid.encode(),
        record.originator_version.to_bytes(8, "big", signed=True),
        record.topic.encode(),
        record.state,
    )
    return b"".join(len(f).to_bytes(8, "big") + f for f in fields)


def link(previous: bytes, record: Record) -> bytes:
    """SHA-256(previous link || canonical bytes of the record)."""
    digest = hashlib.sha256(previous)
    digest.update(record_bytes(record))
    return digest.digest()


def assign(records: Sequence[Record], members: Mapping[UUID | str, str]) -> list[str]:
    """The chain of each record, in order.

    ``members`` maps the aggregates registered earlier to their chain (the rows of
    the chain's members table). A unit's or a region's registration in ``records``
    itself names the chain of what follows it; an aggregate belonging to no region
    chains in :data:`GLOBAL`. :func:`new_members` lists the memberships to store.
    """
    known = dict(members)
    known.update(new_members(records))
    return [known.get(r.originator_id, GLOBAL) for r in records]


def new_members(records: Sequence[Record]) -> dict[UUID | str, str]:
    """Aggregates that the registrations among ``records`` put in a region's chain:
    the unit with its region; the region itself and its units index with its code."""
    found: dict[UUID | str, str] = {}
    for record in records:
        if record.topic == UNIT_REGISTERED:
            found[record.originator_id] = _field(record, "region")
        elif record.topic == REGION_REGISTERED:
            code = _field(record, "code")
            found[record.originator_id] = code
            log_id = region_units_log_id(code)
            found[log_id if isinstance(record.originator_id, UUID) else log_id.hex] = code
    return found


def _field(record: Record, name: str) -> str:
    """A field of a registration's stored state (JSON, as the transcoder writes it).

    A store configured with a cipher or a compressor would hide it: refuse loudly
    rather than chain a region's events in the wrong chain."""
    try:
        value = json.loads(record.state)[name]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"hash chain: cannot read {name!r} from the stored {record.topic} event "
            f"of {record.originator_id} (is the event state encrypted or compressed?)"
        ) from exc
    if not isinstance(value, str) or not value:
        raise ValueError(f"hash chain: {record.topic} of {record.originator_id} has no {name}")
    return value


@dataclass(frozen=True, slots=True)
class Head:
    """The last link of a chain: how many links it has, where the last one is, its hash."""

    chain: str
    length: int
    notification_id: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class Links:
    """What a save appends: each record's chain and link, and the new memberships."""

    chains: list[str]
    hashes: list[bytes]
    members: dict[UUID | str, str]

    def heads(self, notification_ids: Sequence[int], before: Mapping[str, Head]) -> list[Head]:
        """Each touched chain's head once these links are stored at ``notification_ids``."""
        return [
            Head(chain, length, notification_ids[index], self.hashes[index])
            for chain, length, index in self.last_of_each_chain(before)
        ]

    def last_of_each_chain(self, before: Mapping[str, Head]) -> list[tuple[str, int, int]]:
        """Each touched chain, its length with these links and the index of its last
        one (whose notification id and hash its head takes)."""
        last: dict[str, int] = {}
        counts: dict[str, int] = {}
        for index, chain in enumerate(self.chains):
            last[chain] = index
            counts[chain] = counts.get(chain, 0) + 1
        return [
            (chain, (before[chain].length if chain in before else 0) + counts[chain], index)
            for chain, index in last.items()
        ]


def extend(
    records: Sequence[Record], members: Mapping[UUID | str, str], heads: Mapping[str, Head]
) -> Links:
    """The links of ``records``, appended in order to the chains whose heads are given
    (a chain without a head starts at its genesis)."""
    chains = assign(records, members)
    current = {chain: head.hash for chain, head in heads.items()}
    hashes = []
    for record, chain in zip(records, chains, strict=True):
        previous = current.get(chain)
        if previous is None:
            previous = genesis(chain)
        current[chain] = value = link(previous, record)
        hashes.append(value)
    return Links(chains, hashes, new_members(records))
