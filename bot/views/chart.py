"""The 📊 progress picture as a PNG: a settlement's homes ready against the plan and its
families returned over time, or one bar per settlement for a district or everywhere; every
label in the reader's language, the sources and the data date in the corner. matplotlib is
imported only here, when a chart is drawn (design notes: docs/handlers.md, "Charts")."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import progress
from bot.i18n import Translator
from bot.views.common import district_name, kind_label, plain_source

WIDTH = 7.2  # inches; at DPI, 1080 px: a phone shows it full width, Telegram keeps it sharp
DPI = 150
ROW = 0.34  # inches per settlement: 42 of them stay within the 2560 px Telegram keeps
MAX_ROWS = 60  # settlements in one chart: 42 today; bounds the picture's height
GREEN, ORANGE, GREY, BLUE, INK, MUTED = (
    "#2e7d32",
    "#ef6c00",
    "#bdbdbd",
    "#1565c0",
    "#212121",
    "#616161",
)
FONT_FILE = "DejaVuSans.ttf"  # matplotlib's own copy: ə, ğ, ı, ş, ö, ü, ç and Cyrillic

_drawing = threading.Lock()  # matplotlib is not thread-safe: one chart at a time
_fonts: set[Path] = set()  # fonts registered with matplotlib's font manager


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, its size in pixels, and every text drawn on it."""

    png: bytes
    width: int
    height: int
    texts: tuple[str, ...]


