"""The chained save as one PL/pgSQL function: a save is one statement, one round trip.

``ChainedPostgresRecorder.insert_events`` calls it with the save's events as arrays;
in the statement's own transaction (the connection is in autocommit) it does what
``ledger.chain.links`` and ``ledger.chain.sqlite`` do in Python:

1. the library's save: the lock timeout for this transaction, the event table's
   EXCLUSIVE lock (notification ids in commit order), the NOTIFY the views wake on;
2. each event's chain (``links.assign``): the one its registration in this save gives
   it (passed in: the registrations' states are read in Python), else the one its
   aggregate was registered in (the members table), else ``global``;
3. the heads of those chains, locked ``FOR UPDATE`` in chain order;
4. each event's link, SHA-256 over the previous link of its chain and the record's
   canonical bytes, byte for byte as ``links.link`` and ``links.record_bytes`` make
   them (a chain without a head starts at ``links.genesis``);
5. the events, their links, the moved heads and the new members inserted in one
   statement, the notification ids returned in the events' order.

Done in Python the save was three statements in two round trips of psycopg's pipeline,
a third of the server's interpreter time under steady payments; as one call it costs
the client about half as much CPU, PostgreSQL a little more (issue 11.2, ninth pass:
``docs/api-load.md``). Every verification still recomputes the links in Python
(``ledger.chain.verify``), so a link this function made differently would be found
by the chain's tests on PostgreSQL.

The function is created with the recorder's tables and never replaced: a body that
changes takes a new name (``FUNCTION``'s version), so servers of two releases side by
side each call their own, and servers starting together do not race to replace it
("tuple concurrently updated").
"""

from __future__ import annotations

from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.chain.links import GENESIS_PREFIX
from ledger.pgsql import dollar_tag

__all__ = ["FUNCTION", "create_function", "function_name"]

#: the function's name; its version changes with its body
FUNCTION = "ledger_chained_insert_v1"


def function_name(schema: str) -> Composed:
    """The schema's function."""
    return SQL("{}.{}").format(Identifier(schema), Identifier(FUNCTION))


