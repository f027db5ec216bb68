"""Domain errors: every refusal names the rule and the figures.

The API maps these to RFC 9457 problem details and the CLI to a message and a
non-zero exit; nothing is written when one is raised.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    #: a stable machine-readable slug, used as the problem type
    code = "ledger-error"

    def __init__(self, message: str, *, rule: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field


class InvalidValue(LedgerError, ValueError):
    """Input that is not a valid value: a bad period, amount or identifier."""

    code = "invalid-value"


class InvalidIdentifier(InvalidValue):
    """An identifier whose form or check character is wrong."""

    code = "invalid-identifier"


class RuleViolation(LedgerError):
    """A command that a rule of a policy or of law forbids."""

    code = "rule-violation"


class NotFound(LedgerError):
    """A unit, region, person or policy the command names does not exist."""

    code = "not-found"


class Conflict(LedgerError):
    """The command contradicts what is already recorded."""

    code = "conflict"


class CatalogueError(LedgerError):
    """A policy catalogue file that does not validate; names the file and the field."""

    code = "catalogue-error"


class Unavailable(LedgerError):
    """The store cannot be reached: nothing was written; the command may be retried."""

    code = "store-unavailable"


class HistoryDamaged(LedgerError):
    """A unit whose stored history the views could not read whole (an event that cannot
    be decoded, or one missing between two versions): its figures are withheld, every
    other unit's are not. Retrying does not help; repairing the event store does."""

    code = "history-damaged"


class Contention(Unavailable):
    """Other commands saved first on every attempt: nothing was written, and unlike a
    ``Conflict`` the same command may well succeed when tried again a moment later."""

    code = "contention"