def font_path() -> Path:
    """The font every chart is drawn in (matplotlib's bundled DejaVu Sans)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILE


def _matplotlib() -> Any:
    """matplotlib, imported on first use, its cache in a temporary folder of its own (a read-only
    or shared HOME must not break drawing nor print warnings)."""
    folder = Path(tempfile.gettempdir()) / f"returnbot-matplotlib-{os.getuid()}"
    os.environ.setdefault("MPLCONFIGDIR", str(folder))
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


def _render(draw: Callable[[Any], None], height: float, font: Path | None) -> Chart:
    """A Figure of WIDTH × `height` inches drawn by `draw(figure)`, as PNG, in `font` (every
    text; the family is pinned so that a missing font can never silently fall back)."""
    matplotlib = _matplotlib()
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    font = font or font_path()
    with _drawing:
        if font not in _fonts:  # (addfont appends to matplotlib's list each time)
            font_manager.fontManager.addfont(str(font))
            _fonts.add(font)
        family = font_manager.FontProperties(fname=str(font)).get_name()
        style = {
            "font.family": [family],
            "font.size": 13,
            "text.parse_math": False,  # a source may hold "$": it is text, never TeX
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": GREY,
            "axes.labelcolor": INK,
            "xtick.color": MUTED,
            "ytick.color": INK,
        }
        with matplotlib.rc_context(style):
            figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")
            FigureCanvasAgg(figure)
            draw(figure)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
            texts = tuple(
                t.get_text() for t in figure.findobj(Text) if t.get_text() and t.get_visible()
            )
            width, pixels = figure.canvas.get_width_height()
    return Chart(buffer.getvalue(), width, pixels, texts)


# ------------------------------------------------------------------ one settlement


def settlement_chart(
    settlement: Any,
    tr: Translator,
    today: dt.date,
    *,
    credit: str | None = None,
    font: Path | None = None,
) -> Chart:
    """Homes ready against the plan above, families returned below, on one time axis."""
    homes = progress.homes(settlement.housing, today)
    families = progress.families(settlement.caravans, today)

    def draw(figure: Any) -> None:
        _header(figure, settlement.name(tr.lang), district_name(settlement.district, tr))
        _figures(figure, homes, families, tr)
        if homes.empty or families.empty:  # the empty one a line under the figures
            band = figure.add_axes((0.13, 0.67, 0.80, 0.06))
            whole = figure.add_axes((0.13, 0.12, 0.80, 0.47))
            _homes_axes(band if homes.empty else whole, homes, tr, today)
            _families_axes(band if families.empty else whole, families, tr, today)
            _time_axis(whole, None, homes, families, tr, today)
        else:
            top = figure.add_axes((0.13, 0.47, 0.80, 0.29))
            bottom = figure.add_axes((0.13, 0.12, 0.80, 0.26), sharex=top)
            _homes_axes(top, homes, tr, today)
            _families_axes(bottom, families, tr, today)
            _time_axis(bottom, top, homes, families, tr, today)
        report = settlement.current_report
        lines = []
        if report is not None and not homes.empty:
            lines.append(
                tr.gettext("Homes: {source}").format(source=_short(plain_source(report.source, tr)))
            )
        counted = len([c for c in settlement.caravans if c.date is None or c.date < today])
        if counted:
            lines.append(
                tr.ngettext(
                    "Families: {n} caravan report (see /caravans)",
                    "Families: {n} caravan reports (see /caravans)",
                    counted,
                ).format(n=tr.number(counted))
            )
        dates = [r.as_of for r in settlement.housing]
        dates += [c.date for c in settlement.caravans]
        _footer(figure, lines, progress.newest(dates, today), tr, credit)

    return _render(draw, 9.6, font)


def _header(figure: Any, title: str, subtitle: str) -> None:
    figure.text(0.05, 0.965, title, fontsize=24, weight="bold", color=INK, va="top")
    figure.text(0.05, 0.918, subtitle, fontsize=13, color=MUTED, va="top")


def _figures(figure: Any, homes: progress.Homes, families: progress.Families, tr: Translator):
    """The two numbers a reader looks for first, large."""
    _ = tr.gettext
    ready = homes.ready[-1].value if homes.ready else None
    if ready is not None and homes.planned:
        big = f"{tr.number(ready)} / {tr.number(homes.planned)}"
        small = _("homes ready ({percent})").format(
            percent=f"{round(min(ready / homes.planned, 1) * 100)}%"
        )
    elif ready is not None:
        big, small = tr.number(ready), _("homes ready")
    elif homes.planned:
        big, small = tr.number(homes.planned), _("homes planned")
    else:
        big, small = "—", _("no published housing figures")
    colour = GREEN if ready is not None else INK
    figure.text(0.05, 0.865, big, fontsize=26, weight="bold", color=colour, va="top")
    figure.text(0.05, 0.815, small, fontsize=13, color=INK, va="top")
    count = tr.ngettext("family returned", "families returned", families.total)
    figure.text(
        0.56, 0.865, tr.number(families.total), fontsize=26, weight="bold", color=BLUE, va="top"
    )
    figure.text(0.56, 0.815, count, fontsize=13, color=INK, va="top")


def _empty(ax: Any, title: str, text: str) -> None:
    ax.set_title(title, loc="left", fontsize=15, weight="bold", color=INK)
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=MUTED)
    ax.set_yticks([])
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _homes_axes(ax: Any, homes: progress.Homes, tr: Translator, today: dt.date) -> None:
    _ = tr.gettext
    title = _("Homes")
    if homes.empty:
        _empty(ax, title, _("No published schedule yet."))
        return
    ax.set_title(title, loc="left", fontsize=15, weight="bold", color=INK)
    if homes.planned:
        ax.axhline(homes.planned, color=MUTED, linestyle=(0, (5, 4)), linewidth=1.5)
        ax.annotate(
            _("planned: {n}").format(n=tr.number(homes.planned)),
            (1, homes.planned),
            xycoords=("axes fraction", "data"),
            xytext=(0, 5),
            textcoords="offset points",
            ha="right",
            color=MUTED,
            fontsize=12,
        )
    if homes.plan:
        dates, values = [p.date for p in homes.plan], [p.value for p in homes.plan]
        ax.plot(dates, values, color=ORANGE, linestyle=":", linewidth=2.5, zorder=2)
        ax.plot(dates[1:], values[1:], "D", color=ORANGE, markersize=9, zorder=3,
                label=_("due by the published deadlines"))  # fmt: skip
        for point in homes.plan[1:]:
            _label(ax, point, tr, ORANGE, below=False)
    if homes.ready:
        dates, values = [p.date for p in homes.ready], [p.value for p in homes.ready]
        ax.plot(dates, values, "-o", color=GREEN, linewidth=3, markersize=9, zorder=4,
                label=_("homes ready"))  # fmt: skip
        _label(ax, homes.ready[-1], tr, GREEN, below=True)
    top = max([homes.planned or 0, *(p.value for p in homes.plan + homes.ready)])
    ax.set_ylim(0, top * 1.45 or 1)
    _today(ax, today, tr)
    _legend(ax)


def _families_axes(ax: Any, families: progress.Families, tr: Translator, today: dt.date) -> None:
    _ = tr.gettext
    title = _("Families returned")
    if families.empty:
        _empty(ax, title, _("No caravan reported yet."))
        return
    ax.set_title(title, loc="left", fontsize=15, weight="bold", color=INK)
    if families.arrived:
        dates = [families.arrived[0].date, *(p.date for p in families.arrived), today]
        values = [0, *(p.value for p in families.arrived), families.arrived[-1].value]
        ax.step(dates, values, where="post", color=BLUE, linewidth=3, zorder=3)
        ax.fill_between(dates, values, step="post", color=BLUE, alpha=0.12, linewidth=0)
        ax.plot([p.date for p in families.arrived], [p.value for p in families.arrived], "o",
                color=BLUE, markersize=7, zorder=4, label=_("caravans, added up"))  # fmt: skip
        _label(ax, families.arrived[-1], tr, BLUE, below=False)
    if families.announced:
        start = families.arrived[-1] if families.arrived else progress.Point(today, 0)
        dates = [start.date, *(p.date for p in families.announced)]
        values = [start.value, *(p.value for p in families.announced)]
        ax.step(dates, values, where="post", color=BLUE, linestyle="--", linewidth=2)
        ax.plot(dates[1:], values[1:], "o", markerfacecolor="white", markeredgecolor=BLUE,
                markersize=8, markeredgewidth=2, label=_("announced caravans"))  # fmt: skip
    if families.reported:
        ax.plot([p.date for p in families.reported], [p.value for p in families.reported], "X",
                color=INK, markersize=9, zorder=5,
                label=_("running total a source reported"))  # fmt: skip
    values = [p.value for p in families.arrived + families.announced + families.reported]
    ax.set_ylim(0, max(values, default=0) * 1.55 or 1)
    _today(ax, today, tr)
    _legend(ax)


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:  # (a lone planned total has nothing to explain)
        ax.legend(loc="upper left", fontsize=11, frameon=False)


def _label(ax: Any, point: progress.Point, tr: Translator, color: str, *, below: bool) -> None:
    ax.annotate(
        tr.number(point.value),
        (point.date, point.value),
        xytext=(0, -20 if below else 9),
        textcoords="offset points",
        ha="center",
        color=color,
        fontsize=13,
        weight="bold",
    )


def _today(ax: Any, today: dt.date, tr: Translator) -> None:
    ax.axvline(today, color=MUTED, linewidth=1, alpha=0.6, zorder=1)
    ax.annotate(
        tr.gettext("today"),
        (today, 0),
        xycoords=("data", "axes fraction"),
        xytext=(4, 4),
        textcoords="offset points",
        va="bottom",
        color=MUTED,
        fontsize=11,
    )


def _time_axis(
    ax: Any,
    top: Any | None,
    homes: progress.Homes,
    families: progress.Families,
    tr: Translator,
    today: dt.date,
) -> None:
    """Months in the reader's language (`sen`, `Sep`, `сент.`), the year under January and
    under the first month shown."""
    from matplotlib.dates import MonthLocator, date2num, num2date
    from matplotlib.ticker import FuncFormatter

    points = [*homes.ready, *homes.plan, *families.arrived, *families.announced]
    dates = [p.date for p in points] + [today]
    start, end = min(dates), max(dates)
    span = max((end - start).days, 60)
    margin = dt.timedelta(days=span * 0.06 + 10)
    ax.set_xlim(date2num(start - margin), date2num(end + margin))
    months = span / 30.4
    step = next(n for n in (1, 2, 3, 4, 6, 12, 24) if months / n <= 6)
    ax.xaxis.set_major_locator(MonthLocator(bymonth=range(1, 13, step) if step < 12 else [1]))

    def name(value: float, position: int | None) -> str:
        day = num2date(value).date()
        label = tr.short_month(day)
        return f"{label}\n{day.year}" if day.month == 1 or position == 0 else label

    ax.xaxis.set_major_formatter(FuncFormatter(name))
    ax.tick_params(axis="x", labelsize=12)
    if top is not None:  # the upper of two panels: its months are the lower one's
        top.tick_params(axis="x", length=0, labelbottom=False)


def _footer(
    figure: Any,
    lines: Sequence[str],
    as_of: dt.date | None,
    tr: Translator,
    credit: str | None,
) -> None:
    """The sources and the data date in the lower left corner; the bot's name on the right."""
    lines = [*lines]
    if as_of is not None:
        lines.append(tr.gettext("Data as of {date}").format(date=tr.date(as_of)))
    wrapped = "\n".join(textwrap.fill(line, 78) for line in lines)
    figure.text(0.03, 0.012, wrapped, fontsize=9, color=MUTED, va="bottom", linespacing=1.4)
    if credit:
        figure.text(0.97, 0.012, credit, fontsize=9, color=MUTED, va="bottom", ha="right")


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------ several settlements


