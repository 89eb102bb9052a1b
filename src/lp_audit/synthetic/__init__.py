"""Seeded synthetic returns: valid rows plus planted defects of known kinds.

- :mod:`~lp_audit.synthetic.hbyw`: HBYW returns, fast at any size, with the capture
  differences of the bundled examples (:func:`make_return`, :func:`network_returns`);
- :mod:`~lp_audit.synthetic.generic`: returns of *any* definition, one table or several,
  checked against it by lp_audit itself (:func:`make_any`, :func:`write_any`).

Used for the bundled examples, the tests and the benchmarks; ``python -m lp_audit.synthetic
--help`` writes them. Every value is invented.
"""

from __future__ import annotations

from lp_audit.synthetic.defects import KINDS, Planted
from lp_audit.synthetic.generic import make_any, write_any
from lp_audit.synthetic.hbyw import (
    DEFECTS,
    Defect,
    example_returns,
    make_return,
    network_definition,
    network_returns,
    write_examples,
)

__all__ = [
    "DEFECTS",
    "KINDS",
    "Defect",
    "Planted",
    "example_returns",
    "make_any",
    "make_return",
    "network_definition",
    "network_returns",
    "write_any",
    "write_examples",
]
