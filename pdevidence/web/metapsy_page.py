"""Streamlit side of the Metapsy page: settings kept in the URL and the analysis renderers (data sources: web.metapsy_sources)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from pdevidence import charts, stats
from pdevidence.metapsy import coding as mp_coding
from pdevidence.metapsy import effects as mp_effects
from pdevidence.metapsy import outcomes as mp_outcomes
from pdevidence.metapsy.analysis import (
    AGGREGATION_NOTE,
    SUMMARY_COLUMNS,
    across_databases,
    family_summary,
    forest_rows,
    large_trials_only,
    outcome_of,
    pooled_for,
    select_rows,
    size_lens,
    small_study_test,
    study_effects,
)
from pdevidence.metapsy.database import TIME_ALL, TIME_POST, Database
from pdevidence.metapsy.families import (
    FAMILY_ABBREVIATIONS,
    FAMILY_LABELS,
    FAMILY_PHRASES,
    NOT_CODED,
    PSYCHODYNAMIC,
    UNMAPPED,
)
from pdevidence.metapsy.settings import (
    PARAMS,
    THRESHOLD_RANGE,
    DatabaseOptions,
    Settings,
    default_database,
    default_family,
    parse_settings,
    serialize_settings,
)
from pdevidence.web import link, memo, metapsy_sources, widgets

_KEYS = {
    "database": metapsy_sources.DB_KEY,
    "outcome": "mp_outcome",
    "family": "mp_family",
    "comparators": "mp_vs",
    "time": "mp_time",
    "low_rob_only": "mp_lowrob",
    "method": "mp_tau",
    "threshold": "mp_size",
}

# ---------------------------------------------------------------- analyses, cached
# Pooling every family of a database (and of every loaded database, for the across-conditions table) takes
# about a second; it depends only on the database's content and the analysis settings, so it is kept across
# reruns and sessions (memo.computed), keyed by the database's fingerprint and the settings' values. The
# database and the settings object go in unhashed (memo.Unhashed).


def rows_of(db: Database, settings: Settings) -> pd.DataFrame:
    """select_rows of the database and settings."""
    analysis = settings.analysis()
    key = (db.fingerprint, dataclasses.astuple(analysis))
    return memo.computed(select_rows, memo.Unhashed(db), memo.Unhashed(analysis), key=key)


def families_of(db: Database, settings: Settings) -> pd.DataFrame:
    """family_summary of the selected rows."""
    return memo.computed(family_summary, rows_of(db, settings), settings.method, key=_key(db, settings))


def effects_of(db: Database, settings: Settings, family: str | None) -> pd.DataFrame:
    """study_effects of the selected rows (every family when family is None)."""
    return memo.computed(study_effects, rows_of(db, settings), family, key=_key(db, settings))


def large_of(db: Database, settings: Settings) -> pd.DataFrame:
    """large_trials_only of the selected rows at the chosen size threshold."""
    return memo.computed(
        large_trials_only, rows_of(db, settings), settings.threshold, settings.method, key=_key(db, settings)
    )


def across_of(databases: dict[str, Database], settings: Settings) -> pd.DataFrame:
    """across_databases over the databases already loaded."""
    analysis = settings.analysis()
    key = (tuple((name, db.fingerprint) for name, db in databases.items()), dataclasses.astuple(analysis))
    return memo.computed(across_databases, memo.Unhashed(databases), memo.Unhashed(analysis), key=key)


# ---------------------------------------------------------------- settings


def _set_widgets(settings: Settings) -> None:
    state = st.session_state
    for attr, key in _KEYS.items():
        value = getattr(settings, attr)
        state[key] = list(value) if attr == "comparators" else value


def _sanitise(options: DatabaseOptions) -> None:
    """Keep widget values the chosen database can take (a database switch changes the choices)."""
    state = st.session_state
    if state.get(_KEYS["outcome"]) not in options.outcomes:
        state[_KEYS["outcome"]] = options.default_outcome
    if state.get(_KEYS["family"]) not in options.families:
        state[_KEYS["family"]] = default_family(options)
    state[_KEYS["comparators"]] = [c for c in state.get(_KEYS["comparators"], []) if c in options.comparators]
    if state.get(_KEYS["time"]) not in options.times:
        state[_KEYS["time"]] = TIME_POST


def _loadable_names(found, url: dict[str, list[str]]) -> tuple[str, ...]:
    """The databases to offer, once the one the link (or the default) asks for is known to load.

    Offline, a catalogue database fails to load and drops out of `found`; the
    choice then falls to what is here (an upload, a file given by address).
    """
    for _ in range(3):
        names = tuple(found)
        asked = [v for v in url.get("db", []) if v in names] + [default_database(names)]
        try:
            for name in dict.fromkeys(n for n in asked if n is not None):
                found[name]
        except KeyError:
            continue
        return names
    return tuple(found)


def settings_sidebar(found: dict[str, Database]) -> Settings:
    """The page's choices, in the sidebar and in the URL; a link reopens the same analysis.

    The URL wins when it differs from what this session last wrote; invalid
    values in it are ignored with a visible notice.
    """
    url = link.query(PARAMS)
    names = _loadable_names(found, url)
    if not names:
        widgets.stop_page()
    options_for = lambda name: DatabaseOptions.of(found[name])  # noqa: E731
    _fill_widgets(found, names, url, options_for)
    database, options = _render_settings(found, names, options_for)
    settings = _chosen_settings(database, options)
    link.stage(serialize_settings(settings, names, options_for), PARAMS)
    link.keep("metapsy", settings)
    widgets.render_share_link(st.sidebar)
    return settings


def _fill_widgets(found, names: tuple[str, ...], url: dict[str, list[str]], options_for) -> None:
    """Put into the widgets what this run shows: the link's settings when the URL wins, else the session's."""
    state = st.session_state
    kept = link.kept("metapsy")
    if link.url_wins() or _KEYS["database"] not in state:
        if not url and kept is not None and kept.database in found:
            _set_widgets(kept)  # the session's own choices, carried across pages
        else:
            parsed = parse_settings(url, names, options_for)
            widgets.render_notices(parsed.notices)
            _set_widgets(parsed.settings)
    elif not url and kept is not None:
        _set_widgets(kept)
    if state.get(_KEYS["database"]) not in found:
        state[_KEYS["database"]] = default_database(names)


def _render_settings(found, names: tuple[str, ...], options_for) -> tuple[str, DatabaseOptions]:
    """The settings' widgets in the sidebar; the database chosen and what its settings may take."""
    sb = st.sidebar
    sb.header("Trial database")
    database = sb.selectbox(
        "Condition (Metapsy database)",
        names,
        key=_KEYS["database"],
        format_func=getattr(found, "label", None) or (lambda n: f"{found[n].info.condition} ({n})"),
    )
    options = options_for(database)
    _sanitise(options)
    if options.outcomes:
        sb.selectbox(
            "Outcome",
            options.outcomes,
            key=_KEYS["outcome"],
            format_func=found[database].outcome_label,
            help="Each outcome is pooled on its own, never mixed with another. "
            "The default is the database's main symptom outcome.",
        )
    if options.families:
        sb.selectbox(
            "Therapy family for the trial-by-trial view",
            options.families,
            key=_KEYS["family"],
            format_func=FAMILY_LABELS.__getitem__,
        )
    sb.multiselect(
        "Compared with",
        options.comparators,
        key=_KEYS["comparators"],
        format_func=lambda c: c
        if found[database].comparators.get(c, c) == c
        else f"{c}: {found[database].comparators[c]}",
        placeholder="Any control condition",
    )
    sb.selectbox(
        "Time point",
        options.times,
        key=_KEYS["time"],
        format_func=lambda t: {"post": "End of treatment (post)", "all": "All time points"}.get(t, t),
    )
    sb.toggle(
        "Low risk of bias only",
        key=_KEYS["low_rob_only"],
        help="Keep only comparisons rated at low risk of bias (see 'How these numbers are made').",
    )
    sb.radio(
        "Between-trial variance (tau²)",
        tuple(stats.TAU2_METHODS),
        key=_KEYS["method"],
        format_func=stats.TAU2_METHODS.__getitem__,
        horizontal=True,
    )
    sb.number_input("Large trial: at least this many participants", *THRESHOLD_RANGE, step=10, key=_KEYS["threshold"])

    return database, options