def places_chart(
    title: str,
    settlements: Sequence[Any],
    tr: Translator,
    today: dt.date,
    *,
    credit: str | None = None,
    font: Path | None = None,
) -> Chart:
    """One row per settlement with any figure, most families returned first: homes ready of
    planned (the next deadline marked) on the left, families returned on the right."""
    _ = tr.gettext
    rows = progress.rows(settlements, today)[:MAX_ROWS]
    names = {s.slug: _row_name(s, tr) for s in settlements}
    header, footer = 1.9, 0.9
    height = header + footer + ROW * max(len(rows), 2)

    def draw(figure: Any) -> None:
        ready = sum(r.ready or 0 for r in rows if r.planned)
        planned = sum(r.planned or 0 for r in rows if r.ready is not None)
        returned = sum(r.families for r in rows)
        figure.text(0.04, 1 - 0.2 / height, title, fontsize=20, weight="bold", color=INK,
                    va="top")  # fmt: skip
        summary = [
            tr.ngettext("{n} family returned", "{n} families returned", returned).format(
                n=tr.number(returned)
            )
        ]
        if planned:
            summary.insert(
                0,
                _("{ready} of {planned} homes ready").format(
                    ready=tr.number(ready), planned=tr.number(planned)
                ),
            )
        figure.text(0.04, 1 - 0.75 / height, " · ".join(summary), fontsize=13, color=INK,
                    va="top")  # fmt: skip
        bottom, span = footer / height, (ROW * max(len(rows), 2)) / height
        left = figure.add_axes((0.30, bottom, 0.38, span))
        right = figure.add_axes((0.72, bottom, 0.25, span), sharey=left)
        _homes_bars(left, rows, names, tr, (0.03, 1 - 1.0 / height))
        _families_bars(right, rows, tr)
        if not rows:
            left.text(0.5, 0.5, _("No published figures yet."), transform=left.transAxes,
                      ha="center", va="center", color=MUTED)  # fmt: skip
        dates = [r.as_of for s in settlements for r in s.housing]
        dates += [c.date for s in settlements for c in s.caravans]
        source = _(
            "Sources: public news reports and official statements; each settlement's card "
            "names its own."
        )
        _footer(figure, [source], progress.newest(dates, today), tr, credit)

    return _render(draw, height, font)


