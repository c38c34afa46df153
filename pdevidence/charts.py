"""Figure builders: DataFrame in, plotly Figure out (no Streamlit here)."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from pdevidence.effectmap import fmt as _fmt
from pdevidence.stats import Z_95, Pooled

# Okabe-Ito palette: distinguishable with the common forms of colour blindness.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "grey": "#595959",
    "black": "#000000",
}

G_AXIS = "Effect size (positive favours psychodynamic therapy)"


def plain(text) -> str:
    """Text that plotly shows as itself: its tags (<a>, <b>, <br>, ...) and entities made inert.

    Plotly draws a subset of HTML in labels and hover text; a study name from
    an uploaded file must never become a link or styled text.
    """
    return html.escape(str(text), quote=False)


def _plain_columns(rows: pd.DataFrame, columns=("label", "detail")) -> pd.DataFrame:
    present = [c for c in columns if c in rows]
    return rows.assign(**{c: rows[c].map(plain) for c in present}) if present else rows


def _participants_axis(fig: go.Figure) -> None:
    """A log axis of trial sizes with round-number ticks."""
    ticks = [10, 20, 50, 100, 200, 500, 1000, 2000]
    fig.update_xaxes(
        type="log", title="Participants randomized (log scale)", tickvals=ticks, ticktext=[str(t) for t in ticks]
    )


# Every figure starts from plotly_white. As the default template it is attached to each new figure without
# being validated again; passing it to update_layout re-validates the whole template (about 40 ms a figure).
pio.templates.default = "plotly_white"


def _layout(fig: go.Figure, title: str | None, height: int | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        font=dict(size=14, color="#1a1a1a"),
        margin=dict(l=10, r=10, t=60 if title else 20, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        height=height,
    )
    return fig


def _ci_bars(estimate, low, high, colour: str, thickness: float | None = None, visible: bool | None = None) -> dict:
    """Asymmetric 95% CI whiskers around each estimate, for a trace's error_x."""
    bars = dict(type="data", symmetric=False, array=high - estimate, arrayminus=estimate - low, color=colour)
    if thickness is not None:
        bars["thickness"] = thickness
    if visible is not None:
        bars["visible"] = visible
    return bars


FINDING_COLOURS = {
    "pd_better": OKABE_ITO["blue"],
    "no_difference": OKABE_ITO["grey"],
    "pd_worse": OKABE_ITO["vermillion"],
    "mixed": OKABE_ITO["orange"],
    "not_tested": OKABE_ITO["purple"],
    "favours_pd_untested": OKABE_ITO["sky"],
    "favours_comparator_untested": OKABE_ITO["orange"],
}
# Findings without a between-arm test are drawn hollow: they are not results, and never equivalence.
FINDING_SYMBOLS = {
    "pd_better": "circle",
    "no_difference": "diamond",
    "pd_worse": "x",
    "mixed": "triangle-up",
    "not_tested": "circle-open",
    "favours_pd_untested": "triangle-right-open",
    "favours_comparator_untested": "triangle-left-open",
}
BAND_COLOURS = [OKABE_ITO["sky"], OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["vermillion"]]


