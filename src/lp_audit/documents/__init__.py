"""Documents for providers: the data dictionary, the return template, the feedback workbook."""

from __future__ import annotations

from lp_audit.documents.dictionary import diff_definitions, render_dictionary, render_diff
from lp_audit.documents.summary import DefinitionSummary, describe_definition
from lp_audit.documents.workbook import write_feedback, write_template

__all__ = [
    "DefinitionSummary",
    "describe_definition",
    "diff_definitions",
    "render_dictionary",
    "render_diff",
    "write_feedback",
    "write_template",
]