def create_function(
    schema: str,
    channel: str,
    *,
    events: Composed,
    links: Composed,
    heads: Composed,
    members: Composed,
) -> Composed:
    """A statement creating the function unless it exists, over the schema's tables."""
    names = (schema, channel, *(t.as_string() for t in (events, links, heads, members)))
    fn, create = (dollar_tag(word, names) for word in ("fn", "create"))
    body = SQL(
        "CREATE FUNCTION {function}(p_ids uuid[], p_versions bigint[], p_topics text[], "
        "p_states bytea[], p_given text[], p_member_ids uuid[], p_member_chains text[], "
        "p_timeout text) RETURNS SETOF bigint LANGUAGE plpgsql AS {fn} DECLARE "
        "v_chains text[]; v_hashes bytea[] := ARRAY[]::bytea[]; "
        # the chains touched: name, last link so far, length, index of its last event
        "v_names text[] := ARRAY[]::text[]; v_tips bytea[] := ARRAY[]::bytea[]; "
        "v_lengths bigint[] := ARRAY[]::bigint[]; v_lasts int[] := ARRAY[]::int[]; "
        "v_k int; v_topic bytea; v_head record; "
        "BEGIN "
        "PERFORM set_config('lock_timeout', p_timeout, true); "
        "LOCK TABLE {events} IN EXCLUSIVE MODE; "
        "NOTIFY {channel}; "
        "SELECT array_agg(COALESCE(g.c, m.chain, 'global') ORDER BY g.n) INTO v_chains "
        "FROM unnest(p_given, p_ids) WITH ORDINALITY AS g(c, oid, n) "
        "LEFT JOIN {members} m ON m.originator_id = g.oid; "
        "FOR v_head IN SELECT h.chain, h.length, h.hash FROM {heads} h "
        "WHERE h.chain = ANY(v_chains) ORDER BY h.chain FOR UPDATE LOOP "
        "v_names := array_append(v_names, v_head.chain); "
        "v_tips := array_append(v_tips, v_head.hash); "
        "v_lengths := array_append(v_lengths, v_head.length); "
        "v_lasts := array_append(v_lasts, NULL::int); "
        "END LOOP; "
        "FOR i IN 1 .. cardinality(p_ids) LOOP "
        "v_k := array_position(v_names, v_chains[i]); "
        "IF v_k IS NULL THEN "
        "v_names := array_append(v_names, v_chains[i]); "
        "v_tips := array_append(v_tips, "
        "sha256(decode({genesis}, 'hex') || convert_to(v_chains[i], 'UTF8'))); "
        "v_lengths := array_append(v_lengths, 0::bigint); "
        "v_lasts := array_append(v_lasts, NULL::int); "
        "v_k := cardinality(v_names); "
        "END IF; "
        "v_topic := convert_to(p_topics[i], 'UTF8'); "
        "v_tips[v_k] := sha256(v_tips[v_k] || int8send(16) || uuid_send(p_ids[i]) "
        "|| int8send(8) || int8send(p_versions[i]) "
        "|| int8send(octet_length(v_topic)) || v_topic "
        "|| int8send(octet_length(p_states[i])) || p_states[i]); "
        "v_lengths[v_k] := v_lengths[v_k] + 1; "
        "v_lasts[v_k] := i; "
        "v_hashes := array_append(v_hashes, v_tips[v_k]); "
        "END LOOP; "
        # each event's notification id joined back by (originator id, version), so each
        # link and head gets its own event's; the links' insert last, in the events'
        # order: its RETURNING is the function's answer
        "RETURN QUERY WITH e AS (SELECT * FROM unnest(p_ids, p_versions, p_topics, "
        "p_states, v_chains, v_hashes) WITH ORDINALITY AS e(oid, version, topic, state, "
        "chain, hash, n)"
        "), ins AS (INSERT INTO {events} AS ev (originator_id, originator_version, topic, "
        "state) SELECT e.oid, e.version, e.topic, e.state FROM e ORDER BY e.n "
        "RETURNING ev.notification_id, ev.originator_id, ev.originator_version"
        "), linked AS (SELECT ins.notification_id, e.chain, e.hash, e.n FROM ins JOIN e "
        "ON ins.originator_id = e.oid AND ins.originator_version = e.version"
        "), moved AS (INSERT INTO {heads} AS h (chain, length, notification_id, hash) "
        "SELECT c.chain, c.length, linked.notification_id, linked.hash "
        "FROM unnest(v_names, v_lengths, v_lasts) AS c(chain, length, n) "
        "JOIN linked ON linked.n = c.n "
        "ON CONFLICT (chain) DO UPDATE SET length = excluded.length, "
        "notification_id = excluded.notification_id, hash = excluded.hash"
        "), joined AS (INSERT INTO {members} AS m (originator_id, chain) "
        "SELECT * FROM unnest(p_member_ids, p_member_chains) "
        "ON CONFLICT (originator_id) DO NOTHING"
        ") INSERT INTO {links} AS l (notification_id, chain, hash) "
        "SELECT linked.notification_id, linked.chain, linked.hash FROM linked "
        "ORDER BY linked.n RETURNING l.notification_id; "
        "END {fn}"
    ).format(
        function=function_name(schema),
        events=events,
        channel=Identifier(channel),
        members=members,
        heads=heads,
        links=links,
        genesis=Literal(GENESIS_PREFIX.hex()),
        fn=SQL(fn),
    )
    # created once, when missing; another process creating it meanwhile is no error
    return SQL(
        "DO {create} BEGIN IF NOT EXISTS (SELECT FROM pg_proc p JOIN pg_namespace s "
        "ON s.oid = p.pronamespace WHERE s.nspname = {schema} AND p.proname = {name}) "
        "THEN {body}; END IF; "
        "EXCEPTION WHEN duplicate_function OR unique_violation THEN NULL; END {create}"
    ).format(schema=Literal(schema), name=Literal(FUNCTION), body=body, create=SQL(create))