def studies_by_size_band(counts: pd.DataFrame, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Stacked bars: trials per condition, split by study-size band (counts from stats.size_band_counts)."""
    fig = go.Figure()
    for band, colour in zip(counts["size_band"].cat.categories, BAND_COLOURS):
        part = counts[counts["size_band"] == band]
        fig.add_trace(
            go.Bar(
                y=[labels.get(c, c) for c in part["condition_group"]],
                x=part["studies"],
                name=f"{band} participants",
                orientation="h",
                marker_color=colour,
                hovertemplate="%{y}: %{x} trial(s) with " + band + " participants<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Number of trials", dtick=2)
    fig.update_yaxes(title=None, autorange="reversed")
    return _layout(fig, title, height=140 + 40 * counts["condition_group"].nunique())


def study_points(
    rows: pd.DataFrame, labels: dict[str, str], findings: dict[str, str], title: str | None = None
) -> go.Figure:
    """Every comparison as a point: participants (log axis) by condition, coloured and shaped by finding."""
    fig = go.Figure()
    for code, name in findings.items():
        part = rows[rows["finding"] == code]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["n_randomized"],
                y=[labels.get(c, c) for c in part["condition_group"]],
                mode="markers",
                name=name,
                marker=dict(
                    size=11,
                    color=FINDING_COLOURS[code],
                    symbol=FINDING_SYMBOLS[code],
                    line=dict(width=1, color="white"),
                    opacity=0.85,
                ),
                text=part["first_author"] + " " + part["year"].astype(str) + " vs " + part["comparator"],
                hovertemplate="%{text}<br>%{x} participants<extra>" + name + "</extra>",
            )
        )
    _participants_axis(fig)
    fig.update_yaxes(title=None, categoryorder="category descending")
    return _layout(fig, title, height=160 + 45 * max(1, rows["condition_group"].nunique()))


def effect_vs_size(rows: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Between-group effect against trial size, one colour per comparator type."""
    fig = go.Figure()
    kinds = (
        ("inactive", "vs inactive control", OKABE_ITO["blue"], "circle"),
        ("active", "vs active treatment", OKABE_ITO["orange"], "diamond"),
        ("add_on", "added to a treatment", OKABE_ITO["green"], "square"),
        ("combination", "alone vs combined with a medicine", OKABE_ITO["grey"], "x"),
    )
    for kind, name, colour, symbol in kinds:
        part = rows[rows["comparator_type"] == kind]
        if part.empty:
            continue
        has_ci = part["es_ci_low"].notna() & part["es_ci_high"].notna()
        fig.add_trace(
            go.Scatter(
                x=part["n_randomized"],
                y=part["es_value"],
                mode="markers",
                name=name,
                marker=dict(size=11, color=colour, symbol=symbol, line=dict(width=1, color="white")),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=(part["es_ci_high"] - part["es_value"]).where(has_ci, 0),
                    arrayminus=(part["es_value"] - part["es_ci_low"]).where(has_ci, 0),
                    color=colour,
                    thickness=1,
                ),
                text=part["first_author"]
                + " "
                + part["year"].astype(str)
                + " ("
                + part["es_timepoint"].fillna("")
                + ")",
                hovertemplate="%{text}<br>N=%{x}, effect %{y:.2f}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line=dict(color=OKABE_ITO["grey"], width=1))
    _participants_axis(fig)
    fig.update_yaxes(title=G_AXIS)
    return _layout(fig, title, height=420)


def size_distribution(studies: pd.DataFrame, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Trial sizes per condition: every trial as a dot, with a box of the middle half."""
    fig = go.Figure()
    fig.add_trace(
        go.Box(
            x=studies["n_randomized"],
            y=[labels.get(c, c) for c in studies["condition_group"]],
            orientation="h",
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            marker=dict(color=OKABE_ITO["blue"], size=8),
            line=dict(color=OKABE_ITO["grey"]),
            fillcolor="rgba(86,180,233,0.15)",
            name="Trials",
            text=studies["first_author"] + " " + studies["year"].astype(str),
            hovertemplate="%{text}: %{x} participants<extra></extra>",
        )
    )
    fig.add_vline(
        x=100,
        line=dict(color=OKABE_ITO["vermillion"], dash="dash"),
        annotation_text="100 participants",
        annotation_position="top",
    )
    _participants_axis(fig)
    fig.update_yaxes(title=None, categoryorder="category descending")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=160 + 45 * max(1, studies["condition_group"].nunique()))


def followup_lengths(studies: pd.DataFrame, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Longest follow-up after treatment per trial, by condition (trials without follow-up at 0)."""
    known = studies[studies["followup_months"].notna()]
    fig = go.Figure(
        go.Scatter(
            x=known["followup_months"],
            y=[labels.get(c, c) for c in known["condition_group"]],
            mode="markers",
            marker=dict(size=11, color=OKABE_ITO["green"], symbol="diamond", line=dict(width=1, color="white")),
            text=known["first_author"] + " " + known["year"].astype(str),
            hovertemplate="%{text}: %{x} months after treatment<extra></extra>",
            name="Trials",
        )
    )
    fig.update_xaxes(title="Longest follow-up after the end of treatment (months)", rangemode="tozero")
    fig.update_yaxes(title=None, categoryorder="category descending")
    return _layout(fig, title, height=160 + 45 * max(1, known["condition_group"].nunique()))


def forest_plot(
    rows: pd.DataFrame,
    pooled: Pooled | None = None,
    *,
    x_title: str = G_AXIS,
    title: str | None = None,
    pooled_label: str = "Pooled (random effects)",
) -> go.Figure:
    """Forest plot: one line per row (columns label, estimate, ci_low, ci_high,
    optional detail for the hover text), the pooled estimate as a diamond with
    its prediction interval as a dashed line."""
    rows = _plain_columns(rows.reset_index(drop=True))
    labels = list(rows["label"])
    detail = rows["detail"] if "detail" in rows else pd.Series([""] * len(rows))
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=rows["estimate"],
            y=labels,
            mode="markers",
            marker=dict(symbol="square", size=10, color=OKABE_ITO["blue"]),
            error_x=_ci_bars(rows["estimate"], rows["ci_low"], rows["ci_high"], OKABE_ITO["blue"], thickness=2),
            name="Study (95% CI)",
            customdata=np.column_stack([rows["ci_low"], rows["ci_high"], detail]),
            hovertemplate="%{y}<br>%{x:.2f} [%{customdata[0]:.2f}, %{customdata[1]:.2f}]<br>%{customdata[2]}<extra></extra>",
        )
    )
    if pooled is not None:
        y = pooled_label
        labels.append(y)
        fig.add_trace(
            go.Scatter(
                x=[pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate, pooled.ci_low],
                y=[y] * 5,
                mode="lines",
                fill="toself",
                line=dict(color=OKABE_ITO["vermillion"], width=2),
                name=f"Pooled, 95% CI (k={pooled.k})",
                hoverinfo="skip",
            )
        )
        if pooled.pi_low is not None:
            fig.add_trace(
                go.Scatter(
                    x=[pooled.pi_low, pooled.pi_high],
                    y=[y, y],
                    mode="lines",
                    line=dict(color=OKABE_ITO["vermillion"], dash="dot", width=2),
                    name="95% prediction interval",
                    hovertemplate="Prediction interval %{x:.2f}<extra></extra>",
                )
            )
    fig.add_vline(x=0, line=dict(color=OKABE_ITO["grey"], width=1))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)), title=None)
    fig.update_xaxes(title=x_title, zeroline=False)
    return _layout(fig, title, height=max(260, 90 + 32 * len(labels)))


