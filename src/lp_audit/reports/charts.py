"""Charts for reports, drawn with matplotlib and returned as inline SVG text.

matplotlib is imported only here, and this module only when a report is rendered. Output is
reproducible (no date in the SVG metadata, fixed element ids), uses the Okabe-Ito palette
(colour-blind safe, and readable in greyscale through markers and line styles), and keeps text as text (``svg.fonttype: none``, DejaVu Sans falling back to the reader's sans-serif):
a screen reader and a search in the page or the PDF find a chart's labels, and the SVG is a
third of the size with glyphs drawn as paths. Values the small-number policy hides are never
drawn.

Figures are made with :class:`matplotlib.figure.Figure`, not pyplot: no global state, nothing
to close. Every chart has the same fixed margins around its axes (its tick labels and axis
labels are short and known), and only the legend beside them, which holds the providers'
names, is measured, with the Agg renderer, to size the figure: then the SVG is drawn once.
Measured on the examples' report's five charts, warm: a ``bbox_inches="tight"`` save, which
draws every figure twice, took 0.51 s; measuring the extent of everything drawn first 0.30 s;
measuring the legend alone 0.24 s. The capture grid, once a heatmap, is a shaded table (see
:data:`lp_audit.reports.context.SHADES`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure of ``width`` x ``height`` inches and its one axes."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "lp-audit",
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _percent(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))


#: the margins around every chart's axes, in inches: the y tick labels and axis label on the
#: left, the x tick labels and axis label below, and a little room above and right of the legend
LEFT, BOTTOM, TOP, RIGHT = 0.75, 0.5, 0.1, 0.1


def _svg(fig: Any, prefix: str, axes_width: float) -> str:
    """The figure as SVG text for inlining, its element ids prefixed to be unique in the page:
    its axes ``axes_width`` inches wide, and the legend to their right as wide as it needs."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    legend = fig.axes[0].get_legend()
    legend_width = legend.get_window_extent(renderer).width / fig.dpi if legend else 0.0
    width = LEFT + axes_width + legend_width + RIGHT
    height = fig.get_figheight()
    fig.set_size_inches(width, height)
    fig.subplots_adjust(
        left=LEFT / width,
        right=(LEFT + axes_width) / width,
        bottom=BOTTOM / height,
        top=1 - TOP / height,
    )
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG is inlined
    # several charts share one document, and matplotlib numbers ids from 1 in each
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    return text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')


