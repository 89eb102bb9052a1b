"""Drafting: a first definition and audit settings from sample returns.

- :mod:`~lp_audit.drafting.columns`: what one column of samples looks like;
- :mod:`~lp_audit.drafting.infer`: a draft definition (``lp-audit definitions infer``);
- :mod:`~lp_audit.drafting.settings`: an ``lp-audit.yaml`` for a folder (``lp-audit init``).
"""

from __future__ import annotations

from lp_audit.drafting.infer import Draft, infer_definition

__all__ = ["Draft", "infer_definition"]