def funnel_plot(
    effects,
    standard_errors,
    pooled: Pooled | None = None,
    *,
    labels=None,
    x_title: str = G_AXIS,
    title: str | None = None,
) -> go.Figure:
    """Funnel plot: effect against standard error (inverted axis), with the
    95% pseudo-confidence funnel around the pooled estimate."""
    effects = np.asarray(effects, dtype=float)
    ses = np.asarray(standard_errors, dtype=float)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=effects,
            y=ses,
            mode="markers",
            marker=dict(size=10, color=OKABE_ITO["blue"], line=dict(width=1, color="white")),
            text=None if labels is None else [plain(label) for label in labels],
            name="Study",
            hovertemplate="%{text}<br>effect %{x:.2f}, SE %{y:.2f}<extra></extra>",
        )
    )
    if pooled is not None and ses.size:
        top = float(ses.max()) * 1.1
        z = Z_95
        fig.add_trace(
            go.Scatter(
                x=[pooled.estimate - z * top, pooled.estimate, pooled.estimate + z * top],
                y=[top, 0, top],
                mode="lines",
                line=dict(color=OKABE_ITO["grey"], dash="dash"),
                name="95% funnel around the pooled estimate",
                hoverinfo="skip",
            )
        )
        fig.add_vline(x=pooled.estimate, line=dict(color=OKABE_ITO["vermillion"], width=1))
    fig.update_yaxes(autorange="reversed", title="Standard error (larger studies at the top)")
    fig.update_xaxes(title=x_title)
    return _layout(fig, title, height=420)


DESIGN_COLOURS = {
    "between": OKABE_ITO["blue"],
    "within": OKABE_ITO["orange"],
    "ratio": OKABE_ITO["green"],
}


def _design(es_type: str) -> str:
    if es_type.endswith("_within"):
        return "within"
    if es_type.endswith("_ratio"):
        return "ratio"
    return "between"


