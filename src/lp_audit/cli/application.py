"""The ``lp-audit`` application: its commands, registered from a module per command group."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lp_audit import __version__
from lp_audit.cli import audit as audit_cmd
from lp_audit.cli import definitions as definitions_cmd
from lp_audit.cli import init as init_cmd
from lp_audit.cli import report as report_cmd
from lp_audit.cli import validate as validate_cmd
from lp_audit.cli.common import ExitStatus, plain, state, stderr
from lp_audit.errors import LpAuditError

app = typer.Typer(
    name="lp-audit",
    pretty_exceptions_enable=False,
    help="Audit the quality of data returns against shared data definitions.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
)
definitions_app = typer.Typer(
    help="List, show, check and draft data definitions.", no_args_is_help=True
)
app.add_typer(definitions_app, name="definitions")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lp-audit {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Audit the quality of data returns against shared data definitions."""
    state["debug"] = debug


app.command()(validate_cmd.validate)
app.command()(audit_cmd.audit)
app.command()(report_cmd.report)
app.command()(init_cmd.init)
app.command()(definitions_cmd.template)
definitions_app.command("list")(definitions_cmd.definitions_list)
definitions_app.command("show")(definitions_cmd.definitions_show)
definitions_app.command("docs")(definitions_cmd.definitions_docs)
definitions_app.command("diff")(definitions_cmd.definitions_diff)
definitions_app.command("check")(definitions_cmd.definitions_check)
definitions_app.command("infer")(definitions_cmd.definitions_infer)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop, leaving outputs as they were (writes are atomic)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Console-script entry point."""
    import gc
    import signal

    # Our own exception, not KeyboardInterrupt, so that click does not turn it into
    # "Aborted!" with exit status 1, which here means "findings".
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app()
    except Interrupted as exc:
        stderr.print(
            "[red]Interrupted:[/red] stopped before finishing; any output file is as it was before."
        )
        sys.exit(128 + exc.signum)
    except LpAuditError as exc:  # pragma: no cover - commands catch their own
        stderr.print(f"[bold red]error:[/bold red] {plain(str(exc))}")
        sys.exit(ExitStatus.INPUT_ERROR)
    except Exception as exc:  # pragma: no cover - a bug: one line, traceback with --debug
        if state["debug"]:
            raise
        stderr.print(
            f"[bold red]internal error:[/bold red] {plain(type(exc).__name__)}: {plain(str(exc))}. "
            "Run again with --debug for details, and report it."
        )
        sys.exit(ExitStatus.INPUT_ERROR)
    finally:
        # The process ends here: leave its objects to the operating system rather than have
        # the interpreter's last collections visit each one (measured after a million-row
        # return: shutdown took 0.10 s, now 0.04 s).
        gc.freeze()
