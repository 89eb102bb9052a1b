"""No input reaches a user as "internal error": hypothesis over bytes, encodings, line shapes
and workbook structures, through the command line as a user runs it.

The default run tries a few hundred inputs; ``nox -s fuzz`` (LP_AUDIT_FUZZ_EXAMPLES) thousands.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.definitions import load_definition

HEADER = list(load_definition("hbyw-quarterly-return@1.0").field_names)
EXAMPLES = int(os.environ.get("LP_AUDIT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

cells = st.one_of(
    st.sampled_from(["", " ", "N/A", "99", "X", "2025-26 Q2", "RTH", "03/07/2025", "2025-02-30"]),
    st.text(max_size=12),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=4),  # control characters
    st.integers(-(10**6), 10**6).map(str),
)


@st.composite
def delimited(draw: st.DrawFn) -> bytes:
    """A return's text in some line shape, delimiter, quoting and encoding."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.sampled_from([HEADER, HEADER[:5], [h.upper() for h in HEADER], ["a"]]))
    lines = [delimiter.join(header)]
    for _ in range(draw(st.integers(0, 12))):
        width = draw(
            st.sampled_from([len(header), 1, 0, len(header) + 2, draw(st.integers(0, 40))])
        )
        row = [draw(cells) for _ in range(width)]
        if draw(st.booleans()):
            row = [f'"{c}"' if i % 3 == 0 else c for i, c in enumerate(row)]
        lines.append(delimiter.join(row))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending, '"', ending * 3]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    """A workbook with cells of every kind, or one damaged after it was written."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = draw(st.sampled_from(["Return", "Sheet 1", "ä"]))
    ws.append(draw(st.sampled_from([HEADER, HEADER[:3], []])))
    values = st.one_of(
        cells.map(lambda c: "".join(ch for ch in c if ch >= " " or ch in "\t\n")),
        st.integers(-(10**9), 10**9),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
        st.just("=A1+1"),
    )
    for _ in range(draw(st.integers(0, 8))):
        ws.append([draw(values) for _ in range(draw(st.integers(0, len(HEADER) + 2)))])
    if draw(st.booleans()):
        wb.create_sheet("Other").append(["x"])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "truncate", "flip", "member"]))
    if damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    elif damage == "member":
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename.startswith("xl/worksheets/"):
                    body = draw(st.binary(max_size=200))
                dst.writestr(info, body)
        data = out.getvalue()
    return data


def _never_fails(path: Path, content: bytes, *extra: str) -> None:
    path.write_bytes(content)
    for fmt in ("json", "text"):
        result = CliRunner().invoke(app, ["validate", str(path), "--format", fmt, *extra])
        assert result.exit_code in (0, 1, 2), result.output
        assert "internal error" not in result.output and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
    assert path.read_bytes() == content


@FUZZ
@given(content=delimited())
def test_delimited_returns_never_fail(tmp_path: Path, content: bytes) -> None:
    _never_fails(tmp_path / "return.csv", content)


@FUZZ
@given(content=st.binary(max_size=400))
def test_arbitrary_bytes_never_fail(tmp_path: Path, content: bytes) -> None:
    _never_fails(tmp_path / "return.csv", content)


@FUZZ
@given(content=workbooks())
def test_workbooks_never_fail(tmp_path: Path, content: bytes) -> None:
    _never_fails(tmp_path / "return.xlsx", content)


@pytest.mark.parametrize("fmt", ["xlsx"])
@FUZZ
@given(content=delimited())
def test_feedback_workbooks_never_fail(tmp_path: Path, fmt: str, content: bytes) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(content)
    out = tmp_path / "feedback.xlsx"
    result = CliRunner().invoke(app, ["validate", str(path), "-f", fmt, "-o", str(out)])
    assert result.exit_code in (0, 1, 2), result.output
    assert "internal error" not in result.output, result.output


#: the settings of lp-audit.yaml, and below them keys and values that settings take
SETTINGS = [
    "definition",
    "providers",
    "expected",
    "filename_pattern",
    "acknowledgements",
    "suppression",
    "thresholds",
    "weights",
]
config_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 10**6),
        st.text(max_size=20),
        st.sampled_from(["2025-26 Q1", "RTH", "2027-03-31", "99.8", "error", "^(?P<provider>x)"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    *SETTINGS,
                    "min_count",
                    "limit",
                    "provider",
                    "code",
                    "until",
                    "reason",
                    "RTH",
                    "2025-26 Q1",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=12,
)


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(SETTINGS),
        config_values,
        max_size=6,
    )
)
def test_audit_configs_never_fail(tmp_path: Path, data: dict[str, object]) -> None:
    """Any lp-audit.yaml is loaded or refused with its problems, never an internal error."""
    import shutil

    import yaml

    folder = tmp_path / "returns"
    folder.mkdir(exist_ok=True)
    example = Path(__file__).resolve().parents[1] / "examples" / "hbyw" / "rth-2025-26-q1.csv"
    shutil.copy(example, folder / "rth-2025-26-q1.csv")
    (folder / "lp-audit.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(app, ["audit", str(folder), "--format", "json"])
    assert result.exit_code in (0, 1, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


@st.composite
def definitions_and_returns(draw: st.DrawFn) -> tuple[str, str]:
    """A small definition of random fields, constraints and rules, and a return for it."""
    import yaml

    types = ["text", "integer", "decimal", "date", "code", "multi_code", "boolean"]
    names = [f"F{i}" for i in range(draw(st.integers(1, 5)))]
    fields = []
    kinds = {}
    for name in names:
        kind = draw(st.sampled_from(types))
        kinds[name] = kind
        spec: dict[str, object] = {"name": name, "label": f"Field {name}", "type": kind}
        if kind in ("code", "multi_code"):
            spec["codes"] = draw(st.sampled_from([["A", "B"], {"1": "One", "2": "Two"}]))
            if draw(st.booleans()):
                spec["unknown_codes"] = {"X": "Not known"}
        if draw(st.booleans()):
            spec["required"] = True
        if kind in ("integer", "decimal") and draw(st.booleans()):
            spec["constraints"] = [{"range": {"min": 0, "max": draw(st.integers(1, 100))}}]
        if kind == "date" and draw(st.booleans()):
            spec["time"] = draw(st.sampled_from(["allowed", "required"]))
        if kind == "text" and draw(st.booleans()):
            spec["constraints"] = [{"pattern": draw(st.sampled_from(["^[A-Z]+$", "^\\\\d{2}$"]))}]
        fields.append(spec)
    rules = []
    for i in range(draw(st.integers(0, 3))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        op = draw(st.sampled_from(["<=", "==", "!=", ">"]))
        check = draw(
            st.sampled_from(
                [
                    {"compare": f"{a} {op} {b}"},
                    {"field": a, "blank": False},
                    {"compare": f"{a} >= 2015-04-01"},
                    {"not": {"field": a, "in": ["A", "1"]}},
                ]
            )
        )
        rules.append({"id": str(100 + i), "message": "A rule.", "check": check})
    definition = {"name": "fuzz", "version": "1", "title": "Fuzz", "fields": fields}
    if rules:
        definition["rules"] = rules
    if draw(st.booleans()):
        definition["return_rules"] = [
            {"id": "unique", "unique": [names[0]], "message": "Repeated."}
        ]
    values = st.sampled_from(
        [
            "",
            "A",
            "B",
            "1",
            "2",
            "X",
            "2025-01-31",
            "31/01/2025",
            "7",
            "x y",
            "2025-1-31 9:30",
            "2025-01-31T25:00",
            "1/1/2025 00:00:00",
        ]
    )
    lines = [",".join(names)]
    for _ in range(draw(st.integers(0, 8))):
        lines.append(",".join(draw(values) for _ in names))
    return yaml.safe_dump(definition), "\n".join(lines) + "\n"


@FUZZ
@given(case=definitions_and_returns())
def test_definitions_that_load_never_fail_to_validate(
    tmp_path: Path, case: tuple[str, str]
) -> None:
    text, data = case
    (tmp_path / "fuzz.yaml").write_text(text)
    (tmp_path / "return.csv").write_text(data)
    checked = CliRunner().invoke(app, ["definitions", "check", str(tmp_path / "fuzz.yaml")])
    assert checked.exit_code in (0, 2) and "Traceback" not in checked.output
    if checked.exit_code != 0:
        return  # refused with its problems: the definition loader's own fuzz covers those
    for fmt in ("json", "xlsx"):
        extra = ["-o", str(tmp_path / "out.xlsx")] if fmt == "xlsx" else []
        result = CliRunner().invoke(
            app,
            [
                "validate",
                str(tmp_path / "return.csv"),
                "-d",
                str(tmp_path / "fuzz.yaml"),
                "-f",
                fmt,
                *extra,
            ],
        )
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
