"""Drafting: a first definition and audit settings from sample returns.

- :mod:`~lp_audit.drafting.names`: what a header's words say (sensitive, an identifier);
- :mod:`~lp_audit.drafting.columns`: what one column of samples looks like;
- :mod:`~lp_audit.drafting.tables`: which samples are one table, keys and links between tables;
- :mod:`~lp_audit.drafting.orders`: the orders of dates the samples keep;
- :mod:`~lp_audit.drafting.conditions`: when a field often blank is required;
- :mod:`~lp_audit.drafting.infer`: a draft definition (``lp-audit definitions infer``), made of
  :mod:`~lp_audit.drafting.model` and written by :mod:`~lp_audit.drafting.render`;
- :mod:`~lp_audit.drafting.settings`: an ``lp-audit.yaml`` for a folder (``lp-audit init``).
"""

from __future__ import annotations

from lp_audit.drafting.infer import Draft, infer_definition

__all__ = ["Draft", "infer_definition"]
