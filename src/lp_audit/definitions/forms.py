"""How a return writes dates and times: the date formats a definition may name, and the time of
day a date field with ``time:`` may have after its date.

Everything that reads or writes a date (the checks, drafts, made-up returns) takes its forms
from here.
"""

from __future__ import annotations

import re
from typing import Literal

#: Date formats a definition may name, and their strptime equivalents.
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY/MM/DD": "%Y/%m/%d",
}

#: whether a date field's values carry a time of day after the date
TimeOfDay = Literal["allowed", "required"]
TIMES_OF_DAY: tuple[TimeOfDay, ...] = ("allowed", "required")

#: A real time of day after a date: hours 0 to 23, minutes and seconds 0 to 59, after a space
#: or a T, with a fraction of a second and a zone if the system writes them; its parts named
#: (``h``, ``m``, ``s``) for reading them, and without names to match (REAL_TIME)
NAMED_TIME = (
    r"[ T](?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])"  # hh:mm
    r"(?::(?P<s>[0-5][0-9])(?:\.[0-9]+)?)?"  # :ss and a fraction
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"  # a zone
)
REAL_TIME = re.sub(r"\(\?P<\w+>", "(?:", NAMED_TIME)