def _chosen_settings(database: str, options: DatabaseOptions) -> Settings:
    """The settings the widgets show (a choice of every control condition is no restriction)."""
    state = st.session_state
    chosen = tuple(state[_KEYS["comparators"]])
    return Settings(
        database=database,
        family=state.get(_KEYS["family"]) if options.families else None,
        comparators=()
        if set(chosen) >= set(options.comparators)
        else tuple(c for c in options.comparators if c in chosen),
        method=state[_KEYS["method"]],
        threshold=int(state[_KEYS["threshold"]]),
        low_rob_only=bool(state[_KEYS["low_rob_only"]]),
        time=state[_KEYS["time"]],
        outcome=state.get(_KEYS["outcome"]) if options.outcomes else None,
    )


# ---------------------------------------------------------------- rendering


def _g(row) -> str:
    return f"{row['g']:.2f} (95% CI {row['ci_low']:.2f} to {row['ci_high']:.2f})"


def render_selection(db: Database, rows: pd.DataFrame, settings: Settings) -> None:
    effects = effects_of(db, settings, None)
    a, b, c = st.columns(3)
    a.metric("Comparisons used", f"{len(rows):,}", help=f"of {len(db.rows):,} rows in the database")
    b.metric("Trials", f"{effects['study'].nunique():,}")
    c.metric("Participants", f"{int(effects.groupby('study')['n'].max().sum()):,}")
    skipped = int((~db.rows["has_effect"]).sum())
    outcome = outcome_of(db, settings.analysis())
    parts = [
        f"outcome “{widgets.escape(db.outcome_label(outcome))}”" if outcome else "no outcome can be pooled",
        "end-of-treatment outcomes"
        if settings.time == TIME_POST
        else ("all time points" if settings.time == TIME_ALL else f"time point “{settings.time}”"),
        "low risk of bias only" if settings.low_rob_only else "any risk of bias",
        "against " + ", ".join(settings.comparators) if settings.comparators else "against any control",
        f"{stats.TAU2_METHODS[settings.method]} random effects",
    ]
    note = (
        f" {skipped} row(s) have no usable effect (no usable g or SE, or an outcome whose direction cannot be "
        "decided; see 'Outcomes and their direction') "
        "and are never used."
        if skipped
        else ""
    )
    assumed = int((rows["assumptions"].astype(str) != "").sum()) if "assumptions" in rows else 0
    if assumed:
        note += (
            f" {assumed} of the comparisons used rest on assumptions of the generic rules (a direction, family, "
            "sign or time point not stated by a source); each trial's are listed in the tables' “assumptions” column."
        )
    st.caption("Using " + "; ".join(parts) + "." + note)


