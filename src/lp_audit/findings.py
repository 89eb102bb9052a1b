"""The catalogue of finding codes, and the Finding record every check produces.

Codes are stable kebab-case ids: CI pipelines and reports rely on them, so a code is never
renamed or reused. Each has a title and a default severity; the message of a finding is written
for a provider's data officer and names the field's label.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class FindingKind:
    """One entry of the catalogue."""

    code: str
    title: str
    severity: Severity
    explanation: str


CATALOGUE: dict[str, FindingKind] = {
    k.code: k
    for k in (
        # reading
        FindingKind("empty-file", "Empty file", "error", "The file has no header row and no data."),
        FindingKind(
            "encoding",
            "Not saved as UTF-8",
            "warning",
            "The file uses another text encoding; it was read, but save returns as CSV UTF-8.",
        ),
        FindingKind(
            "unterminated-quote",
            "Unterminated quote",
            "error",
            "A quote mark opens a value that never ends, so the rest of the file cannot be read.",
        ),
        FindingKind(
            "extra-cells",
            "Too many cells",
            "error",
            "A row has more cells than the header; a value probably holds an unquoted delimiter.",
        ),
        FindingKind(
            "missing-cells",
            "Too few cells",
            "error",
            "A row has fewer cells than the header; it may have been cut short.",
        ),
        FindingKind("blank-rows", "Blank rows", "warning", "Rows with no values were ignored."),
        FindingKind(
            "totals-row",
            "Totals row",
            "warning",
            "A totals row at the end was ignored; returns hold one row per referral only.",
        ),
        FindingKind(
            "too-many-columns",
            "Too many columns",
            "error",
            "The file has more columns than lp_audit reads.",
        ),
        FindingKind(
            "cell-too-large", "Cell too large", "error", "A cell is larger than lp_audit accepts."
        ),
        FindingKind(
            "wrong-period",
            "Wrong period",
            "error",
            "Most rows are for another period than the one asked for.",
        ),
        FindingKind(
            "wrong-provider",
            "Wrong provider",
            "error",
            "Most rows are from another provider than the one asked for.",
        ),
        FindingKind(
            "formula-not-saved",
            "Formula not saved",
            "error",
            "A workbook cell holds a formula whose result was not saved, so it reads as blank.",
        ),
        # header
        FindingKind(
            "header-not-first",
            "Header not on the first line",
            "warning",
            "A title or notes above the header were skipped.",
        ),
        FindingKind(
            "missing-column",
            "Missing column",
            "error",
            "A column the definition expects is not in the file.",
        ),
        FindingKind(
            "unknown-column",
            "Unknown column",
            "warning",
            "A column is not in the definition; it was ignored.",
        ),
        FindingKind(
            "duplicate-column",
            "Duplicate column",
            "error",
            "Two columns map to the same field; only the first was read.",
        ),
        FindingKind(
            "header-alias",
            "Non-standard header",
            "warning",
            "A column header is a label or alias, not the field name; it was accepted.",
        ),
        # values
        FindingKind(
            "missing-required",
            "Missing value",
            "error",
            "A required value (or one required in this case) is blank.",
        ),
        FindingKind(
            "invalid-code", "Invalid code", "error", "The value is not one of the field's codes."
        ),
        FindingKind(
            "non-standard-code",
            "Non-standard code",
            "warning",
            "The code is written differently (case, leading zeros); it was accepted.",
        ),
        FindingKind(
            "invalid-type",
            "Wrong type of value",
            "error",
            "The value is not of the field's type, e.g. text in a number field.",
        ),
        FindingKind(
            "invalid-date",
            "Invalid date",
            "error",
            "The value is not a date in an accepted format, or is an impossible date.",
        ),
        FindingKind(
            "date-as-number",
            "Date saved as a number",
            "error",
            "The value is a number, as a spreadsheet stores a date: the column was not saved as dates.",
        ),
        FindingKind(
            "date-with-time",
            "Date with a time",
            "error",
            "The value is a date with a time after it, as databases export dates.",
        ),
        FindingKind(
            "date-without-time",
            "Date without a time",
            "error",
            "The value is a date alone, in a field that needs the time of day after the date.",
        ),
        FindingKind(
            "date-format",
            "Non-standard date format",
            "warning",
            "The date is in an accepted but non-standard format, e.g. DD/MM/YYYY.",
        ),
        FindingKind(
            "out-of-range", "Out of range", "error", "The number is outside its allowed range."
        ),
        FindingKind(
            "pattern-mismatch",
            "Wrong format",
            "error",
            "The value does not have the required form.",
        ),
        FindingKind("too-long", "Too long", "error", "The value has more characters than allowed."),
        FindingKind(
            "too-short", "Too short", "error", "The value has fewer characters than required."
        ),
        FindingKind(
            "invalid-check-digit",
            "Invalid check digit",
            "error",
            "The number's check digit does not match; it was probably mistyped.",
        ),
        FindingKind(
            "exclusive-code",
            "Code must stand alone",
            "error",
            "A code that must be used alone is combined with other codes.",
        ),
        FindingKind(
            "duplicate-code", "Repeated code", "warning", "A code is listed twice in one cell."
        ),
        # rules and return level
        FindingKind("rule-failed", "Rule not met", "error", "A rule across fields is not met."),
        FindingKind(
            "duplicate-id",
            "Duplicate identifier",
            "error",
            "An identifier that must be unique appears more than once.",
        ),
        FindingKind(
            "period-mismatch",
            "Wrong return period",
            "error",
            "The return period differs from the period of the return.",
        ),
        FindingKind(
            "provider-mismatch",
            "Wrong provider",
            "error",
            "The provider code differs from the provider submitting the return.",
        ),
        FindingKind(
            "nil-return", "Nil return", "warning", "The return has a header but no data rows."
        ),
        FindingKind(
            "not-carried",
            "Case not carried over",
            "error",
            "A row of the previous return that should appear again (an open case) does not.",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One problem in a return: what, where, and how bad. ``value`` is never a sensitive value."""

    code: str
    severity: Severity
    message: str
    line: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


FINDING_COLUMNS = ("code", "severity", "message", "line", "column", "field", "value", "rule")
#: The pandas type of each column of a table of findings, however it was made: what a saved
#: audit's findings are read back as, so that a report from one equals the audit's own.
FINDING_TYPES = {
    name: {"line": "Int64", "value": "object", "rule": "object"}.get(name, "str")
    for name in FINDING_COLUMNS
}


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def shorten(items: list[str], limit: int = 8) -> str:
    """Join items for a message, ending with '… and N more' past ``limit``."""
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" … and {len(items) - limit} more"