DESIGN_NAMES = {
    "between": "Between groups (treated vs comparison group)",
    "within": "Within one group (before vs after treatment)",
    "ratio": "Ratio (odds or risk)",
}


def effect_estimates(rows: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Reported effect sizes as dots with 95% CIs, coloured by design (between, within, ratio),
    labelled so that estimates of different designs are never read as comparable."""
    rows = rows[rows["es_value"].notna()].reset_index(drop=True)
    labels = (
        (rows["therapy"] + ": " if "therapy" in rows else "")
        + rows["label"]
        + " ("
        + rows["timepoint"].fillna("")
        + ")"
    )
    designs = rows["es_type"].map(_design)
    fig = go.Figure()
    for design in ("between", "within", "ratio"):
        mask = designs == design
        if not mask.any():
            continue
        part = rows[mask]
        has_ci = part["es_ci_low"].notna() & part["es_ci_high"].notna()
        fig.add_trace(
            go.Scatter(
                x=part["es_value"],
                y=labels[mask],
                mode="markers",
                name=DESIGN_NAMES[design],
                marker=dict(
                    size=12, color=DESIGN_COLOURS[design], symbol="diamond" if design == "within" else "circle"
                ),
                error_x=_ci_bars(
                    part["es_value"],
                    part["es_ci_low"].where(has_ci, part["es_value"]),
                    part["es_ci_high"].where(has_ci, part["es_value"]),
                    DESIGN_COLOURS[design],
                ),
                text=part["es_type_label"],
                hovertemplate="%{y}<br>%{text}: %{x:.2f}<extra></extra>",
            )
        )
    reference = 1 if set(designs) == {"ratio"} else 0
    fig.add_vline(x=reference, line=dict(color=OKABE_ITO["grey"], width=1))
    if designs.nunique() > 1:
        fig.add_annotation(
            text="Different designs: colours are not comparable with each other",
            xref="paper",
            yref="paper",
            x=0,
            y=1.0,
            yanchor="bottom",
            showarrow=False,
            font=dict(color=OKABE_ITO["vermillion"], size=13),
        )
    fig.update_yaxes(title=None, categoryorder="array", categoryarray=list(reversed(list(labels))))
    fig.update_xaxes(title="Reported effect size")
    return _layout(fig, title, height=max(280, 120 + 38 * len(rows)))


THERAPY_G_AXIS = "Hedges' g against the control condition (positive favours the therapy)"


def family_forest(
    rows: pd.DataFrame,
    *,
    highlight: str | None = None,
    x_title: str = THERAPY_G_AXIS,
    title: str | None = None,
) -> go.Figure:
    """Pooled estimates side by side: one diamond per row (columns label, estimate,
    ci_low, ci_high, optional pi_low/pi_high, detail, key), the prediction
    interval as a dotted line; rows whose key equals `highlight` stand out."""
    rows = _plain_columns(rows.reset_index(drop=True))
    labels = list(rows["label"])
    keys = rows["key"] if "key" in rows else pd.Series([None] * len(rows))
    detail = rows["detail"] if "detail" in rows else pd.Series([""] * len(rows))
    fig = go.Figure()
    for picked, colour, name in (
        (False, OKABE_ITO["blue"], "Pooled g (95% CI)"),
        (True, OKABE_ITO["vermillion"], "Psychodynamic therapy, pooled g (95% CI)"),
    ):
        mask = (keys == highlight) if picked else (keys != highlight)
        part = rows[mask.to_numpy()]
        if part.empty:
            continue
        if {"pi_low", "pi_high"} <= set(part.columns):
            has_pi = part["pi_low"].notna() & part["pi_high"].notna()
            xs, ys = [], []
            for _, row in part[has_pi].iterrows():
                xs += [row["pi_low"], row["pi_high"], None]
                ys += [row["label"], row["label"], None]
            if xs:
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="lines",
                        line=dict(color=colour, dash="dot", width=1.5),
                        name="95% prediction interval",
                        showlegend=not picked,
                        hoverinfo="skip",
                    )
                )
        fig.add_trace(
            go.Scatter(
                x=part["estimate"],
                y=part["label"],
                mode="markers",
                marker=dict(symbol="diamond", size=13, color=colour, line=dict(width=1, color="white")),
                error_x=_ci_bars(part["estimate"], part["ci_low"], part["ci_high"], colour, thickness=2.5),
                name=name,
                customdata=np.column_stack([part["ci_low"], part["ci_high"], detail[mask.to_numpy()]]),
                hovertemplate="%{y}<br>g = %{x:.2f} [%{customdata[0]:.2f}, %{customdata[1]:.2f}]"
                "<br>%{customdata[2]}<extra></extra>",
            )
        )
    fig.add_vline(x=0, line=dict(color=OKABE_ITO["grey"], width=1))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)), title=None)
    fig.update_xaxes(title=x_title, zeroline=False)
    return _layout(fig, title, height=max(260, 100 + 36 * len(labels)))


def findings_chart(rows: pd.DataFrame, findings: dict[str, str], title: str | None = None) -> go.Figure:
    """Each trial comparison placed under its reported finding, with its size as the marker area."""
    order = list(findings.values())
    fig = go.Figure()
    for code, name in findings.items():
        part = rows[rows["finding_code"] == code]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=[name] * len(part),
                y=part["label"],
                mode="markers",
                name=name,
                marker=dict(
                    size=(part["n"].astype(float).clip(lower=20) ** 0.5) * 1.6,
                    color=FINDING_COLOURS[code],
                    symbol=FINDING_SYMBOLS[code],
                    line=dict(width=1, color="white"),
                ),
                customdata=part["n"],
                hovertemplate="%{y}<br>%{x}; N=%{customdata}<extra></extra>",
            )
        )
    fig.update_xaxes(categoryorder="array", categoryarray=order, title="Finding on the main outcome")
    fig.update_yaxes(title=None)
    return _layout(fig, title, height=max(260, 120 + 36 * len(rows)))


SOURCE_COLOURS = {"curated": OKABE_ITO["blue"], "metapsy": OKABE_ITO["orange"], "published": OKABE_ITO["green"]}
SOURCE_TRIAL_SYMBOLS = {"curated": "circle-open", "metapsy": "square-open"}
SOURCE_NAMES = {
    "curated": "Trial reports",
    "metapsy": "Metapsy databases",
    "published": "Published meta-analysis",
}
COMPARATOR_TITLES = {
    "inactive": "<b>Compared with inactive controls</b><br>(waitlist, usual care, placebo)",
    "active": "<b>Compared with active treatments</b><br>(another therapy or medication)",
    "add_on": "<b>Added to a treatment</b><br>(both groups get it)",
    "combination": "<b>Alone vs combined with a medicine</b><br>(both groups get the therapy)",
}


# Which published comparison belongs in which comparator panel.
PUBLISHED_COMPARISON = {"inactive": "vs_control", "active": "vs_other_treatments"}


@dataclass
class _Panel:
    """One comparator panel of the effect map while it is drawn: where traces go and which legend names are out."""

    fig: go.Figure
    row: int
    labels: dict[str, str]
    shown: set[str]

    def y(self, specifics) -> list[str]:
        return [plain(self.labels.get(s, s)) for s in specifics]

    def add(self, trace: go.Scatter) -> None:
        if trace.name:
            trace.legendgroup = trace.name
            trace.showlegend = trace.name not in self.shown
            self.shown.add(trace.name)
        self.fig.add_trace(trace, row=self.row, col=1)


def _map_layout(effects: pd.DataFrame, published: pd.DataFrame | None, labels: dict[str, str]):
    """The panels of the map (comparator classes with something to show) and the conditions in each."""
    present = {c: set(effects.loc[effects["comparator_type"] == c, "condition_specific"]) for c in COMPARATOR_TITLES}
    if published is not None and not published.empty:
        # A published estimate puts its condition on the map even where no trial effect is bundled.
        for c, comparison in PUBLISHED_COMPARISON.items():
            present[c] |= set(published.loc[published["meta_comparison"] == comparison, "condition_specific"])
    classes = [c for c in COMPARATOR_TITLES if present[c]] or ["inactive"]
    return classes, {c: [s for s in labels if s in present[c]] for c in classes}


def _map_range(effects: pd.DataFrame, estimates: pd.DataFrame) -> tuple[float, float]:
    bounds = pd.concat([effects["ci_low"], effects["ci_high"], pd.Series([0.0, 1.0])]).astype(float)
    if not estimates.empty:
        bounds = pd.concat([bounds, estimates["ci_low"].astype(float), estimates["ci_high"].astype(float)])
    return float(np.nanmin(bounds)) - 0.1, float(np.nanmax(bounds)) + 0.1


def _trial_marks(panel: _Panel, mine: pd.DataFrame, source: str) -> None:
    """Each trial's effect: a small open mark in its source's colour."""
    panel.add(
        go.Scatter(
            x=mine["estimate"],
            y=panel.y(mine["condition_specific"]),
            mode="markers",
            name=f"One trial ({SOURCE_NAMES[source]})",
            marker=dict(symbol=SOURCE_TRIAL_SYMBOLS[source], size=9, color=SOURCE_COLOURS[source], line=dict(width=2)),
            customdata=np.column_stack(
                [
                    mine["label"].map(plain),
                    mine["ci_low"].map(_fmt),
                    mine["ci_high"].map(_fmt),
                    mine["n_randomized"].astype(int),
                    mine["detail"].map(plain),
                    mine["outcome"].map(plain),
                ]
            ),
            hovertemplate="%{customdata[0]}<br>effect %{x:.2f} [%{customdata[1]}, %{customdata[2]}]"
            "<br>N=%{customdata[3]}; outcome: %{customdata[5]}<br>%{customdata[4]}<extra>"
            + SOURCE_NAMES[source]
            + "</extra>",
        )
    )


def _pooled_marks(panel: _Panel, pooled: pd.DataFrame, source: str, faint: bool) -> None:
    """Pooled estimates of one source: filled diamonds with their 95% CI, or faint outlines (all trials, lens on)."""
    colour = SOURCE_COLOURS[source]
    name = f"All trials, pooled ({SOURCE_NAMES[source]})" if faint else f"Pooled, 95% CI ({SOURCE_NAMES[source]})"
    panel.add(
        go.Scatter(
            x=pooled["estimate"],
            y=panel.y(pooled["condition_specific"]),
            mode="markers",
            name=name,
            opacity=0.45 if faint else 1,
            marker=dict(
                symbol="diamond-open" if faint else "diamond",
                size=15,
                color=colour,
                line=dict(width=1.5, color=colour if faint else "white"),
            ),
            error_x=_ci_bars(
                pooled["estimate"], pooled["ci_low"], pooled["ci_high"], colour, thickness=3, visible=not faint
            ),
            customdata=np.column_stack(
                [
                    pooled["k"],
                    pooled["participants"],
                    pooled["ci_low"].map(_fmt),
                    pooled["ci_high"].map(_fmt),
                    pooled["i2"].map(lambda v: f"{v:.0%}"),
                    pooled["trials"].map(plain),
                ]
            ),
            hovertemplate=("All trials: " if faint else "Pooled: ")
            + "%{x:.2f} [%{customdata[2]}, %{customdata[3]}]<br>%{customdata[0]} trials, "
            "%{customdata[1]} participants, I² %{customdata[4]}<br>%{customdata[5]}<extra>"
            + SOURCE_NAMES[source]
            + "</extra>",
        )
    )


def _lens_links(panel: _Panel, pools: pd.DataFrame, source: str) -> None:
    """A dotted line from each all-trials estimate to its large-trials one, so the change shows at a glance."""
    both = pools[(pools["source"] == source) & (pools["status"] == "pooled")]
    for specific, pair in both.groupby("condition_specific"):
        if set(pair["lens"]) != {"all", "large"}:
            continue
        xs = [float(pair.loc[pair["lens"] == lens, "estimate"].iloc[0]) for lens in ("all", "large")]
        panel.add(
            go.Scatter(
                x=xs,
                y=panel.y([specific]) * 2,
                mode="lines",
                line=dict(color=SOURCE_COLOURS[source], width=2, dash="dot"),
                showlegend=False,
                hoverinfo="skip",
            )
        )


def _source_marks(panel: _Panel, part: pd.DataFrame, pools: pd.DataFrame, source: str, lens: str) -> None:
    """One source's trials and pools in one panel; the two sources are never pooled together."""
    mine = part[part["source"] == source]
    if lens == "large":
        mine = mine[mine["large"].astype(bool)]
    if not mine.empty:
        _trial_marks(panel, mine, source)
    for which, faint in ((lens, False), ("all", True)) if lens == "large" else ((lens, False),):
        pooled = pools[(pools["source"] == source) & (pools["lens"] == which) & (pools["status"] == "pooled")]
        if not pooled.empty:
            _pooled_marks(panel, pooled, source, faint)
    if lens == "large":
        _lens_links(panel, pools, source)


def _published_of(published: pd.DataFrame | None, comparator: str) -> pd.DataFrame:
    wanted = PUBLISHED_COMPARISON.get(comparator)
    if published is None or published.empty or wanted is None:
        return published.iloc[0:0] if published is not None else pd.DataFrame()
    return published[published["meta_comparison"] == wanted]


def _published_marks(panel: _Panel, mine: pd.DataFrame) -> None:
    name = SOURCE_NAMES["published"]
    panel.add(
        go.Scatter(
            x=mine["meta_estimate"],
            y=panel.y(mine["condition_specific"]),
            mode="markers",
            name=name,
            marker=dict(symbol="star", size=14, color=SOURCE_COLOURS["published"]),
            text=mine["meta_text"].map(plain),
            hovertemplate="%{text}<extra>" + name + "</extra>",
        )
    )


def _condition_notes(pools: pd.DataFrame, published: pd.DataFrame, order: list[str], lens: str) -> list[str]:
    """What each source says of each condition, written above its line."""
    mine = pools[pools["lens"] == lens] if len(pools) else pools
    pooled = dict(tuple(mine.groupby("condition_specific", sort=False))) if len(mine) else {}
    starred = dict(tuple(published.groupby("condition_specific", sort=False))) if len(published) else {}
    notes = []
    for specific in order:
        said = (
            [
                f"{SOURCE_NAMES[r.source]}: " + (f"pooled {r.text}" if r.status == "pooled" else r.text)
                for r in pooled[specific].itertuples()
            ]
            if specific in pooled
            else []
        )
        said += (
            [
                f"Published ({r.meta_source}): {_fmt(r.meta_estimate)}"
                + (
                    f" ({_fmt(r.meta_ci_low)} to {_fmt(r.meta_ci_high)})"
                    if pd.notna(r.meta_ci_low) and pd.notna(r.meta_ci_high)
                    else ", no CI reported"
                )
                for r in starred[specific].itertuples()
            ]
            if specific in starred
            else []
        )
        notes.append("<br>".join(plain(line) for line in said))
    return notes


def _condition_lines(panel: _Panel, order: list[str], notes: list[str], x_left: float) -> tuple[list[dict], dict]:
    """Each condition's name and notes above its line, across the whole width, so the map reads on a phone.

    Returns the panel's annotations and its zero line, for the figure to take all at once: plotly re-validates
    every annotation already in a figure each time one is added.
    """
    ylabels = panel.y(order)
    # An invisible mark per line keeps every condition on the axis when a lens empties it.
    panel.add(
        go.Scatter(
            x=[x_left] * len(ylabels),
            y=ylabels,
            mode="markers",
            marker=dict(opacity=0, size=1),
            showlegend=False,
            hoverinfo="skip",
        )
    )
    axes = panel.fig.get_subplot(panel.row, 1)
    xref, yref = (axis.plotly_name.replace("axis", "") for axis in (axes.xaxis, axes.yaxis))
    names = [
        dict(
            x=x_left,
            y=label,
            text=f"<b>{label}</b>" + (f"<br>{note}" if note else ""),
            xanchor="left",
            yanchor="bottom",
            yshift=7,
            align="left",
            showarrow=False,
            font=dict(size=12, color="#1a1a1a"),
            xref=xref,
            yref=yref,
        )
        for label, note in zip(ylabels, notes, strict=True)
    ]
    panel.fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(ylabels)),
        title=None,
        showticklabels=False,
        range=[-0.6, len(order) - 0.1],
        row=panel.row,
        col=1,
    )
    zero = dict(
        type="line",
        x0=0,
        x1=0,
        xref=xref,
        y0=0,
        y1=1,
        yref=f"{yref} domain",
        line=dict(color=OKABE_ITO["grey"], width=1),
    )
    return names, zero