def _summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    return (
        summary[[c for c in SUMMARY_COLUMNS if c not in ("family", "se")]]
        .rename(
            columns={
                "label": "therapy family",
                "k": "comparisons",
                "studies": "trials",
                "i2": "I²",
                "tau2": "tau²",
                "pi_low": "prediction low",
                "pi_high": "prediction high",
            }
        )
        .round(3)
    )


def _family_rows(summary: pd.DataFrame, label) -> pd.DataFrame:
    pooled = summary[summary["status"] == "pooled"]
    return pd.DataFrame(
        {
            "label": [label(r) for r in pooled.to_dict("records")],
            "key": pooled["family"],
            "estimate": pooled["g"],
            "ci_low": pooled["ci_low"],
            "ci_high": pooled["ci_high"],
            "pi_low": pooled["pi_low"],
            "pi_high": pooled["pi_high"],
            "detail": [
                f"{r['studies']} trials, {r['participants']:,} participants, I² = {r['i2']:.0%}"
                for r in pooled.to_dict("records")
            ],
        }
    )


def _key(db: Database, settings: Settings) -> tuple:
    """What a database's cached results are drawn from: its content and the settings."""
    return (db.fingerprint, dataclasses.astuple(settings))


def nothing_pooled_text(db: Database) -> str:
    """Why no outcome of a database is pooled: each outcome with its reason."""
    reasons = "; ".join(
        f"{widgets.escape(r.label)} ({r.rows} row{'s' if r.rows != 1 else ''}): {widgets.escape(r.reason)}"
        for r in db.outcomes.itertuples()
    )
    return (
        "**Nothing is pooled from this database**: no outcome has both a direction that a source establishes "
        f"(a reviewed coding, the codebook or the instrument lexicon) and a usable effect. {reasons}."
    )


