"""Charts of the registry statistics, as SVG or PNG bytes (matplotlib, Agg backend).

Each function takes a published frame (``services/published.py``: suppressed cells are
null and are not drawn), a language (``vi`` or ``en``) for the labels and a format. The
figures are :class:`matplotlib.figure.Figure` objects: no pyplot, no global figure state;
rendering holds a lock because matplotlib's text layout is not thread-safe.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import matplotlib
import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from oncoreg.errors import InputError
from oncoreg.stats import AGE_GROUPS
from oncoreg.web.i18n import translator

FORMATS = ("svg", "png")
COLOURS = {1: "#2b6cb0", 2: "#c05621"}
PALETTE = ("#0b6e6e", "#2b6cb0", "#c05621", "#6b46c1", "#b7791f", "#2f855a", "#9b2c2c", "#4a5568")
RC = {
    "svg.fonttype": "path",  # text drawn as paths: the SVG needs no font on the reader's side
    "svg.hashsalt": "oncoreg",  # the same chart gives the same bytes
    "font.family": "DejaVu Sans",  # has every Vietnamese letter
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
SURVIVAL_AXIS = {
    "pohar-perme": "Net survival (%)",
    "ederer2": "Relative survival (%)",
    "km": "Observed survival (%)",
}
_lock = threading.Lock()


def sex_label(sex: int | None, lang: str) -> str:
    _ = translator(lang)
    return {1: _("Males"), 2: _("Females")}.get(sex, _("Both sexes"))


def site_label(site: str, lang: str, fallback: str | None = None) -> str:
    """The name of a GLOBOCAN site group in the language (Vietnamese from the code table)."""
    from oncoreg.codes.sitegroups import site_groups

    for group in site_groups("globocan"):
        if group.id == site:
            return group.label_vi if lang == "vi" and group.label_vi else group.label_en
    if site == "other":
        return translator(lang)("Other and unspecified")
    return fallback or site


def render(draw: Callable[[Figure], None], fmt: str, size: tuple[float, float]) -> bytes:
    """A figure of ``size`` inches drawn by ``draw``, saved as ``fmt`` (svg or png)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown chart format {fmt!r}", hint="use svg or png")
    with _lock, matplotlib.rc_context(RC):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)  # the Agg canvas, without pyplot or a global backend
        draw(figure)
        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": "oncoreg"}
        figure.savefig(out, format=fmt, dpi=110, metadata=metadata)
    return out.getvalue()


def _empty(axes, lang: str) -> None:
    axes.text(
        0.5,
        0.5,
        translator(lang)("No data to show"),
        ha="center",
        va="center",
        transform=axes.transAxes,
        color="#5b6575",
    )
    axes.set_xticks([])
    axes.set_yticks([])


def _values(frame: pl.DataFrame, column: str) -> np.ndarray:
    """A column as floats, nulls (suppressed or missing) as NaN: not drawn."""
    return frame[column].cast(pl.Float64).fill_null(float("nan")).to_numpy()


def top_sites_chart(
    frame: pl.DataFrame, lang: str, fmt: str = "svg", standard: str = "world-segi"
) -> bytes:
    """The leading sites by ASR, males on the left and females on the right, as the
    GLOBOCAN fact sheets show them. ``frame``: site, sex, asr (``top_sites`` rows)."""
    _ = translator(lang)

    def draw(figure: Figure) -> None:
        panels = figure.subplots(1, 2)
        top = max(1.0, float(np.nanmax(_values(frame, "asr"), initial=0.0)) * 1.15)
        for axes, sex in zip(panels, (1, 2), strict=True):
            part = frame.filter(pl.col("sex") == sex).reverse()
            if part.is_empty():
                _empty(axes, lang)
                continue
            names = [site_label(s, lang) for s in part["site"]]
            rates = _values(part, "asr")
            axes.barh(names, np.nan_to_num(rates), color=COLOURS[sex])
            _bar_values(axes, rates, leftward=sex == 1)
            axes.set_xlim(0, top)
            axes.set_title(sex_label(sex, lang), fontweight="bold")
            axes.set_xlabel(_("ASR (World) per 100,000"))
        panels[0].invert_xaxis()
        panels[0].yaxis.tick_left()
        panels[1].yaxis.tick_right()
        panels[1].spines["right"].set_visible(True)
        panels[1].spines["left"].set_visible(False)
        figure.suptitle(_("Leading cancer sites: age-standardised incidence rate"))

    return render(draw, fmt, (9.5, 4.6))


def _bar_values(axes, values: np.ndarray, leftward: bool) -> None:
    """Each bar's value just beyond its end (to the left on a reversed axis)."""
    for y, value in enumerate(values):
        if np.isnan(value):
            continue
        axes.annotate(
            f"{value:.1f}",
            (value, y),
            xytext=(-3 if leftward else 3, 0),
            textcoords="offset points",
            ha="right" if leftward else "left",
            va="center",
            fontsize=8,
        )


