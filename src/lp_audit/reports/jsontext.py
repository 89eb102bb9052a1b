"""JSON text as ``json.dumps(..., indent=2, ensure_ascii=False, default=str)`` writes it,
one value or one column of values at a time: shared by a validation's JSON (each finding on a
line) and an audit's document (:mod:`lp_audit.reports.jsondoc`). Imports nothing but json.
"""

from __future__ import annotations

import json
from typing import Any

#: one level of indentation
STEP = "  "

_INDENTED = json.JSONEncoder(indent=2, ensure_ascii=False, default=str).encode
_SCALAR = json.JSONEncoder(ensure_ascii=False, default=str).encode  # indent changes no scalar
_SCALARS = (str, int, float, bool, type(None))


def dumps(value: Any, depth: int) -> str:
    """``value`` as json.dumps indents it, its lines after the first moved in to ``depth``
    (a JSON string holds no line break of its own, so every one is indentation)."""
    if isinstance(value, _SCALARS):
        return _SCALAR(value)
    text = _INDENTED(value)
    return text.replace("\n", "\n" + STEP * depth) if depth else text


def encode_column(values: list[Any], depth: int = 0) -> list[str]:
    """Each value as json.dumps writes it at ``depth``; each distinct value encoded once (by
    type and value, a float by its text: 1, 1.0 and True are equal keys of a dict, as are 0.0
    and -0.0, and each is written differently)."""
    known: dict[tuple[type, Any], str] = {}
    out = []
    for value in values:
        try:
            key = (type(value), repr(value) if isinstance(value, float) else value)
            text = known.get(key)
            if text is None:
                text = known[key] = dumps(value, depth)
        except TypeError:  # a list or a dict: not hashable, encoded each time
            text = dumps(value, depth)
        out.append(text)
    return out