def render_families(db: Database, summary: pd.DataFrame, settings: Settings) -> None:
    """Pooled g per therapy family, psychodynamic therapy highlighted, with the full table."""
    if summary.empty and not db.pooled_outcomes:
        st.warning(nothing_pooled_text(db), icon=":material/block:")
        return
    if summary.empty:
        st.info("No comparisons match these settings.")
        return
    psycho = summary[summary["family"] == PSYCHODYNAMIC]
    if psycho.empty:
        st.info(
            f"This database holds no psychodynamic therapy arm at these settings ({db.info.condition}).",
            icon=":material/info:",
        )
    elif psycho.iloc[0]["status"] == "pooled":
        row = psycho.iloc[0]
        st.markdown(
            f"**Psychodynamic therapy: g = {_g(row)}**, {row['studies']} trials, "
            f"{row['participants']:,} participants, I² = {row['i2']:.0%}."
        )
    else:
        row = psycho.iloc[0]
        st.warning(
            f"Too few trials to pool psychodynamic therapy here: {row['studies']} trial(s); pooling "
            f"needs at least {stats.MIN_STUDIES_TO_POOL}.",
            icon=":material/warning:",
        )
    rows = _family_rows(summary, lambda r: f"{r['label']} ({r['studies']} trials)")
    if rows.empty:
        st.info(f"No therapy family has the {stats.MIN_STUDIES_TO_POOL} trials pooling needs at these settings.")
        st.dataframe(_summary_table(summary), hide_index=True, width="stretch")
        return
    widgets.render_chart(
        lambda: memo.figure(charts.family_forest, rows, highlight=PSYCHODYNAMIC, key=_key(db, settings)),
        lambda: _summary_table(summary),
        "Each diamond is one therapy family's pooled g against the control conditions, with its 95% CI; the "
        "dotted line is the 95% prediction interval (where a new trial's effect would likely fall). "
        f"Families with fewer than {stats.MIN_STUDIES_TO_POOL} trials and unmapped codes are in the table only.",
        panel="families",
        title="therapy families compared",
    )


def render_unmapped(db: Database) -> None:
    """Treatment codes left out of every family (unmapped, or not listed by a reviewed coding), and coding problems."""
    for problem in db.coding_problems:
        st.warning(f"Coding problem: {widgets.escape(problem)}.", icon=":material/warning:")
    for family, why in (
        (UNMAPPED, "Neither the codebook nor the keyword table says which therapy family they belong to."),
        (NOT_CODED, "The database's reviewed coding does not list them, so they are not placed by their names."),
    ):
        codes = db.codes[db.codes["family"] == family]
        if codes.empty:
            continue
        st.warning(
            ("Unmapped" if family == UNMAPPED else "Not coded:")
            + " treatment codes (left out of every pooled estimate): "
            + ", ".join(f"{widgets.code(c)} ({n} rows)" for c, n in zip(codes["code"], codes["rows"]))
            + f". {why}",
            icon=":material/help:",
        )


def _cell(row) -> str:
    if row["status"] != "pooled":
        return f"{row['studies']} trial{'s' if row['studies'] != 1 else ''}, not pooled"
    return f"{row['g']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f}), {row['studies']} trials"


