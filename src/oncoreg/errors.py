"""One exception hierarchy for everything oncoreg reports to a person.

Every error carries what the user needs to act: where (file, row, field), which rule,
and a hint on how to fix it. Messages never contain a patient's personal data; callers
pass field names and codes, not row values that could identify someone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with one piece of input."""

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    rule: str | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class OncoregError(Exception):
    """Base class: an error a user can understand and act on."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None, problems=None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def as_dict(self) -> dict[str, object]:
        """The one JSON error shape used by the CLI, the API and the web pages."""
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        return body


class InputError(OncoregError):
    """Input that cannot be accepted as it is (a file, a code, an argument)."""

    code = "invalid_input"


class UnknownCode(InputError):
    """A code that is not in the code table; carries the nearest valid codes."""

    code = "unknown_code"

    def __init__(self, table: str, value: str, suggestions: list[str]) -> None:
        hint = f"did you mean {', '.join(suggestions)}?" if suggestions else None
        super().__init__(f"{value!r} is not a known {table} code", hint=hint)
        self.table = table
        self.value = value
        self.suggestions = suggestions


class NotFound(OncoregError):
    code = "not_found"


class Forbidden(OncoregError):
    code = "forbidden"


class ConfigError(OncoregError):
    """Settings that are missing or unsafe."""

    code = "config_error"


class StoreError(OncoregError):
    """A database operation failed; names the table and operation, never row data."""

    code = "store_error"


@dataclass
class ProblemCollector:
    """Collects every problem of a batch before deciding (never stops at the first)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, summary: str, hint: str | None = None) -> None:
        if self.problems:
            raise InputError(summary, hint=hint, problems=self.problems)
