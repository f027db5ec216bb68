"""Use cases of the API's bearer tokens: issue, revoke, authenticate, list.

Tokens are about who may use the ledger, not about contributions, but their use cases
are the ledger's like any other: the same store, the same idempotency record, the same
actor metadata on every event, the same ``_run``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from ledger.domain.errors import InvalidValue, NotFound
from ledger.domain.token import (
    TOKENS_LOG_ID,
    Role,
    Token,
    TokenIndexed,
    token_digest,
    token_id,
)
from ledger.usecases.base import Actor, LedgerBase, Result, Saved
from ledger.usecases.lookahead import Ask

#: a recognisable prefix, so a leaked token is easy to spot in logs and scanners
PREFIX = "ldg_"
#: a presented bearer longer than this is not one of ours; no need to hash it
_MAX_SECRET = 128
#: active tokens kept per process
_KEPT_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued. ``secret`` is None when a retry replayed the first issue:
    only the digest is stored, so the secret cannot be shown twice."""

    token_id: UUID
    role: Role
    agency: str
    name: str
    secret: str | None
    result: Result


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidValue(f"role {text!r} is not one of {allowed}", field="role") from None


def parse_token_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidValue(f"token id {text!r} is not a UUID", field="token_id") from None


class TokenCases(LedgerBase):
    # ------------------------------------------------------------ tokens

    def issue_token(
        self,
        *,
        role: str,
        agency: str = "",
        name: str = "",
        actor: Actor,
        key: str | None = None,
    ) -> IssuedToken:
        kind = parse_role(role)
        agency = agency.strip()
        if kind is Role.case_worker and not agency:
            raise InvalidValue(
                "a case worker's token names their agency (医保经办机构代码)", field="agency"
            )
        if kind is not Role.case_worker and agency:
            raise InvalidValue(
                f"an {kind.value} token is not bound to an agency; only a case worker's is",
                field="agency",
            )
        label = name.strip() or (f"{kind.value}@{agency}" if agency else kind.value)
        secret = PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(secret)
        new_id = token_id(digest)

        def work() -> Saved:
            token = Token._create(
                Token.Issued,
                id=new_id,
                digest=digest,
                role=kind.value,
                agency=agency,
                name=label,
                **actor.meta(),
            )
            log = EventSourcedLog(self.events, TOKENS_LOG_ID, TokenIndexed)
            return [token, log.trigger_event(token_id=new_id)]

        payload = {"role": kind.value, "agency": agency, "name": label}
        result = self._run(
            "issue_token", key, payload, actor, work, extra={"token_id": str(new_id)}
        )
        issued = UUID(result["token_id"])
        # A replay (or a concurrent twin with the same key) answers with the first token's id.
        shown = secret if issued == new_id else None
        return IssuedToken(issued, kind, agency, label, shown, result)

    def revoke_token(self, token: str, actor: Actor, key: str | None = None) -> Result:
        tid = parse_token_id(token)

        def work() -> Saved:
            found = self.get_token(tid)
            found.check_active()
            found.trigger_event(Token.Revoked, **actor.meta())
            return [found]

        return self._run("revoke_token", key, {"token_id": str(tid)}, actor, work)

    def authenticate(self, secret: str) -> Token | None:
        """The active token a bearer presents, or None (unknown, malformed or revoked).

        A token found active is kept by its secret, as of its aggregate's version; each
        later use asks the event store whether the token has any event after that version
        (one indexed query, no event decoded) before trusting it. A revocation is an event
        of the token, saved before the command answers: from then on, in this process or
        any other (``ledger serve --workers N``, ``ledger token revoke``), the token is
        refused at its next use.
        """
        if not secret.startswith(PREFIX) or len(secret) > _MAX_SECRET:
            return None
        kept = self.kept_token(secret)
        if kept is not None:
            if self.still_active(kept):
                return kept
            self._active_tokens.pop(secret, None)
        try:
            token: object = self.repository.get(token_id(token_digest(secret)))
        except AggregateNotFoundError:
            return None
        if not isinstance(token, Token) or token.revoked_on is not None:
            return None
        if len(self._active_tokens) >= _KEPT_TOKENS:
            self._active_tokens.clear()  # more holders than a city has: start again
        self._active_tokens[secret] = token
        return token

    def kept_token(self, secret: str) -> Token | None:
        """The token a secret presented before was found active as, if kept (no I/O):
        to be confirmed by ``still_active`` before it is trusted."""
        kept: Token | None = self._active_tokens.get(secret)
        return kept

    def still_active(self, token: Token) -> bool:
        """Whether nothing happened to the token since it was found active (its next
        event could only revoke it)."""
        return not self.lookahead.events(Ask(token.id, token.version, 1))

    def get_token(self, tid: UUID) -> Token:
        try:
            found: object = self.repository.get(tid)
        except AggregateNotFoundError:
            found = None
        # An id is a UUID like any aggregate's: a unit's id must not pass for a token.
        if not isinstance(found, Token):
            raise NotFound(f"no token with id {tid}", field="token_id")
        return found

    def list_tokens(self) -> list[Token]:
        """Every token issued, oldest first, revoked ones included."""
        log = EventSourcedLog(self.events, TOKENS_LOG_ID, TokenIndexed)
        return [self.get_token(entry.token_id) for entry in log.get()]
