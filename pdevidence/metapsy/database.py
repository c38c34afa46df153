"""A Metapsy database read from a path, URL or upload and normalised: families, effects, risk of bias."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from pdevidence.metapsy import effects, guard, outcomes
from pdevidence.metapsy.coding import AUTOMATIC, REVIEWED, DatabaseCoding, coding_for, reading_note
from pdevidence.metapsy.families import FAMILY_LABELS, NOT_CODED, UNMAPPED, map_code, parse_code_list
from pdevidence.metapsy.fetch import fetch
from pdevidence.metapsy.read import (
    EFFECT_COLUMN,
    EFFECT_SE_COLUMN,
    find_codebook,
    parse_codebook,
    read_table,
    to_number,
    validate_columns,
)
from pdevidence.metapsy.rob import RobRule, normalise_rob
from pdevidence.metapsy.sources import TIMEOUT_SECONDS, DatabaseInfo, info_for, is_url, name_from_source

# Pairs of per-arm sample-size columns, first found wins (analysed, then randomized).
SAMPLE_SIZE_PAIRS = ("n_arm", "rand_arm", "n_randomized_arm", "totaln_arm", ".totaln_arm", "n_change_arm")
TIME_POST = "post"
TIME_ALL = "all"


@dataclass(frozen=True)
class Database:
    """A Metapsy database, read and normalised. Frozen: one object is cached and shared by every session, so a
    changed attribute would reach them all; `dataclasses.replace` gives a new one.

    `rows` keeps every row of the file (no row is dropped) with the original
    columns plus: family, outcome (key), outcome_label, outcome_kind,
    higher_is_better, g (positive favours arm 1), se, g_source, g_stored,
    raw_g / raw_se / raw_source (computed from arm data), g_agrees, n,
    time_point, rob_level, has_effect, sign_basis (how the stored g's sign was
    read), coding (reviewed or automatic) and assumptions (each assumption the
    generic rules made for the row, "" when none).

    `outcomes` has one row per outcome with the direction rule used, whether it
    is pooled and why not; `checks` lists every row where the stored g could be
    recomputed from arm data.
    """

    name: str
    source: str
    rows: pd.DataFrame
    codes: pd.DataFrame
    comparators: dict[str, str]
    rob_rule: RobRule
    outcomes: pd.DataFrame
    checks: pd.DataFrame
    time_note: str
    codebook_found: bool
    coding: str = AUTOMATIC
    coding_note: str = ""
    faults: tuple[str, ...] = ()
    coding_problems: tuple[str, ...] = ()  # entries of the reviewed coding that do not fit this file
    info: DatabaseInfo = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.info is None:
            object.__setattr__(self, "info", info_for(self.name))

    # Derived values below are worked out once per database (functools.cached_property): a database's
    # tables are never changed after it is built.

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the normalised tables: it keys cached analyses of this database."""
        digest = hashlib.sha256(self.name.encode("utf-8", "replace"))
        for frame in (self.rows, self.codes, self.outcomes):
            try:
                hashed = pd.util.hash_pandas_object(frame, index=True)
            except TypeError:  # a cell pandas cannot hash (a list, say): hash its text instead
                hashed = pd.util.hash_pandas_object(frame.astype(str), index=True)
            digest.update(hashed.to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode("utf-8", "replace"))
        return digest.hexdigest()

    @cached_property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(self.codes.loc[self.codes["family"] == UNMAPPED, "code"])

    @cached_property
    def not_coded(self) -> tuple[str, ...]:
        """Codes of a reviewed database that its coding does not list: no family, never pooled as one."""
        return tuple(self.codes.loc[self.codes["family"] == NOT_CODED, "code"])

    @cached_property
    def families(self) -> tuple[str, ...]:
        present = set(self.rows["family"].dropna())
        return tuple(f for f in FAMILY_LABELS if f in present)

    @cached_property
    def pooled_outcomes(self) -> tuple[str, ...]:
        return tuple(self.outcomes.loc[self.outcomes["pooled"], "outcome"])

    @cached_property
    def default_outcome(self) -> str | None:
        """The primary continuous symptom outcome: lower is better, most trials; else the first pooled one."""
        pooled = self.outcomes[self.outcomes["pooled"]]
        symptoms = pooled[
            (pooled["kind"] == outcomes.CONTINUOUS) & (pooled["higher_is_better"] == False)  # noqa: E712 (a nullable boolean column)
        ]
        for part in (symptoms, pooled):
            if len(part):
                return str(part.sort_values(["studies", "rows"], ascending=False, kind="stable").iloc[0]["outcome"])
        return None

    @cached_property
    def _outcome_labels(self) -> dict:
        first = self.outcomes.drop_duplicates("outcome")
        return dict(zip(first["outcome"], first["label"].astype(str), strict=True))

    def outcome_label(self, key: str | None) -> str:
        return self._outcome_labels.get(key, str(key))

    @cached_property
    def agreement(self) -> tuple[int, int]:
        """Rows where stored g and g recomputed from arm data agree within 0.01, and rows checked."""
        checked = self.checks["agrees"].notna()
        return int(self.checks.loc[checked, "agrees"].astype(bool).sum()), int(checked.sum())

    @cached_property
    def disagreements(self) -> pd.DataFrame:
        return self.checks[self.checks["agrees"].notna() & ~self.checks["agrees"].astype(bool)]

    @cached_property
    def time_points(self) -> tuple[str, ...]:
        values = [t for t in self.rows["time_point"].dropna().unique() if t != TIME_POST]
        return (TIME_POST, *sorted(values), TIME_ALL)