def _row_name(settlement: Any, tr: Translator) -> str:
    """`Xocavənd (şəhər)` for a town bearing its district's name, else the name."""
    name = settlement.name(tr.lang)
    if name == settlement.district.name(tr.lang):
        return f"{name} ({kind_label(settlement.kind, tr)})"
    return name


def _homes_bars(
    ax: Any,
    rows: Sequence[progress.Row],
    names: dict[str, str],
    tr: Translator,
    legend_at: tuple[float, float],
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    _ = tr.gettext
    positions = range(len(rows))
    top = max([r.planned or r.ready or 0 for r in rows] + [1])
    ax.barh(positions, [r.planned or 0 for r in rows], height=0.7, color=GREY, zorder=1)
    ax.barh(positions, [r.ready or 0 for r in rows], height=0.7, color=GREEN, zorder=2)
    for y, row in zip(positions, rows, strict=True):
        if row.due_next is not None:
            ax.plot([row.due_next.value], [y], "D", color=ORANGE, markersize=7, zorder=3)
        if row.planned and row.ready is not None:
            label = f"{tr.number(row.ready)} / {tr.number(row.planned)}"
        elif row.ready is not None:
            label = tr.number(row.ready)
        elif row.planned:
            label = "? / " + tr.number(row.planned)
        else:
            label = _("no housing figures")
        end = max(row.planned or 0, row.ready or 0)
        ax.text(end + top * 0.02, y, label, va="center", fontsize=11,
                color=INK if end else MUTED)  # fmt: skip
    ax.set_yticks(list(positions), [names.get(r.slug, r.slug) for r in rows], fontsize=12)
    ax.set_ylim(len(rows) - 0.5 if rows else 1.5, -0.5)
    ax.set_xlim(0, top * 1.45)
    ax.tick_params(axis="y", length=0)
    _bare_x(ax)
    _column_title(ax, _("Homes ready of planned"), 26)
    legend = [
        Patch(color=GREEN, label=_("homes ready")),
        Patch(color=GREY, label=_("homes planned")),
        Line2D([], [], marker="D", color=ORANGE, linestyle="", label=_("due by the next deadline")),
    ]
    # across the whole width, under the summary: a column is too narrow for it
    ax.figure.legend(handles=legend, loc="upper left", bbox_to_anchor=legend_at, ncol=3,
                     fontsize=10.5, frameon=False, handlelength=1.2,
                     columnspacing=1.2)  # fmt: skip


def _column_title(ax: Any, title: str, width: int) -> None:
    """A column's title over its bars, on two lines when longer than `width` characters."""
    ax.set_title(textwrap.fill(title, width), loc="left", fontsize=12, weight="bold",
                 color=INK, pad=8, linespacing=1.1)  # fmt: skip


def _families_bars(ax: Any, rows: Sequence[progress.Row], tr: Translator) -> None:
    positions = range(len(rows))
    top = max([r.families for r in rows] + [1])
    ax.barh(positions, [r.families for r in rows], height=0.7, color=BLUE)
    for y, row in zip(positions, rows, strict=True):
        ax.text(row.families + top * 0.03, y, tr.number(row.families), va="center",
                fontsize=11, color=INK)  # fmt: skip
    ax.set_xlim(0, top * 1.4)
    ax.tick_params(axis="y", left=False, labelleft=False)
    _bare_x(ax)
    _column_title(ax, tr.gettext("Families returned"), 14)


def _bare_x(ax: Any) -> None:
    """Bars carry their numbers: no scale below them, no frame but the baseline."""
    ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.axvline(0, color=GREY, linewidth=1)
