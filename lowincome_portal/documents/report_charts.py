"""Charts for the printed monthly report: matplotlib figures as SVG text.

The SVG keeps its labels as text (`svg.fonttype = "none"`), so WeasyPrint sets them in
the same Noto Sans CJK face as the tables, they stay sharp at any zoom and pdftotext can
read them back. matplotlib only needs the font to measure the labels; where it is
missing the layout falls back to DejaVu's metrics and the PDF still draws CJK glyphs.

Each call builds its own `Figure` (not pyplot's global figure manager), so two reports
rendered at once do not share a figure. The report's settings still go through
`rc_context`, which changes matplotlib's one global `rcParams` and puts back what it found
on the way out: two charts drawn at once in different threads would see each other's
settings (wrong fonts) and the later exit would restore the earlier one's settings for
good. So drawing and saving a chart holds `_LOCK`; charts are drawn one at a time in the
process (each takes a few tens of milliseconds). matplotlib is imported inside the
functions: it takes about a second to import and only report generation needs it.

The sizes suit a figure printed 170 mm wide on A4 with 8 pt labels.
"""

import contextlib
import functools
import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Sequence

FONT_FAMILY = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK", "DejaVu Sans"]
# Muted colours that stay distinct when printed in greyscale (lightness differs).
COLOURS = ["#2f5d8a", "#c8823a", "#7a9a4a", "#8e4a6e", "#4aa3a3", "#9a9a9a"]
_TAG = re.compile(r"<[^>]*>")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
WIDTH_IN, HEIGHT_IN = 6.7, 2.6  # 170 mm x 66 mm, the default size
# Held from setting the report's rcParams until the SVG is saved (see the module docstring).
_LOCK = threading.Lock()

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "lowincome-report",  # stable ids: the same report gives the same SVG
    "font.family": FONT_FAMILY,
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.unicode_minus": False,  # the CJK face has no U+2212 in every version
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.linewidth": 0.6,
    "grid.color": "#d0d0d0",
    "grid.linewidth": 0.5,
}


def bar_svg(categories: Sequence[str], series: dict[str, Sequence[float]], title: str = "", *,
            size_mm: tuple[float, float] | None = None) -> str:
    """Grouped vertical bars: one group per category, one bar per series (in the dict's
    order), each bar labelled with its value. Returns the SVG document as text."""
    categories = [str(c) for c in categories]
    series = {str(k): [_number(v) for v in values] for k, values in series.items()}
    for label, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(categories)} categories")
    with _drawing(size_mm) as (figure, axes):
        width = 0.8 / max(len(series), 1)
        positions = range(len(categories))
        for index, (label, values) in enumerate(series.items()):
            offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
            bars = axes.bar(offsets, values, width=width * 0.92, label=label,
                            color=COLOURS[index % len(COLOURS)])
            axes.bar_label(bars, labels=[_value_text(v) for v in values], padding=1.5, fontsize=6.5)
        axes.set_xticks(list(positions), categories)
        axes.margins(y=0.15)
        if not any(v for values in series.values() for v in values):
            axes.set_ylim(0, 1)  # an empty month: bars of 0 on the axis, no negative scale
        _tidy(axes, title, legend=len(series) > 1)
        _wrap_ticks(axes, categories, figure.get_figwidth())
        return _svg(figure)


def line_svg(x_labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str = "", *,
             size_mm: tuple[float, float] | None = None, zero_based: bool = True) -> str:
    """Lines over months (or any ordered labels), one per series, with markers; a None
    value leaves a gap. `zero_based=False` lets the scale fit the values (a register of
    2,400 households moving by a dozen a month would otherwise draw a flat line).
    Returns the SVG document as text."""
    x_labels = [str(x) for x in x_labels]
    series = {str(k): [None if v is None else _number(v) for v in values] for k, values in series.items()}
    for label, values in series.items():
        if len(values) != len(x_labels):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(x_labels)} labels")
    with _drawing(size_mm) as (figure, axes):
        positions = list(range(len(x_labels)))
        for index, (label, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else v for v in values]
            axes.plot(positions, ys, marker="o", markersize=2.5, linewidth=1.2, label=label,
                      color=COLOURS[index % len(COLOURS)])
        axes.set_xticks(positions, x_labels)
        if not any(v for values in series.values() for v in values if v is not None):
            axes.set_ylim(0, 1)  # all zero: a flat line on the axis, not in mid-air
        elif zero_based:
            axes.set_ylim(bottom=0)
        else:
            axes.margins(y=0.2)
        _tidy(axes, title, legend=len(series) > 1)
        return _svg(figure)


# --- helpers ------------------------------------------------------------------------------