def _sample_sizes(frame: pd.DataFrame, decimal: str) -> pd.Series:
    n = pd.Series(np.nan, index=frame.index)
    for prefix in SAMPLE_SIZE_PAIRS:
        a, b = f"{prefix}1", f"{prefix}2"
        if a in frame and b in frame:
            total = guard.usable_size(to_number(frame[a], decimal)) + guard.usable_size(to_number(frame[b], decimal))
            n = n.where(n.notna(), total)
    return n


def _time_points(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    if "time" not in frame or frame["time"].isna().all():
        return pd.Series(TIME_POST, index=frame.index), (
            "The database records no time point, so every row counts as post-treatment "
            "(Metapsy databases without one hold post-treatment outcomes)."
        )
    times = frame["time"].astype("string").str.strip().str.lower()
    times = times.replace({"posttest": TIME_POST, "post-treatment": TIME_POST, "post treatment": TIME_POST})
    missing = int(times.isna().sum())
    note = "Time points as recorded in the `time` column."
    if missing:
        note += f" {missing} row(s) without a time point are left out unless all time points are shown."
    return times.astype(object).where(times.notna(), None), note


OUTCOME_COLUMNS = [
    "outcome",
    "label",
    "kind",
    "higher_is_better",
    "rule",
    "pooled",
    "reason",
    "rows",
    "rows_with_effect",
    "studies",
    "sign_conflict",
]
CHECK_COLUMNS = [
    "study",
    "condition_arm1",
    "condition_arm2",
    "outcome",
    "instrument",
    "stored_g",
    "recomputed_g",
    "source",
    "agrees",
]


def _present(frame: pd.DataFrame, names: tuple[str, ...], decimal: str) -> pd.Series:
    ok = pd.Series(True, index=frame.index)
    for n in names:
        ok &= to_number(frame[n], decimal).notna() if n in frame else False
    return ok


def _apply_scores_coding(classes: pd.DataFrame, coded: DatabaseCoding | None) -> None:
    """In a file without an outcome column, the reviewed `scores` say what the scores the lexicon does not know
    measure and which way is better (the generic rules leave them without a direction)."""
    if coded is None or coded.scores is None:
        return
    unsettled = classes["direction_basis"].astype(str).str.startswith(outcomes.NO_DOMAIN)
    classes.loc[unsettled, "outcome"] = f"c-{outcomes.SYMPTOMS_KEY}"
    classes.loc[classes["outcome"] == f"c-{outcomes.SYMPTOMS_KEY}", "outcome_label"] = coded.scores.label
    classes.loc[unsettled, "higher_is_better"] = coded.scores.higher_is_better
    classes.loc[unsettled, "direction_basis"] = f"reviewed coding: {coded.scores.source}"


def _apply_outcome_coding(rows: pd.DataFrame, classes: pd.DataFrame, coded: DatabaseCoding | None) -> None:
    """Overrides the generic outcome of each row with the reviewed meaning of its outcome-column value (in place)."""
    _apply_scores_coding(classes, coded)
    if coded is None or not coded.outcome_column or coded.outcome_column not in rows:
        return
    values = rows[coded.outcome_column].astype("string").str.strip().str.lower()
    instruments = rows["instrument"] if "instrument" in rows else pd.Series(None, index=rows.index)
    # A value the reviewed coding does not list keeps its generic outcome but no direction: never pooled on a guess.
    unlisted = rows.index[~values.isin(list(coded.outcomes)).fillna(False).to_numpy()]
    classes.loc[unlisted, "higher_is_better"] = None
    classes.loc[unlisted, "direction_basis"] = f"its {coded.outcome_column} value is not in the reviewed coding"
    for value, meaning in coded.outcomes.items():
        mask = (values == value).fillna(False).to_numpy()
        if not mask.any():
            continue
        index = rows.index[mask]
        classes.loc[index, "outcome"] = f"{'d' if meaning.kind == outcomes.DICHOTOMOUS else 'c'}-{meaning.key}"
        classes.loc[index, "outcome_label"] = meaning.label
        classes.loc[index, "outcome_kind"] = meaning.kind
        classes.loc[index, "higher_is_better"] = meaning.higher_is_better
        classes.loc[index, "direction_basis"] = f"reviewed coding: {meaning.source}"
        if meaning.by_instrument:
            outcomes.split_by_instrument(classes, index, instruments, meaning.label)


def _sign_words(sign: int) -> str:
    return "arm 1 minus arm 2" if sign == 1 else "arm 2 minus arm 1"


def _outcome_convention(stored_g, raw_g, by_kind, kind, meaning) -> effects.Convention:
    convention = effects.storage_convention(stored_g, raw_g)
    reviewed = meaning.stored_sign if meaning is not None else None
    if reviewed is not None and convention.sign is not None and convention.sign != reviewed:
        # The arm data are followed (they are this file's own evidence), and the disagreement is shown.
        return replace(
            convention,
            conflict=(
                f"the reviewed coding says the stored g is {_sign_words(reviewed)} ({meaning.sign_source}), but the "
                f"arm data say {_sign_words(convention.sign)} ({convention.note}); the arm data are followed and "
                "the coding needs checking."
            ),
        )
    if convention.checked == 0 and meaning is not None and meaning.stored_sign is not None:
        return effects.Convention(meaning.stored_sign, 0, 0, f"reviewed coding, no arm data: {meaning.sign_source}")
    if convention.checked == 0 and by_kind[kind].sign is not None:
        other = by_kind[kind]
        return effects.Convention(
            other.sign, 0, 0, f"{NO_ARM_DATA_SIGN}; in the database's other {kind} rows, {other.note}"
        )
    return convention


LEXICON_BASIS = "instrument lexicon: "


def _basis_summary(bases: pd.Series) -> str:
    """What an outcome's direction rests on, over its rows: the scales of the lexicon, and any other basis."""
    counts = bases.astype(str).value_counts(sort=False)
    if len(counts) == 1:
        return str(counts.index[0])
    lexicon = counts[counts.index.str.startswith(LEXICON_BASIS)]
    names = [
        b[len(LEXICON_BASIS) :].split(", lower is better")[0].split(", higher is better")[0] for b in lexicon.index
    ]
    parts = [f"instrument lexicon for {int(lexicon.sum())} of {len(bases)} rows: {'; '.join(names)}"] if names else []
    parts += [f"{basis} ({n} rows)" for basis, n in counts.items() if not basis.startswith(LEXICON_BASIS)]
    return "; ".join(parts)


def _outcome_record(key, part: pd.DataFrame, usable: pd.Series, higher, convention, kind: str) -> dict:
    label = str(part["outcome_label"].iloc[0])
    basis = _basis_summary(part["direction_basis"])
    if higher is None:
        reason = f"cannot tell whether a higher value is better: {basis}"
    elif not usable.any():
        reason = "no row has a usable effect (no stored g whose sign could be checked, and no arm data)"
    else:
        reason = ""
    return {
        "outcome": key,
        "label": label,
        "kind": kind,
        "higher_is_better": higher,
        "rule": effects.direction_rule(label, higher, basis, convention, kind),
        "pooled": not reason,
        "reason": reason,
        "rows": int(len(part)),
        "rows_with_effect": int(usable.sum()),
        "studies": int(part.loc[usable, "study"].nunique()),
        "sign_conflict": convention.conflict,
    }


def _outcome_table(records: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(records, columns=OUTCOME_COLUMNS)
    table["higher_is_better"] = table["higher_is_better"].astype("boolean")
    order = {"continuous": 0, "dichotomous": 1}
    return table.sort_values(
        ["pooled", "kind", "studies"],
        ascending=[False, True, False],
        key=lambda c: c.map(order) if c.name == "kind" else c,
    ).reset_index(drop=True)


def _checks_table(rows: pd.DataFrame, stored_g: pd.Series) -> pd.DataFrame:
    both = rows["g_agrees"].notna()
    return pd.DataFrame(
        {
            "study": rows.loc[both, "study"],
            "condition_arm1": rows.loc[both, "condition_arm1"],
            "condition_arm2": rows.loc[both, "condition_arm2"],
            "outcome": rows.loc[both, "outcome_label"],
            "instrument": rows.loc[both, "instrument"] if "instrument" in rows else None,
            "stored_g": stored_g[both],
            "recomputed_g": rows.loc[both, "g_recomputed"],
            "source": rows.loc[both, "raw_source"].map(effects.SOURCE_LABELS),
            "agrees": rows.loc[both, "g_agrees"],
        },
        columns=CHECK_COLUMNS,
    )


def _classify(rows: pd.DataFrame, codebook: dict[str, str], decimal: str, coded) -> tuple[pd.DataFrame, pd.DataFrame]:
    has_events = _present(rows, ("event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2"), decimal)
    has_scores = _present(rows, ("mean_arm1", "mean_arm2"), decimal) | _present(
        rows, ("mean_change_arm1", "mean_change_arm2"), decimal
    )
    classes = outcomes.classify(rows, codebook, has_events, has_scores)
    _apply_outcome_coding(rows, classes, coded)
    return classes, effects.raw_effects(rows, decimal, classes["outcome_kind"])


def _effects(
    rows: pd.DataFrame, codebook: dict[str, str], decimal: str, coded: DatabaseCoding | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adds outcome, direction and effect columns to `rows` (in place); returns the outcome table and the checks."""
    nan = pd.Series(np.nan, index=rows.index)
    stored_g = to_number(rows[EFFECT_COLUMN], decimal) if EFFECT_COLUMN in rows else nan
    stored_se = to_number(rows[EFFECT_SE_COLUMN], decimal) if EFFECT_SE_COLUMN in rows else nan
    classes, raw = _classify(rows, codebook, decimal, coded)
    for frame in (classes, raw):
        for column in frame.columns:
            rows[column] = frame[column]
    rows["g_stored"] = stored_g
    rows["g"], rows["se"], rows["g_recomputed"] = np.nan, np.nan, np.nan
    rows["g_source"] = pd.Series(None, index=rows.index, dtype=object)
    rows["sign_basis"] = pd.Series("", index=rows.index, dtype=object)
    rows["g_agrees"] = pd.array([pd.NA] * len(rows), dtype="boolean")
    kinds = classes["outcome_kind"]
    by_kind = {
        kind: effects.storage_convention(stored_g[kinds == kind], raw["raw_g"][kinds == kind])
        for kind in (outcomes.CONTINUOUS, outcomes.DICHOTOMOUS)
    }
    meanings = {
        f"{'d' if m.kind == outcomes.DICHOTOMOUS else 'c'}-{m.key}": m
        for m in (coded.outcomes.values() if coded else ())
    }
    records = []
    for key, index in rows.groupby("outcome", sort=False).groups.items():
        part = rows.loc[index]
        kind = str(part["outcome_kind"].iloc[0])
        higher = part["higher_is_better"].iloc[0]
        higher = None if pd.isna(higher) else bool(higher)
        meaning = meanings.get(str(key)) or meanings.get(str(key).rsplit("~", 1)[0])
        convention = _outcome_convention(stored_g[index], raw.loc[index, "raw_g"], by_kind, kind, meaning)
        turned = effects.turned_effects(stored_g[index], stored_se[index], raw.loc[index], higher, convention)
        rows.loc[index, "g"] = turned["g"]
        rows.loc[index, "se"] = turned["se"]
        rows.loc[index, "g_source"] = turned["g_source"]
        rows.loc[index, "sign_basis"] = convention.note
        rows.loc[index, "g_recomputed"] = raw.loc[index, "raw_g"] * (convention.sign or 1)
        rows.loc[index, "g_agrees"] = effects.agreement(stored_g[index], raw.loc[index, "raw_g"], convention).astype(
            "boolean"
        )
        usable = turned["g"].notna() & turned["se"].notna() & np.isfinite(turned["se"]) & (turned["se"] > 0)
        records.append(_outcome_record(key, part, usable, higher, convention, kind))
    rows["g"] = rows["g"].astype(float)
    rows["se"] = rows["se"].astype(float)
    rows["has_effect"] = guard.usable_effect(rows["g"], rows["se"])
    return _outcome_table(records), _checks_table(rows, stored_g)


def applicable_coding(frame: pd.DataFrame, name: str, from_catalogue: bool) -> tuple[DatabaseCoding | None, str]:
    """The reviewed coding of a catalogued database read from its own file, or None with the reason."""
    coded = coding_for(name) if from_catalogue else None
    if coded is None:
        why = "an upload or an address" if not from_catalogue else "a database without a reviewed coding"
        return None, f"Read by the generic rules ({why}): outcomes, directions and families are automatic."
    missing = [c for c in coded.columns if c not in frame.columns]
    if missing:
        return None, (
            f"The reviewed coding of {name} expects column(s) {', '.join(missing)}, which this file lacks: "
            "read by the generic rules instead."
        )
    return coded, f"Read by the reviewed coding of {name} ({reading_note(coded)})."


def _apply_layout(frame: pd.DataFrame, coded: DatabaseCoding | None) -> pd.DataFrame:
    if coded is None or not (coded.rename or coded.constant):
        return frame
    frame = frame.rename(columns=coded.rename)
    for column, value in coded.constant.items():
        if column not in frame:
            frame[column] = value
    return frame


def _codes_table(arm1: pd.Series, codebook: dict[str, str], coded: DatabaseCoding | None) -> pd.DataFrame:
    definitions = {**parse_code_list(codebook.get("condition_arm2")), **parse_code_list(codebook.get("condition_arm1"))}
    mappings = [map_code(code, definitions) for code in sorted(arm1.dropna().unique(), key=str.lower)]
    counts = arm1.value_counts()
    records = []
    for m in mappings:
        family, basis = m.family, m.basis
        if coded is not None and m.code.lower() in coded.families:
            family, source = coded.families[m.code.lower()]
            basis = f"reviewed coding: {source}"
        elif coded is not None and coded.families:
            # The reviewed coding lists the database's codes; one it does not list is never placed by its name.
            family, basis = NOT_CODED, f"not in the reviewed coding of {coded.name}: no family (never matched by name)"
        records.append(
            {
                "code": m.code,
                "description": m.description,
                "family": family,
                "basis": basis,
                "rows": int(counts.get(m.code, 0)),
            }
        )
    codes = pd.DataFrame(records, columns=["code", "description", "family", "basis", "rows"])
    if arm1.isna().any():
        codes.loc[len(codes)] = {
            "code": "(missing)",
            "description": None,
            "family": UNMAPPED,
            "basis": "unmapped",
            "rows": int(arm1.isna().sum()),
        }
    return codes


def _row_families(
    rows: pd.DataFrame, arm1: pd.Series, codes: pd.DataFrame, coded: DatabaseCoding | None
) -> tuple[pd.Series, tuple[str, ...]]:
    """Each row's family, and the coding's `studies` entries that match no row of this file (stale entries)."""
    families = dict(zip(codes["code"], codes["family"], strict=True))
    family = arm1.map(families).astype(object).where(arm1.notna(), UNMAPPED)
    unmatched = []
    if coded is not None and coded.studies:
        # Keys are "study | arm-1 code": an arm inside a wider code, never the trial's other arms.
        key = rows["study"].astype("string").str.strip().str.lower() + " | " + arm1.str.lower()
        for name, (fam, _source) in coded.studies.items():
            hit = (key == name).fillna(False)
            if not hit.any():
                unmatched.append(name)
            family = family.where(~hit, fam)
    return family, tuple(unmatched)


GENERIC_FAMILY_BASIS = {"codebook": "its codebook description", "code name": "its name", "combination": "its parts"}
NO_ARM_DATA_SIGN = "no row of this outcome has arm data"


def row_assumptions(rows: pd.DataFrame, codes: pd.DataFrame, arm1: pd.Series, time_recorded: bool) -> pd.Series:
    """Per row, each assumption the generic rules made for it ("" when its reading rests on sources alone).

    Directions by keyword, families by codebook text or name, a stored-g sign borrowed
    from the database's other rows, a post-treatment time point without a `time` column. The reviewed coding and
    the instrument lexicon are sources, not assumptions; rows left without a direction or family are never pooled.
    """
    basis = rows["direction_basis"].astype("string").fillna("")
    generic = rows["higher_is_better"].notna() & ~basis.str.startswith(("reviewed coding", "instrument lexicon"))
    parts = [("direction by the generic rules: " + basis).where(generic, "")]
    code_family = arm1.map(dict(zip(codes["code"], codes["family"], strict=True)))
    code_basis = arm1.map(dict(zip(codes["code"], codes["basis"], strict=True)))
    by_rule = code_basis.isin(list(GENERIC_FAMILY_BASIS)) & (rows["family"] == code_family).fillna(False)
    family_text = (
        "family by the generic rules: “" + arm1.fillna("") + "” read as "
        + rows["family"].map(FAMILY_LABELS).fillna("") + " (by " + code_basis.map(GENERIC_FAMILY_BASIS).fillna("") + ")"
    )  # fmt: skip
    parts.append(family_text.where(by_rule, ""))
    borrowed = (rows["g_source"] == "stored") & rows["sign_basis"].astype("string").str.startswith(NO_ARM_DATA_SIGN)
    parts.append(("sign of the stored g: " + rows["sign_basis"].astype("string")).where(borrowed.fillna(False), ""))
    if not time_recorded:
        parts.append(pd.Series("no `time` column: counted as post-treatment", index=rows.index))
    joined = pd.Series("", index=rows.index, dtype="string")
    for part in parts:
        part = part.astype("string").fillna("")
        joined = joined + ((joined != "") & (part != "")).map({True: "; ", False: ""}).astype("string") + part
    return joined.astype(object)


def build_database(
    frame: pd.DataFrame, codebook: dict | None, name: str, source: str, *, from_catalogue: bool = False
) -> Database:
    """Normalise a raw Metapsy table (see read_table) into a Database."""
    coded, coding_note = applicable_coding(frame, name, from_catalogue)
    frame = _apply_layout(frame, coded)
    validate_columns(frame, source)
    codebook = {str(k): str(v) for k, v in (codebook or {}).items()}
    decimal = frame.attrs.get("decimal", ",")
    rows = frame.copy()
    rows["n"] = _sample_sizes(rows, decimal)
    rows["time_point"], time_note = _time_points(rows)
    if coded is not None:
        time_note = f"{time_note} Reviewed: {coded.time_note}"
    rows["rob_level"], rob_rule = normalise_rob(rows, codebook)
    outcome_table, checks = _effects(rows, codebook, decimal, coded)
    arm1 = rows["condition_arm1"].astype("string").str.strip()
    codes = _codes_table(arm1, codebook, coded)
    rows["family"], unmatched = _row_families(rows, arm1, codes, coded)
    problems = tuple(
        f"the reviewed coding moves the arm “{name}” (study | code) to another family, but no row of this file "
        "has that study and code: the entry is stale or misspelt, and nothing was moved"
        for name in unmatched
    )
    rows["coding"] = REVIEWED if coded is not None else AUTOMATIC
    rows["assumptions"] = row_assumptions(rows, codes, arm1, "time" in frame and frame["time"].notna().any())
    comparator_defs = {k.lower(): v for k, v in parse_code_list(codebook.get("condition_arm2")).items()}
    comparators = {
        code: comparator_defs.get(code.lower(), code)
        for code in sorted(rows["condition_arm2"].dropna().astype(str).str.strip().unique(), key=str.lower)
    }
    rows["condition_arm2"] = rows["condition_arm2"].astype("string").str.strip().astype(object)
    return Database(
        name=name,
        source=source,
        rows=rows,
        codes=codes,
        comparators=comparators,
        rob_rule=rob_rule,
        outcomes=outcome_table,
        checks=checks,
        time_note=time_note,
        codebook_found=bool(codebook),
        coding=REVIEWED if coded is not None else AUTOMATIC,
        coding_note=coding_note + "".join(f" Coding problem: {p}." for p in problems),
        coding_problems=problems,
        faults=coded.faults if coded is not None else (),
    )


def read_database(
    source,
    *,
    codebook=None,
    name: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
    catalogued: bool | None = None,
) -> Database:
    """Read a Metapsy database from a path, a URL, or the bytes of an uploaded file.

    The codebook (a dict, or JSON bytes/text) is looked for beside a path or
    URL when not given; without one, treatment codes are mapped by name only.
    `catalogued` says the data are a catalogue database's own file (its reviewed
    coding applies): by default true for a local path, false for bytes and URLs.
    """
    if isinstance(source, (bytes, bytearray)):
        label = name or "uploaded file"
        frame = read_table(bytes(source), label)
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
        return build_database(frame, book, name or "uploaded", label, from_catalogue=bool(catalogued))
    source = str(source)
    data = fetch(source, timeout) if is_url(source) else guard.read_local(source)
    if codebook is None:
        book = find_codebook(source, timeout)
    else:
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
    frame = read_table(data, source)
    from_catalogue = (not is_url(source)) if catalogued is None else catalogued
    return build_database(frame, book, name or name_from_source(source), source, from_catalogue=from_catalogue)


def database_files(directory: Path | None) -> dict[str, Path]:
    """The Metapsy CSV files in a folder, by database name."""
    if directory is None or not Path(directory).is_dir():
        return {}
    return {path.stem: path for path in sorted(Path(directory).glob("*.csv"))}
