"""The one error tree of aimsgraph.

Every error a user can cause is an :class:`AimsgraphError`. The CLI maps the tree to exit codes and
the API to HTTP statuses, each in one place; nothing else catches these to print them.

- :class:`InputError`: a data or shapes file cannot be read or parsed (carries file, line, column).
- :class:`UsageError`: the request itself is wrong (a missing path, an unknown format or option).
- :class:`ShapesError`: a shapes file parsed but is not valid SHACL.
"""

from __future__ import annotations


class AimsgraphError(Exception):
    """Base of every error a user can cause; its message is meant to be shown as it is."""


class UsageError(AimsgraphError):
    """The request is malformed: a missing path, an empty directory, an unknown option value."""


class InputError(AimsgraphError):
    """An input file cannot be read or parsed; the message names the file, line and column."""

    def __init__(self, message: str, *, source: str, line: int | None = None, column: int | None = None):
        self.source = source
        self.line = line
        self.column = column
        self.problem = message
        where = source
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, tuple[str, str, int | None, int | None]]:
        # Keyword-only arguments do not survive pickling on their own; the analysis workers send
        # these back to the server through a pipe.
        return (_input_error, (self.problem, self.source, self.line, self.column))


def _input_error(message: str, source: str, line: int | None, column: int | None) -> InputError:
    return InputError(message, source=source, line=line, column=column)


class ShapesError(AimsgraphError):
    """A shapes graph is not valid SHACL (checked against SHACL-SHACL)."""


class QueryTimeoutError(AimsgraphError):
    """A query ran past the time limit and was stopped."""