@contextlib.contextmanager
def _drawing(size_mm: tuple[float, float] | None):
    """A fresh Figure on the Agg canvas (outside pyplot) and its axes, with the report's
    rcParams in force only while it is drawn and saved - and, as rcParams are global, with
    `_LOCK` held all that time (the caller saves the SVG inside the block)."""
    _ensure_config_dir()
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _LOCK, rc_context(_RC | {"font.family": _installed_families()}):
        inches = (WIDTH_IN, HEIGHT_IN) if size_mm is None else (size_mm[0] / 25.4, size_mm[1] / 25.4)
        figure = Figure(figsize=inches, dpi=72, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.yaxis.grid(True)
        axes.set_axisbelow(True)
        try:
            yield figure, axes
        finally:
            figure.clear()  # drop the artists now; no pyplot manager holds the figure


def _tidy(axes, title: str, *, legend: bool) -> None:
    if title:
        axes.set_title(title, loc="left", fontweight="bold", pad=6)
    axes.tick_params(length=2.5, width=0.6, colors="#333333")
    axes.yaxis.get_major_locator().set_params(integer=True)
    if legend:
        axes.legend(frameon=False, ncols=min(len(axes.get_legend_handles_labels()[1]), 6),
                    loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2,
                    handlelength=1.2, columnspacing=1.0)


def _wrap_ticks(axes, categories: list[str], width_in: float) -> None:
    """Category names too long for their slot (住房救助（危房改造） among eleven kinds)
    on two lines rather than overlapping their neighbours."""
    if not categories:
        return
    size = float(_RC["xtick.labelsize"])
    if len(categories) > 8:  # all eleven assistance kinds: smaller labels
        size -= 1
        axes.tick_params(axis="x", labelsize=size)
    # About 85% of the width is plot area; a CJK character is about one font size wide.
    limit = max(int(width_in * 72 * 0.85 / len(categories) / size), 2)
    if any(len(c) > limit for c in categories):
        axes.set_xticks(axes.get_xticks(), [_two_lines(c, limit) for c in categories])


def _two_lines(text: str, limit: int) -> str:
    """Split before an opening bracket or after a slash, else in the middle; every
    character stays (the PDF's text must read as typed)."""
    if len(text) <= limit:
        return text
    for mark, after in (("（", False), ("/", True)):
        at = text.find(mark, 1)
        if at > 0:
            cut = at + 1 if after else at
            return f"{text[:cut]}\n{text[cut:]}"
    middle = (len(text) + 1) // 2
    return f"{text[:middle]}\n{text[middle:]}"


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _own_ids(buffer.getvalue())


def _own_ids(text: str) -> str:
    """The SVG with ids of its own. matplotlib numbers ids per file (patch_1, a clip path
    hashed from its box), so two charts inline in one page would share ids and one chart's
    `url(#...)` could pick up the other's clip path. Every id and reference gets a prefix
    from the chart's content (the same chart gives the same SVG). Only the tags are
    rewritten: matplotlib escapes < and > in labels, so a label can never look like a tag.
    The XML declaration, DOCTYPE and RDF metadata, which only a standalone file needs, go."""
    start = text.find("<svg")
    text = _METADATA.sub("", text[start:] if start > 0 else text)
    prefix = "chart-" + hashlib.sha1(text.encode()).hexdigest()[:10]

    def rename(tag: re.Match) -> str:
        return (tag.group(0).replace(' id="', f' id="{prefix}-').replace('href="#', f'href="#{prefix}-')
                .replace("url(#", f"url(#{prefix}-"))

    return _TAG.sub(rename, text)


@functools.cache
def _installed_families() -> list[str]:
    """FONT_FAMILY without the faces matplotlib cannot find (it would warn on every label)."""
    from matplotlib import font_manager
    names = {font.name for font in font_manager.fontManager.ttflist}
    if not names & set(FONT_FAMILY[:-1]):
        # matplotlib's font cache can predate the CJK font's installation (it is kept in the
        # home directory across runs): add the system's CJK faces to this process's list.
        for path in font_manager.findSystemFonts():
            if "CJK" in os.path.basename(path):
                font_manager.fontManager.addfont(path)
        names = {font.name for font in font_manager.fontManager.ttflist}
    return [family for family in FONT_FAMILY if family in names] or ["DejaVu Sans"]


def _number(value) -> float:
    return 0.0 if value is None else float(value)


def _value_text(value: float) -> str:
    # As the tables print counts: no thousands separator.
    return f"{int(value)}" if value == int(value) else f"{value:.1f}"


def _ensure_config_dir() -> None:
    """matplotlib writes a font cache to ~/.config/matplotlib; a service account's home
    is often read-only, so use a private temporary directory there instead."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    home = os.path.expanduser("~")
    config = os.path.join(home, ".config", "matplotlib")
    target = config if os.path.isdir(config) else home
    if not os.access(target, os.W_OK):
        os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="matplotlib-")
