"""``python -m lp_audit``."""

from lp_audit.cli import main

main()