def across_table(across: pd.DataFrame) -> pd.DataFrame:
    """One row per condition and outcome, one column per therapy family (psychodynamic first)."""
    if across.empty:
        return pd.DataFrame(columns=["condition", "outcome"])
    cells = across.assign(cell=[_cell(r) for r in across.to_dict("records")])
    table = cells.pivot_table(
        index=["condition", "outcome_label"], columns="family", values="cell", aggfunc="first", sort=False
    )
    order = [f for f in FAMILY_LABELS if f in table.columns]
    table = table[order].rename(columns=FAMILY_LABELS).reset_index()
    table.columns.name = None
    return table.rename(columns={"condition": "condition", "outcome_label": "outcome"}).fillna("no trials")


def render_across(databases: dict[str, Database], settings: Settings) -> None:
    """Psychodynamic therapy next to every other family, per condition and outcome, in the databases loaded."""
    across = across_of(databases, settings)
    key = (tuple((name, db.fingerprint) for name, db in databases.items()), dataclasses.astuple(settings.analysis()))
    if across.empty:
        st.info("No loaded database has a psychodynamic therapy arm with a usable effect at these settings.")
        return
    shown = across[across["family"].isin((PSYCHODYNAMIC, "cbt"))]
    rows = _family_rows(
        shown,
        lambda r: f"{r['condition']}, {r['outcome_label'].lower()}: {FAMILY_LABELS[r['family']]} ({r['studies']} trials)",
    )
    if rows.empty:
        st.info("Too few trials to pool psychodynamic therapy or CBT at these settings; the table lists them.")
        st.dataframe(across_table(across), hide_index=True, width="stretch")
    else:
        widgets.render_chart(
            lambda: memo.figure(charts.family_forest, rows, highlight=PSYCHODYNAMIC, key=key),
            lambda: across_table(across),
            "Pooled g against control conditions, one block per condition and outcome, for every database "
            "with a psychodynamic arm. The chart shows psychodynamic therapy and CBT; the table has every family "
            "(g, 95% CI, trials). Outcomes differ between conditions and scales, so compare families within a "
            "row, not across rows.",
            panel="across",
            title="psychodynamic therapy and CBT across conditions",
        )
    too_few = across[(across["family"] == PSYCHODYNAMIC) & (across["status"] != "pooled")]
    if len(too_few):
        st.caption(
            f"Too few psychodynamic trials to pool (fewer than {stats.MIN_STUDIES_TO_POOL}) in: "
            + "; ".join(
                f"{widgets.escape(c)}, {widgets.escape(o.lower())} ({n} trial{'s' if n != 1 else ''})"
                for c, o, n in zip(too_few["condition"], too_few["outcome_label"], too_few["studies"], strict=True)
            )
            + "."
        )


def _table_panel(label: str, build, *, panel: str) -> None:
    """A table in the panel `panel` (widgets.open_panel), built by `build` only while the panel is open. The panel
    is named as `panel="…"`, as for widgets.render_chart, where tests/test_app.py reads the panels a page draws."""
    box = widgets.open_panel(label, panel)
    if box is not None:
        box.dataframe(build(), hide_index=True, width="stretch")


def render_outcomes(db: Database, settings: Settings) -> None:
    """Every outcome of the database, the direction rule used for it, and why some are not pooled."""
    chosen = outcome_of(db, settings.analysis())
    table = db.outcomes.assign(
        shown=db.outcomes["outcome"] == chosen,
        higher=db.outcomes["higher_is_better"].map({True: "higher", False: "lower"}).fillna("cannot tell"),
    )
    if chosen:
        rule = table.loc[table["shown"], "rule"].iloc[0]
        st.markdown(f"**{widgets.escape(db.outcome_label(chosen))}** (shown above). {widgets.escape(rule)}")
    for r in table[table["sign_conflict"] != ""].itertuples():
        st.warning(
            f"Sign conflict, {widgets.escape(r.label)}: {widgets.escape(r.sign_conflict)}", icon=":material/warning:"
        )
    left_out = table[~table["pooled"]]
    if len(left_out):
        st.warning(
            "Left out of every pooled estimate: "
            + "; ".join(
                f"{widgets.escape(r.label)} ({r.rows} row{'s' if r.rows != 1 else ''}): {widgets.escape(r.reason)}"
                for r in left_out.itertuples()
            )
            + ".",
            icon=":material/help:",
        )
    _table_panel(
        "Table: every outcome of this database and its direction rule",
        lambda: table[["label", "outcome", "kind", "higher", "studies", "rows", "rows_with_effect", "rule"]].rename(
            columns={
                "label": "outcome",
                "outcome": "link key",
                "higher": "better is",
                "studies": "trials",
                "rows_with_effect": "rows used",
                "rule": "direction rule",
            }
        ),
        panel="outcomes",
    )