def effect_map(
    effects: pd.DataFrame,
    estimates: pd.DataFrame,
    labels: dict[str, str],
    *,
    lens: str = "all",
    published: pd.DataFrame | None = None,
    title: str | None = None,
) -> go.Figure:
    """The effect map: one panel per comparator class, one line per specific condition.

    Each trial's effect is a small open mark, coloured by source; a pooled
    estimate (at least 3 trials of one source) is a filled diamond with its 95%
    CI. With lens="large", small trials are left out of the marks and pools and
    the all-trials estimate stays as a faint outline, joined to the new one, so
    the change shows at a glance. Sources and comparators are never pooled
    together; published estimates are green stars.
    """
    from plotly.subplots import make_subplots

    classes, rows_per = _map_layout(effects, published, labels)
    fig = make_subplots(
        rows=len(classes),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[COMPARATOR_TITLES[c] for c in classes],
        row_heights=[max(1, len(rows_per[c])) for c in classes],
        vertical_spacing=0.12 if len(classes) > 1 else 0.05,
    )
    # Panel titles start at the left edge, like the condition names under them.
    fig.update_annotations(font=dict(size=13), xanchor="left", x=0, align="left")
    shown: set[str] = set()
    most = 1
    annotations: list[dict] = []
    shapes: list[dict] = []
    x_left, x_right = _map_range(effects, estimates)
    for row, comparator in enumerate(classes, start=1):
        panel = _Panel(fig, row, labels, shown)
        order = rows_per[comparator]
        part = effects[effects["comparator_type"] == comparator]
        pools = estimates[(estimates["comparator_type"] == comparator)] if not estimates.empty else estimates
        for source in ("curated", "metapsy"):
            _source_marks(panel, part, pools, source, lens)
        published_here = _published_of(published, comparator)
        stars = (
            published_here[published_here["condition_specific"].isin(order)] if len(published_here) else published_here
        )
        if not stars.empty:
            _published_marks(panel, stars)
        notes = _condition_notes(pools, published_here, order, lens)
        most = max([most, *(n.count("<br>") + 1 for n in notes)])
        names, zero = _condition_lines(panel, order, notes, x_left)
        annotations += names
        shapes.append(zero)
    fig.update_layout(annotations=[*fig.layout.annotations, *annotations], shapes=[*fig.layout.shapes, *shapes])
    fig.update_xaxes(range=[x_left, x_right])
    fig.update_xaxes(title="Effect size<br>(positive favours psychodynamic therapy)", row=len(classes), col=1)
    lines = sum(max(1, len(rows_per[c])) for c in classes)
    fig = _layout(fig, title, height=250 + (56 + 16 * most) * lines + 70 * len(classes))
    # Room above the first panel for a legend that wraps onto several lines on a phone.
    return fig.update_layout(
        margin=dict(t=130 if title else 110), legend=dict(y=0.995, yanchor="top", yref="container")
    )


def small_trial_share(cues: pd.DataFrame, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Share of each condition's trials with fewer than 100 participants, with the counts written on the bars."""
    rows = cues.reset_index(drop=True)
    names = [plain(labels.get(s, s)) for s in rows["condition_specific"]]
    small = (rows["share_under_100"] * rows["trials"]).round().astype(int)
    fig = go.Figure(
        go.Bar(
            x=rows["share_under_100"],
            y=names,
            orientation="h",
            marker_color=OKABE_ITO["sky"],
            text=[f"{s} of {n}" for s, n in zip(small, rows["trials"], strict=True)],
            textposition="auto",
            customdata=np.column_stack([small, rows["trials"], rows["largest"]]),
            hovertemplate="%{y}: %{customdata[0]} of %{customdata[1]} trials under 100 participants"
            "<br>largest trial: %{customdata[2]}<extra></extra>",
            name="Share of small trials",
        )
    )
    fig.update_xaxes(title="Share of trials with fewer than 100 participants", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title=None, categoryorder="array", categoryarray=list(reversed(names)), automargin=True)
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=140 + 30 * len(rows))
