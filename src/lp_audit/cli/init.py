"""``lp-audit init``: audit settings for a folder of returns, each key explained."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lp_audit.cli.common import DefinitionOpt, fail, plain, stderr
from lp_audit.errors import LpAuditError


def init(
    folder: Annotated[Path, typer.Argument(help="The folder of returns, e.g. returns/.")],
    definition: DefinitionOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the settings (default: FOLDER/lp-audit.yaml)."
        ),
    ] = None,
) -> None:
    """Write an lp-audit.yaml for a folder of returns: providers, periods, expected returns
    and the small-number policy, with a comment explaining every key. An existing file is
    never overwritten.

    Example: lp-audit init returns/ --definition draft.yaml
    """
    from lp_audit.definitions import load_definition
    from lp_audit.drafting.settings import draft_settings
    from lp_audit.files import write_atomic

    if not folder.is_dir():
        fail(f"{folder}: not a folder; name the folder that holds the returns")
    target = output or folder / "lp-audit.yaml"
    if target.exists():
        fail(f"{target} already exists; edit it, or write elsewhere with --output")
    try:
        loaded = load_definition(definition) if definition is not None else None
        settings = draft_settings(folder, loaded, beside=target.parent)
        write_atomic(target, settings.text)
    except LpAuditError as exc:
        fail(str(exc), exc)
    except ValueError as exc:
        fail(str(exc), exc)
    stderr.print(
        f"Wrote {plain(str(target))}: {len(settings.providers)} provider(s), "
        f"{len(settings.periods)} period(s) from {settings.returns} return(s). Give each "
        "provider its name, then run lp-audit audit."
    )
    for problem in settings.unread:
        stderr.print(f"[yellow]warning:[/yellow] not read: {plain(problem)}")