def render_check(db: Database) -> None:
    """Stored g against g recomputed from the arm data: the agreement rate and every disagreement."""
    agree, checked = db.agreement
    if not checked:
        st.info("No row has both a stored g and the arm data to recompute it, so this check cannot be made here.")
        return
    st.markdown(
        f"Recomputed from the arm data (means and SDs, change scores or event counts), g agrees with the "
        f"database's stored g within {mp_effects.AGREEMENT_TOLERANCE} in **{agree} of {checked} rows** "
        f"({agree / checked:.1%})."
    )
    wrong = db.disagreements
    if len(wrong):
        flipped = int(((wrong["stored_g"] + wrong["recomputed_g"]).abs() < mp_effects.AGREEMENT_TOLERANCE).sum())
        note = (
            f" In {flipped} of them only the sign differs: often the database's authors turned a scale on which "
            "a higher score is better."
            if flipped
            else ""
        )
        st.markdown(f"The {len(wrong)} row(s) that differ (the stored g is used in the analysis).{note}")
        _table_panel(
            "Table: the rows where the stored and recomputed g differ",
            lambda: wrong.drop(columns=["agrees"])
            .round(3)
            .rename(
                columns={
                    "condition_arm1": "arm 1",
                    "condition_arm2": "arm 2",
                    "stored_g": "stored g",
                    "recomputed_g": "recomputed g",
                    "source": "recomputed from",
                }
            ),
            panel="check",
        )


def render_trials(db: Database, effects: pd.DataFrame, settings: Settings) -> None:
    """Trial-by-trial forest plot for the chosen family, or an honest too-few-trials state."""
    label = FAMILY_LABELS.get(settings.family or "", "this family")
    if effects.empty:
        st.info(f"No trials of {label.lower()} in this database at these settings.")
        return
    pooled = memo.computed(pooled_for, effects, settings.method, key=_key(db, settings))
    if pooled is None:
        st.warning(
            f"Too few trials to pool: {len(effects)} trial(s) of {label.lower()} at these settings; pooling needs "
            f"at least {stats.MIN_STUDIES_TO_POOL}. The trials are shown one by one, without a pooled estimate.",
            icon=":material/warning:",
        )
    else:
        st.markdown(
            f"Pooled g = **{pooled.estimate:.2f}** (95% CI {pooled.ci_low:.2f} to {pooled.ci_high:.2f}; "
            f"prediction interval {pooled.pi_low:.2f} to {pooled.pi_high:.2f}), {pooled.k} trials, "
            f"I² = {pooled.i2:.0%}, tau² = {pooled.tau2:.3f} ({pooled.method})."
        )
    widgets.render_chart(
        lambda: memo.figure(
            charts.forest_plot, forest_rows(effects), pooled, x_title=charts.THERAPY_G_AXIS, key=_key(db, settings)
        ),
        lambda: effects[
            ["study", "arms", "comparators", "n", "comparisons", "g", "se", "rob_level", "coding", "assumptions"]
        ].round(3),
        "Each square is one trial (the mean of its comparisons, see below) with its 95% CI. "
        "Hover for the arms compared, size and risk of bias.",
        panel="trials",
        title="psychodynamic trials one by one (forest plot)",
    )