def age_specific_chart(frame: pl.DataFrame, lang: str, fmt: str = "svg") -> bytes:
    """Age-specific rates per 100,000 by sex, with their exact 95% limits as a band.
    ``frame``: sex, age_group, rate, rate_lower, rate_upper (``published_age_specific``)."""
    _ = translator(lang)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        if frame.is_empty() or frame["rate"].is_null().all():
            _empty(axes, lang)
            return
        positions = {g: i for i, g in enumerate(AGE_GROUPS)}
        for sex in sorted(frame["sex"].unique().to_list()):
            part = frame.filter(pl.col("sex") == sex)
            x = [positions[g] for g in part["age_group"]]
            colour = COLOURS.get(sex, PALETTE[0])
            axes.plot(
                x, _values(part, "rate"), marker="o", ms=3, color=colour, label=sex_label(sex, lang)
            )
            axes.fill_between(
                x,
                _values(part, "rate_lower"),
                _values(part, "rate_upper"),
                color=colour,
                alpha=0.15,
                linewidth=0,
            )
        axes.set_xticks(range(len(AGE_GROUPS)), AGE_GROUPS, rotation=60)
        axes.set_xlabel(_("Age group (years)"))
        axes.set_ylabel(_("Rate per 100,000"))
        axes.set_ylim(bottom=0)
        axes.legend(frameon=False)
        label = site_label(frame["site"][0], lang, frame["label"][0])
        axes.set_title(_("Age-specific incidence rates") + f": {label}")

    return render(draw, fmt, (7.5, 4.2))


def trend_chart(
    frame: pl.DataFrame, apc: pl.DataFrame | None, lang: str, fmt: str = "svg"
) -> bytes:
    """ASR by year and sex with 95% limits; the legend gives each sex's APC.
    ``frame``: sex, year, asr, asr_lower, asr_upper; ``apc``: ``apc_by_sex`` rows."""
    _ = translator(lang)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        if frame.is_empty() or frame["asr"].is_null().all():
            _empty(axes, lang)
            return
        for sex in sorted(frame["sex"].unique().to_list()):
            part = frame.filter(pl.col("sex") == sex)
            asr = _values(part, "asr")
            errors = [asr - _values(part, "asr_lower"), _values(part, "asr_upper") - asr]
            axes.errorbar(
                part["year"].to_numpy(),
                asr,
                yerr=errors,
                marker="o",
                ms=4,
                capsize=3,
                color=COLOURS.get(sex, PALETTE[0]),
                label=sex_label(sex, lang) + _apc_text(apc, sex, lang),
            )
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel(_("Year of diagnosis"))
        axes.set_ylabel(_("ASR (World) per 100,000"))
        axes.set_ylim(bottom=0)
        axes.legend(frameon=False, fontsize=8)
        label = site_label(frame["site"][0], lang, frame["label"][0])
        axes.set_title(_("Incidence trend") + f": {label}")

    return render(draw, fmt, (7.5, 4.2))


def _apc_text(apc: pl.DataFrame | None, sex: int, lang: str) -> str:
    if apc is None:
        return ""
    rows = apc.filter(pl.col("sex") == sex)
    if rows.is_empty() or rows["apc"][0] is None:
        return ""
    row = rows.row(0, named=True)
    return " " + translator(lang)(
        "(APC %(apc)s%%, 95%% CI %(lower)s to %(upper)s)",
        apc=f"{row['apc']:.1f}",
        lower=f"{row['apc_lower']:.1f}",
        upper=f"{row['apc_upper']:.1f}",
    )


def survival_chart(
    frame: pl.DataFrame, lang: str, fmt: str = "svg", method: str = "pohar-perme"
) -> bytes:
    """Survival (per cent) by years since diagnosis, one line per site, from 100% at
    diagnosis. ``frame``: site, label, time, estimate (``published_survival``)."""
    _ = translator(lang)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        if frame.is_empty() or frame["estimate"].is_null().all():
            _empty(axes, lang)
            return
        sites = frame["site"].unique(maintain_order=True).to_list()
        for number, site in enumerate(sites):
            part = frame.filter(pl.col("site") == site).sort("time")
            x = np.concatenate([[0.0], _values(part, "time")])
            y = np.concatenate([[100.0], 100 * _values(part, "estimate")])
            label = site_label(site, lang, part["label"][0])
            axes.plot(x, y, marker="o", ms=3, color=PALETTE[number % len(PALETTE)], label=label)
        axes.set_xlabel(_("Years since diagnosis"))
        axes.set_ylabel(_(SURVIVAL_AXIS.get(method, SURVIVAL_AXIS["km"])))
        axes.set_ylim(0, 105)
        axes.set_xlim(left=0)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.legend(frameon=False, fontsize=8, loc="lower left")
        axes.set_title(_("Survival of the leading cancer sites"))

    return render(draw, fmt, (7.5, 4.2))


def quality_chart(frame: pl.DataFrame, lang: str, fmt: str = "svg", top: int = 12) -> bytes:
    """MV% and DCO% of the sites with most cases (CI5's two main indicators).
    ``frame``: site, label, cases, mv_pct, dco_pct (``published_quality`` by site)."""
    _ = translator(lang)

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        shown = frame.filter(pl.col("mv_pct").is_not_null()).head(top).reverse()
        if shown.is_empty():
            _empty(axes, lang)
            return
        y = np.arange(shown.height)
        names = [site_label(s, lang, label) for s, label in shown.select("site", "label").rows()]
        axes.barh(y + 0.2, _values(shown, "mv_pct"), 0.4, color=PALETTE[0], label=_("MV%"))
        axes.barh(y - 0.2, _values(shown, "dco_pct"), 0.4, color=PALETTE[2], label=_("DCO%"))
        axes.set_yticks(y, names)
        axes.set_xlim(0, 100)
        axes.set_xlabel(_("Per cent of cases"))
        axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)
        axes.set_title(_("Data quality: microscopic verification and death certificate only"))

    return render(draw, fmt, (7.5, 4.6))