def funnel_chart(
    providers: Sequence[str],
    rates: Sequence[float],
    denominators: Sequence[float],
    pooled: float,
    *,
    ylabel: str,
    prefix: str = "funnel",
) -> str:
    """A funnel plot: each provider's rate against its denominator, with exact 95% and 99.8%
    limits around the network rate."""
    import numpy as np

    from lp_audit.auditing.statistics import exact_limits

    fig, ax = _figure(5.2, 3.2)
    top = max([*denominators, 10]) * 1.15
    n = np.unique(np.linspace(max(min([*denominators, 10]) * 0.5, 2), top, 200).round())
    for level, style, label in ((0.95, "--", "95% limits"), (0.998, ":", "99.8% limits")):
        lo, hi = exact_limits(n, np.full(len(n), pooled), level)
        # exact limits step with the count: drawn as steps
        ax.step(n, hi, "k" + style, where="mid", linewidth=0.8, label=label)
        ax.step(n, lo, "k" + style, where="mid", linewidth=0.8)
    ax.axhline(pooled, color="#555555", linewidth=0.8, label="network")
    for i, (name, rate, den) in enumerate(zip(providers, rates, denominators, strict=True)):
        ax.plot(
            den,
            rate,
            MARKERS[i % len(MARKERS)],
            color=OKABE_ITO[i % len(OKABE_ITO)],
            markersize=7,
            markeredgecolor="black",
            label=name,
        )
    ax.set_xlabel("Rows (denominator)")
    ax.set_ylabel(ylabel)
    _percent(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return _svg(fig, prefix, 4.0)


def trend_chart(
    periods: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    ylabel: str,
    network: Sequence[float] | None = None,
    prefix: str = "trends",
) -> str:
    """One line per provider across periods (gaps where a return is missing), the network as a
    thick grey line, each point labelled with its value, on an axis that starts at a round
    number at least ten below the lowest value: a one-point change does not look like a cliff."""
    import math

    fig, ax = _figure(5.6, 3.2)
    x = list(range(len(periods)))
    if network is not None:
        ax.plot(x, network, color="#999999", linewidth=4, alpha=0.6, label="All providers")
    for i, (name, values) in enumerate(series.items()):
        ax.plot(
            x,
            values,
            marker=MARKERS[i % len(MARKERS)],
            markersize=7,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            linestyle=("-", "--", "-.", ":")[i % 4],
            label=name,
        )
        for xi, value in zip(x, values, strict=True):
            if not math.isnan(value):  # a provider with one quarter is a labelled point
                ax.annotate(
                    f"{value:.0f}",
                    (xi, value),
                    textcoords="offset points",
                    xytext=(6, 2),
                    fontsize=7,
                    color=OKABE_ITO[i % len(OKABE_ITO)],
                )
    shown = [v for values in series.values() for v in values if not math.isnan(v)]
    if shown:
        low = max(0.0, math.floor((min(shown) - 10) / 10) * 10)
        ax.set_ylim(low, 100)
    ax.set_xticks(x, labels=list(periods))
    ax.set_xlim(-0.4, len(periods) - 0.6)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return _svg(fig, prefix, 4.4)


_CHARTS: dict[str, Callable[..., str]] = {
    "funnel": funnel_chart,
    "trends": trend_chart,
}


def _draw(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return _CHARTS[kind](*args, **kwargs)


def _behind() -> None:
    """In the helper: give way to the audit, which may use both cores (reading a file takes
    threads), while it imports and warms up."""
    import contextlib
    import os

    with contextlib.suppress(OSError):  # not allowed here: it runs as it is
        os.nice(10)


def _warm() -> None:
    """Import what drawing needs (about a third of a second) and draw a chart of each kind
    once, so that fonts and caches are loaded ahead of the first real one."""
    funnel_chart(["a"], [0.5], [10], 0.5, ylabel="a")
    trend_chart(["a", "b"], {"a": [50.0, 60.0]}, ylabel="a", network=[50.0, 60.0])


class Painter:
    """Draws a report's charts: in this process, or in a helper process started ahead.

    ``Painter()`` draws when asked. ``Painter(ahead=True)``, made before the audit, starts one
    helper process that imports matplotlib while the audit runs (on another core) and draws
    the charts while the rest of the report is built: ``lp-audit audit --report`` uses it.
    Where a helper cannot be started or dies, the charts are drawn here instead, so the report
    is the same either way. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, *, ahead: bool = False) -> None:
        self._pool: Any = None
        if ahead:
            try:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                # spawn: a fresh interpreter, safe whatever threads this process has started.
                # One helper: with two, measured on two cores, the second slowed the audit
                self._pool = ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_behind,
                )
                self._pool.submit(_warm)
            except (OSError, ImportError, RuntimeError):  # pragma: no cover - no processes here
                self._pool = None

    def draw(self, kind: str, *args: Any, **kwargs: Any) -> Callable[[], str]:
        """Start drawing a chart (``funnel`` or ``trends``); call the result for
        its SVG text."""
        if self._pool is not None:
            try:
                future = self._pool.submit(_draw, kind, args, kwargs)
            except RuntimeError:  # the helper died before this chart: draw it here
                pass
            else:

                def result() -> str:
                    try:
                        return str(future.result())
                    except Exception:  # the helper died drawing it: draw it here (a chart
                        return _draw(kind, args, kwargs)  # that cannot be drawn fails again)

                return result
        svg = _draw(kind, args, kwargs)
        return lambda: svg

    def close(self, *, wait: bool = True) -> None:
        """Stop the helper; ``wait=False`` lets it exit while this process goes on (the
        interpreter still waits for it before it exits)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Painter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