def render_size_lens(db: Database, effects: pd.DataFrame, settings: Settings) -> None:
    """Small versus large trials, the large-trials-only re-pool, and the funnel plot with Egger's test."""
    threshold = settings.threshold
    label = FAMILY_LABELS.get(settings.family or "", "this family")
    if effects.empty:
        st.info(f"No trials of {label.lower()} at these settings.")
        return
    lens = memo.computed(size_lens, effects, threshold, settings.method, key=_key(db, settings))
    pooled_lens = lens[lens["g"].notna()]
    st.markdown(f"**{label}**, trials split at {threshold} participants:")
    st.markdown(
        "\n".join(
            f"- {widgets.escape(r['label'])}: "
            + (f"g = {_g(r)}, " if pd.notna(r["g"]) else "not pooled, ")
            + f"{r['studies']} trial{'s' if r['studies'] != 1 else ''}"
            for r in lens.to_dict("records")
        )
    )
    if pooled_lens.empty:
        st.info(f"Neither group has the {stats.MIN_STUDIES_TO_POOL} trials pooling needs.")
        st.dataframe(lens.drop(columns=["group"]).round(3), hide_index=True, width="stretch")
    else:
        widgets.render_chart(
            lambda: memo.figure(
                charts.family_forest,
                pooled_lens.assign(
                    estimate=pooled_lens["g"],
                    key=pooled_lens["group"],
                    detail=pooled_lens["studies"].astype(str) + " trials",
                ),
                key=_key(db, settings),
            ),
            lambda: lens.drop(columns=["group"]).round(3),
            "If small trials report clearly larger effects than large ones, the pooled estimate may be inflated "
            "by small-study effects such as unpublished negative trials.",
            panel="size-lens",
            title="large trials against small trials",
        )
    st.markdown(f"**Every family, large trials only** ({threshold} or more participants):")
    large = large_of(db, settings)
    if large.empty:
        st.info("No large trials at these settings.")
    else:
        _table_panel("Table: every family, large trials only", lambda: _summary_table(large), panel="large")
    egger = memo.computed(small_study_test, effects, key=_key(db, settings))
    if egger is None:
        st.info(
            f"{len(effects)} trial(s) of {label.lower()}: a funnel plot and Egger's test need at least "
            f"{stats.MIN_STUDIES_FOR_EGGER} trials, so none is shown."
        )
        return
    pooled = memo.computed(pooled_for, effects, settings.method, key=_key(db, settings))
    st.markdown(
        f"**Small-study effects** (Egger's test): intercept {egger.intercept:.2f} (95% CI "
        f"{egger.intercept_ci_low:.2f} to {egger.intercept_ci_high:.2f}), p = {egger.p_value:.3f}, k = {egger.k}."
    )
    widgets.render_chart(
        lambda: memo.figure(
            charts.funnel_plot,
            effects["g"],
            effects["se"],
            pooled,
            labels=effects["study"],
            x_title=charts.THERAPY_G_AXIS,
            key=_key(db, settings),
        ),
        lambda: effects[["study", "n", "g", "se"]].round(3),
        "Each dot is one trial: its g against its standard error. Egger's test (above) asks whether small "
        "trials report different effects from large ones; an intercept far from 0 suggests they do.",
        panel="funnel",
        title="funnel plot",
    )


def render_method(db: Database) -> None:
    """How the numbers are made for this database: direction, risk of bias, time, aggregation, codes."""
    st.markdown(
        f"- **One effect per trial.** {AGGREGATION_NOTE}\n"
        f"- **Pooling.** Random-effects meta-analysis (statsmodels), 95% CI from the normal distribution, "
        f"prediction interval from t with k−2 degrees of freedom; no pooled estimate below "
        f"{stats.MIN_STUDIES_TO_POOL} trials, no Egger's test below {stats.MIN_STUDIES_FOR_EGGER}.\n"
        "- **Direction of g.** Positive g favours the therapy (arm 1). The direction is decided for each outcome, "
        "not once per database: whether a higher value is better comes from the keyword tables below, and "
        "whether the stored g runs arm 1 minus arm 2 or the other way is checked against the arm data "
        "(see 'Outcomes and their direction').\n"
        "- **Effects from arm data.** Where a row has no stored g, g is computed as the Metapsy tools do: "
        "Hedges' g from means, SDs and ns or from change scores (statsmodels), and from event counts as the log "
        "odds ratio turned into g (0.5 added to every cell of a table with an empty cell).\n"
        f"- **Risk of bias.** {db.rob_rule.rule} Ratings are grouped as low / some concerns / high / not rated.\n"
        f"- **Time point.** {db.time_note}\n"
        f"- **Coding: {db.coding}.** {widgets.escape(db.coding_note)}\n"
        + "".join(f"- **Known data fault.** {widgets.escape(fault)}\n" for fault in db.faults)
        + "- **Therapy families.** Where a reviewed coding lists the codes, each treatment code (`condition_arm1`) "
        "has the family the coding gives it, and a code it does not list has none (not coded, never pooled). "
        "Otherwise each code is looked up in the database's codebook and its description matched against a fixed "
        "keyword table; codes the codebook does not define are matched by name. Codes neither can place are "
        "reported as unmapped, never guessed."
        + ("" if db.codebook_found else " No codebook was found for this database, so codes were matched by name only.")
    )
    with st.expander("Keyword tables: therapy families and outcomes"):
        st.markdown(keyword_tables_markdown())
    _table_panel(
        "Table: treatment codes and their therapy families",
        lambda: db.codes.assign(family=db.codes["family"].map(FAMILY_LABELS)),
        panel="codes",
    )


def keyword_tables_markdown() -> str:
    """The keyword tables that map names to therapy families and decide outcome directions, as markdown."""
    family_rows = [f"| {FAMILY_LABELS[f]} | {', '.join(f'“{w}”' for w in words)} |" for f, words in FAMILY_PHRASES]
    abbreviations: dict[str, list[str]] = {}
    for code, family in FAMILY_ABBREVIATIONS.items():
        abbreviations.setdefault(family, []).append(code)
    code_rows = [
        f"| {FAMILY_LABELS[f]} | {', '.join(widgets.code(c) for c in codes)} |" for f, codes in abbreviations.items()
    ]
    event_rows = [
        f"| {label} | {'higher' if higher else 'lower'} | {', '.join(f'“{w}”' for w in words)} |"
        for _, label, higher, words in mp_outcomes.EVENT_CLASSES
    ]
    return "\n".join(
        [
            "**Therapy families.** A code's codebook description (or the name itself) is matched against these "
            "phrases, in this order; the first match wins.",
            "",
            "| family | phrases |",
            "|---|---|",
            *family_rows,
            "",
            "Whole codes or names matched directly:",
            "",
            "| family | codes and names |",
            "|---|---|",
            *code_rows,
            "",
            "**Counted events.** The event a dichotomous row counts is read from its definition, type and outcome "
            "fields, most specific first:",
            "",
            "| event | better is | words |",
            "|---|---|---|",
            *event_rows,
            "",
            "**Scores.** A scale in the instrument lexicon (below) takes its direction from there; one that runs "
            "the other way from its domain (a quality-of-life scale among symptom scales) is its own outcome. "
            "Otherwise the outcome domain decides: lower is better for "
            + ", ".join(f"“{w}”" for w in mp_outcomes.LOWER_IS_BETTER)
            + "; it cannot be told for "
            + ", ".join(f"“{w}”" for w in mp_outcomes.MIXED_DOMAINS)
            + " (such domains mix scales of both kinds), nor, without the lexicon, for "
            + ", ".join(f"“{w}”" for w in mp_outcomes.HIGHER_IS_BETTER)
            + " (they hold scales where higher is worse, as EDQOL). In a file without an outcome domain, nothing "
            "says what a score measures: a scale the lexicon knows takes its direction from there, and every other "
            "score is left out of pooling, listed as one outcome (“"
            + mp_outcomes.NO_DOMAIN_LABEL
            + "”) with that reason. Anything else is left out of pooling and listed.",
            "",
            "**Instrument lexicon** (data/metapsy_coding.yaml), each direction with its source:",
            "",
            "| scale | better is | source |",
            "|---|---|---|",
            *(
                f"| {widgets.escape(i.name)} | {'higher' if i.higher_is_better else 'lower'} | {widgets.escape(i.source)} |"
                for i in mp_coding.lexicon()
            ),
        ]
    )
