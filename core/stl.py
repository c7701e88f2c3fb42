"""Statutory time limit (STL) engine: per-offence STL dates, RAG bands, reviews and bail ends.

Why this module exists
----------------------
A summary-only offence must be prosecuted within six months (MCA 1980 s.127), and a handful of
statutes replace that limit for particular offences. Missing the date ends the case for good,
so Casewatch computes the last lawful day for every open offence, says *which rule* produced
it (``StlResult.rule`` / ``source`` / ``note``), and bands each case so supervisors can see
what is at risk. The rules are those in ``shared/reference/domain.md`` (R0–R7, R12, R13).

Design principles
-----------------
* **Pure.** Every function takes the dates it needs; nothing reads the clock.
* **Conservative.** Where the law is unsettled (domain.md "UNCONFIRMED") the behaviour is a
  :class:`StlPolicy` setting whose default gives the *earlier* date. Unknown offences and
  missing offence dates are reported as such (band ``UNKNOWN``) — never as "no limit".
* **Fast.** :func:`offence_stl` runs about a million times per load, so it avoids
  ``dateutil``, builds no intermediate objects on the common path and reuses constant notes.
* **Inclusive deadlines.** ``stl_date`` is the last day on which proceedings may be commenced
  (R0: corresponding-date rule, event day excluded; DPP v Jackson 2025). Commencing *on*
  ``stl_date`` is in time; the next day is out of time.

Rule codes (``StlResult.rule``)
-------------------------------
``S127``
    Six calendar months from the offence date (MCA 1980 s.127(1)).
``S39A``
    Domestic-abuse common assault/battery with a victim statement or video-recorded interview:
    the earlier of 6 months from the first statement/VRI and 2 years from the offence, never
    earlier than the s.127 date (CJA 1988 s.39A(4), inserted by PCSCA 2022 s.49).
``S39A_EXTENDABLE``
    DA-flagged common assault/battery with no statement/VRI yet: the s.127 date applies now;
    ``extendable=True`` and ``long_stop_date`` = offence + 24 months (the most s.39A could give).
``RTOA_S6`` / ``AWA_S31`` / ``CA2003_S127`` / ``WCA_S20``
    Evidence-knowledge limits (R4): ``max(s127, min(knowledge + 6 months, offence + L years))``
    with L = 3 (RTOA 1988 s.6, AWA 2006 s.31, CA 2003 s.127(5)) or 2 (WCA 1981 s.20(2)).
    Without a knowledge date (no prosecutor's certificate) the s.127 date applies
    (Burwell v DPP) and ``extendable=True``. Only for summary-only offences (MCA s.127(2)(b)).
``CHECK_S22``
    Low-value criminal damage (MCA 1980 s.22): either-way in law, tried summarily; whether
    s.127 applies is UNCONFIRMED, so the 6-month date is shown as a warning (R1).
``NO_STATUTORY_LIMIT``
    Either-way or indictable-only offence: no s.127 limit (MCA 1980 s.127(2)). ``stl_date`` None.
``UNKNOWN_OFFENCE``
    Code not in the offence reference (or a non-criminal category) and no mode of trial in the
    extract. ``stl_date`` None, band ``UNKNOWN`` — never treated as "no limit" (R1).
``MISSING_OFFENCE_DATE``
    Summary offence (or CHECK_S22) without a usable offence date. ``stl_date`` None, band
    ``UNKNOWN`` (R16: a data-quality red flag, not "safe").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from core.calendar import add_months, end_of_period_beginning_with
from core.offences import EITHER_WAY, INDICTABLE_ONLY, SUMMARY, OffenceRef

__all__ = [
    # rule codes
    "S127",
    "S39A",
    "S39A_EXTENDABLE",
    "RTOA_S6",
    "AWA_S31",
    "CA2003_S127",
    "WCA_S20",
    "CHECK_S22",
    "NO_STATUTORY_LIMIT",
    "UNKNOWN_OFFENCE",
    "MISSING_OFFENCE_DATE",
    "RULES",
    "RULE_SOURCES",
    "KNOWLEDGE_RULES",
    # bands
    "BLACK",
    "RED",
    "AMBER",
    "GREEN",
    "COMMENCED",
    "NO_LIMIT",
    "UNKNOWN",
    "BAND_ORDER",
    "BAND_LABELS",
    "BAND_DESCRIPTIONS",
    # review statuses
    "REVIEW_OVERDUE",
    "REVIEW_DUE",
    "REVIEW_OK",
    "REVIEW_UNKNOWN",
    # bail
    "BAIL_LEVELS",
    "PCSCA_BAIL_COMMENCEMENT",
    "PCA2017_BAIL_COMMENCEMENT",
    # types and functions
    "StlPolicy",
    "OffenceFacts",
    "StlResult",
    "BandThresholds",
    "DEFAULT_POLICY",
    "DEFAULT_THRESHOLDS",
    "offence_stl",
    "band_for",
    "days_remaining",
    "case_stl",
    "worst_band",
    "review_due_date",
    "review_status",
    "pre_charge_bail_end",
]

# ---------------------------------------------------------------------------------------
# Rule codes
# ---------------------------------------------------------------------------------------
S127 = "S127"
S39A = "S39A"
S39A_EXTENDABLE = "S39A_EXTENDABLE"
RTOA_S6 = "RTOA_S6"
AWA_S31 = "AWA_S31"
CA2003_S127 = "CA2003_S127"
WCA_S20 = "WCA_S20"
CHECK_S22 = "CHECK_S22"
NO_STATUTORY_LIMIT = "NO_STATUTORY_LIMIT"
UNKNOWN_OFFENCE = "UNKNOWN_OFFENCE"
MISSING_OFFENCE_DATE = "MISSING_OFFENCE_DATE"

RULES: dict[str, str] = {
    S127: "Six calendar months from the offence date",
    S39A: "Domestic-abuse common assault/battery: 6 months from first victim statement/VRI, 2-year long stop",
    S39A_EXTENDABLE: "Domestic-abuse common assault/battery, no statement/VRI yet: s.127 date, extendable to the 2-year long stop",
    RTOA_S6: "Road traffic: 6 months from prosecutor's knowledge, 3-year long stop",
    AWA_S31: "Animal welfare: 6 months beginning with prosecutor's knowledge, 3-year long stop",
    CA2003_S127: "Improper use of a public communications network: 6 months beginning with knowledge, 3-year long stop",
    WCA_S20: "Wildlife: 6 months from prosecutor's knowledge, 2-year long stop",
    CHECK_S22: "Low-value criminal damage: 6-month date shown as a warning (s.127 application unconfirmed)",
    NO_STATUTORY_LIMIT: "Either-way or indictable-only: no statutory time limit",
    UNKNOWN_OFFENCE: "Offence not recognised and no mode of trial: check",
    MISSING_OFFENCE_DATE: "Summary offence with no usable offence date: check",
}
"""Rule code -> one-line description for display."""

RULE_SOURCES: dict[str, str] = {
    S127: "MCA 1980 s.127(1); Interpretation Act 1978 Sch 1; Dodds v Walker [1981] 1 WLR 1027",
    S39A: "CJA 1988 s.39A(4) (PCSCA 2022 s.49); DPP v Jackson [2025] (KBD)",
    S39A_EXTENDABLE: "MCA 1980 s.127(1); CJA 1988 s.39A(2)-(4) not yet engaged",
    RTOA_S6: "Road Traffic Offenders Act 1988 s.6; MCA 1980 s.127",
    AWA_S31: "Animal Welfare Act 2006 s.31; MCA 1980 s.127",
    CA2003_S127: "Communications Act 2003 s.127(5)-(7); DPP v Jinks [2024] EWHC 3342 (Admin)",
    WCA_S20: "Wildlife and Countryside Act 1981 s.20(2); MCA 1980 s.127",
    CHECK_S22: "MCA 1980 ss.22 and 127 (application of s.127 to s.22 offences UNCONFIRMED)",
    NO_STATUTORY_LIMIT: "MCA 1980 s.127(2); Interpretation Act 1978 Sch 1",
    UNKNOWN_OFFENCE: "Offence reference (CJS Offence Index); domain.md R1",
    MISSING_OFFENCE_DATE: "MCA 1980 s.127(1) (offence date required); domain.md R16",
}
"""Rule code -> legal source shown next to every computed date."""

KNOWLEDGE_RULES: frozenset[str] = frozenset({RTOA_S6, AWA_S31, CA2003_S127, WCA_S20})
"""The R4 evidence-knowledge rules."""

_DEFAULT_LONG_STOP_YEARS = ((RTOA_S6, 3), (AWA_S31, 3), (CA2003_S127, 3), (WCA_S20, 2))

# Conservatism ranking of modes of trial: lower gives an earlier (or any) STL date.
_MODE_RANK = {SUMMARY: 0, EITHER_WAY: 1, INDICTABLE_ONLY: 2}
_MODE_SYNONYMS = {
    "S": SUMMARY,
    "SUMMARY ONLY": SUMMARY,
    "SUMMARY_ONLY": SUMMARY,
    "EW": EITHER_WAY,
    "EITHER WAY": EITHER_WAY,
    "EITHER-WAY": EITHER_WAY,
    "I": INDICTABLE_ONLY,
    "IO": INDICTABLE_ONLY,
    "INDICTABLE": INDICTABLE_ONLY,
    "INDICTABLE ONLY": INDICTABLE_ONLY,
    "INDICTABLE-ONLY": INDICTABLE_ONLY,
}

# ---------------------------------------------------------------------------------------
# Policy, inputs and results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StlPolicy:
    """Settings for points of law that domain.md marks UNCONFIRMED. Defaults are conservative.

    date_range_from_start
        R2. For a *non-continuing* offence pleaded over a date range, compute the STL from the
        start date (True, earlier) or from the end date (False). The other date's result is
        always reported as ``alt_stl_date``. Continuing offences always run from the end date
        (Luton BC v Altavon Luton Ltd [2019] EWHC 2415 (Admin)).
    s39a_applies_before_commencement
        R3. Whether CJA 1988 s.39A applies to offences committed before it came into force
        (``s39a_commencement``, 28 Jun 2022). Default False: plain s.127 (earlier).
    s39a_commencement
        Commencement of PCSCA 2022 s.49 (28 Jun 2022).
    low_value_damage_threshold_gbp
        R1. MCA 1980 s.22 "relevant sum" for criminal damage (£5,000; "does not exceed", so a
        value of exactly £5,000 is low value).
    check_s22_uses_s127
        R1. Show the 6-month date as a ``CHECK_S22`` warning for low-value damage (True) or
        treat those either-way offences as having no limit (False).
    mode_conflict_conservative
        When the offence reference and the extract's own mode of trial disagree, use whichever
        gives the earlier date (True) or always the reference (False). A note records either.
    knowledge_beginning_with
        R4 rules whose 6-month knowledge leg reads "beginning with" (R0b, one day shorter):
        CA 2003 s.127(5)(b) (confirmed) and AWA 2006 s.31(1)(b) (wording UNCONFIRMED; the
        "beginning with" reading is the earlier date).
    long_stop_beginning_with
        R4 rules whose long stop reads "beginning with" the offence day (R0b): CA 2003
        s.127(5)(a) and AWA 2006 s.31(1)(a) ("three years beginning with the date of the
        commission of the offence"). RTOA s.6 and WCA s.20 say "after" (add_months).
    default_long_stop_years
        Long stop in years per R4 rule, used when the offence reference gives none.
    """

    date_range_from_start: bool = True
    s39a_applies_before_commencement: bool = False
    s39a_commencement: date = date(2022, 6, 28)
    low_value_damage_threshold_gbp: float | int | Decimal = 5000
    check_s22_uses_s127: bool = True
    mode_conflict_conservative: bool = True
    knowledge_beginning_with: frozenset[str] = frozenset({CA2003_S127, AWA_S31})
    long_stop_beginning_with: frozenset[str] = frozenset({CA2003_S127, AWA_S31})
    default_long_stop_years: tuple[tuple[str, int], ...] = _DEFAULT_LONG_STOP_YEARS
    _long_stops: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Rules missing from a custom tuple keep their statutory default.
        object.__setattr__(self, "_long_stops", dict(_DEFAULT_LONG_STOP_YEARS) | dict(self.default_long_stop_years))


@dataclass(frozen=True, slots=True)
class OffenceFacts:
    """The facts about one alleged offence that the STL depends on. Only the code is required.

    ``mode_of_trial`` is the extract's own value (SUMMARY / EITHER_WAY / INDICTABLE_ONLY or
    None). ``victim_statement_date`` / ``vri_date`` are the s.39A(2)/(3) condition dates;
    ``knowledge_date`` is the prosecutor's certified knowledge date for R4 rules; ``value_gbp``
    is the value involved (criminal damage s.22, shop theft s.22A).
    """

    offence_code: str
    mode_of_trial: str | None = None
    offence_start_date: date | None = None
    offence_end_date: date | None = None
    is_continuing: bool | None = None
    da_flag: bool | None = None
    victim_statement_date: date | None = None
    vri_date: date | None = None
    knowledge_date: date | None = None
    value_gbp: float | int | Decimal | None = None


@dataclass(frozen=True, slots=True)
class StlResult:
    """The STL for one offence and how it was worked out.

    stl_date
        Last day (inclusive) on which proceedings may be commenced; None if no limit/unknown.
    rule, source
        Rule code (see module docstring) and its legal source.
    alt_stl_date
        For a date-range offence: the date computed from the *other* end of the range (R2).
        For a missing start date: the date computed from the end date, if any.
    long_stop_date
        The absolute long stop of an extended rule (s.39A, R4), when one applies.
    extendable
        True if later events (a victim statement, a knowledge certificate) could move
        ``stl_date`` later — it is the current, not the final, answer.
    note
        Human-readable explanation of any judgement applied (empty on the plain path).
    mode_of_trial
        The mode of trial the engine applied (None if unknown).
    """

    stl_date: date | None
    rule: str
    source: str
    alt_stl_date: date | None = None
    long_stop_date: date | None = None
    extendable: bool = False
    note: str = ""
    mode_of_trial: str | None = None


DEFAULT_POLICY = StlPolicy()

_NOTE_S22 = (
    "Low-value criminal damage (MCA 1980 s.22): either-way but tried summarily; whether the "
    "6-month limit applies is UNCONFIRMED, so the s.127 date is shown as a warning"
)
_NOTE_PRE_S39A = (
    "offence before CJA 1988 s.39A came into force (28 Jun 2022): s.127 applies "
    "(policy s39a_applies_before_commencement=False)"
)
_NOTE_CONTINUING = "continuing offence: time runs from the last day (Luton BC v Altavon Luton Ltd [2019] EWHC 2415 (Admin))"
_NOTE_CONTINUING_NO_END = "continuing offence with no end date: computed from the start date (conservative)"
_NOTE_NO_CERT = "no certificate: s.127 applies (Burwell v DPP)"


_S127_SOURCE = RULE_SOURCES[S127]
_PLAIN_S127: dict[date, StlResult] = {}
_PLAIN_CACHE_MAX = 200_000
_NO_LIMIT_RESULTS = {
    m: StlResult(None, NO_STATUTORY_LIMIT, RULE_SOURCES[NO_STATUTORY_LIMIT], mode_of_trial=m)
    for m in (EITHER_WAY, INDICTABLE_ONLY)
}


def _normalise_mode(mode: str) -> str | None:
    m = mode.strip().upper()
    if m in _MODE_RANK:
        return m
    m = _MODE_SYNONYMS.get(m, m.replace(" ", "_").replace("-", "_"))
    return m if m in _MODE_RANK else None


@lru_cache(maxsize=1 << 16)
def _fmt(d: date) -> str:
    return d.strftime("%d %b %Y")


def _rule_at(
    base: date,
    special: str,
    check_s22: bool,
    facts: OffenceFacts,
    ref: OffenceRef | None,
    policy: StlPolicy,
) -> tuple[date, str, date | None, bool, str]:
    """STL for an offence treated as committed on ``base``: (stl, rule, long_stop, extendable, note)."""
    s127 = add_months(base, 6)
    if check_s22:
        return s127, CHECK_S22, None, False, _NOTE_S22

    if special == "DA_S39A" and facts.da_flag:
        if base < policy.s39a_commencement and not policy.s39a_applies_before_commencement:
            return s127, S127, None, False, _NOTE_PRE_S39A
        long_stop = add_months(base, 24)
        statement, vri = facts.victim_statement_date, facts.vri_date
        if statement is None:
            condition = vri
        elif vri is None or statement <= vri:
            condition = statement
        else:
            condition = vri
        if condition is None:
            return (
                s127,
                S39A_EXTENDABLE,
                long_stop,
                True,
                "domestic abuse, no victim statement/VRI yet: s.127 date applies now; a statement "
                f"would extend it under CJA 1988 s.39A, at most to the two-year long stop {_fmt(long_stop)}",
            )
        from_condition = add_months(condition, 6)
        if from_condition <= long_stop:
            stl = from_condition
            note = f"s.39A: 6 months from first statement/VRI on {_fmt(condition)}"
        else:
            stl = long_stop
            note = f"s.39A: two-year long stop {_fmt(long_stop)} is earlier than 6 months from statement/VRI on {_fmt(condition)}"
        if stl < s127:  # only possible with a condition date before the offence (bad data)
            stl = s127
            note = f"statement/VRI date {_fmt(condition)} is before the offence date (check data): s.127 date used"
        return stl, S39A, long_stop, False, note

    if special in KNOWLEDGE_RULES:
        years = ref.long_stop_years if ref is not None and ref.long_stop_years else policy._long_stops[special]
        if special in policy.long_stop_beginning_with:
            long_stop = end_of_period_beginning_with(base, 12 * years)
        else:
            long_stop = add_months(base, 12 * years)
        knowledge = facts.knowledge_date
        if knowledge is None:
            return s127, special, long_stop, True, _NOTE_NO_CERT
        if special in policy.knowledge_beginning_with:
            from_knowledge = end_of_period_beginning_with(knowledge, 6)
            wording = "beginning with"
        else:
            from_knowledge = add_months(knowledge, 6)
            wording = "from"
        if from_knowledge <= long_stop:
            stl = from_knowledge
            note = f"6 months {wording} knowledge date {_fmt(knowledge)}"
        else:
            stl = long_stop
            note = f"{years}-year long stop {_fmt(long_stop)} is earlier than 6 months {wording} knowledge date {_fmt(knowledge)}"
        if stl < s127:
            stl = s127
            note = f"knowledge-based date is earlier than the s.127 date; s.127 date used (knowledge {_fmt(knowledge)})"
        return stl, special, long_stop, False, note

    return s127, S127, None, False, ""


def offence_stl(facts: OffenceFacts, ref: OffenceRef | None, policy: StlPolicy = DEFAULT_POLICY) -> StlResult:
    """Compute the statutory time limit for one alleged offence (rules R1–R5, R16).

    Legal sources: MCA 1980 s.127(1)-(2) (six months; not for indictable incl. either-way
    offences, nor any other summary limit for them, s.127(2)(b)); CJA 1988 s.39A (PCSCA 2022
    s.49); RTOA 1988 s.6; AWA 2006 s.31; CA 2003 s.127(5); WCA 1981 s.20(2); MCA 1980 s.22;
    month counting per ``core.calendar.add_months`` (Dodds v Walker; DPP v Jackson).

    Mode of trial: the offence reference (``ref``) wins over the extract's own
    ``facts.mode_of_trial``; if they disagree and the extract's mode gives an earlier answer
    (SUMMARY < EITHER_WAY < INDICTABLE_ONLY), that is used instead (``policy.
    mode_conflict_conservative``) and the note says so. Special rules apply only where the
    reference itself says SUMMARY (CHECK_S22: EITHER_WAY).

    Dates: ``stl_date`` is inclusive (the last day to commence). The offence date is the end
    date for a continuing offence, the start date for a non-continuing date range (policy
    ``date_range_from_start``; the other end is reported as ``alt_stl_date``), otherwise the
    start date. An end date before the start date is treated as the earlier date (noted).
    Missing dates: no start date on a dated rule -> ``MISSING_OFFENCE_DATE`` (stl None);
    missing statement/VRI -> ``S39A_EXTENDABLE``; missing knowledge date -> s.127 date.
    Unknown code and no extract mode -> ``UNKNOWN_OFFENCE`` (never "no limit").
    """
    notes: list[str] = []

    # 1. Mode of trial -------------------------------------------------------------------
    ext_mode = facts.mode_of_trial
    if ext_mode is not None and ext_mode not in _MODE_RANK:
        cleaned = _normalise_mode(ext_mode) if isinstance(ext_mode, str) else None
        if cleaned is None and str(ext_mode).strip():
            notes.append(f"unrecognised mode of trial {ext_mode!r} in extract ignored")
        ext_mode = cleaned
    if ref is not None:
        ref_mode = ref.mode_of_trial
        special = ref.special_rule
    else:
        ref_mode = None
        special = "NONE"

    if ref_mode is None:
        if ext_mode is None:
            if ref is None:
                notes.append(f"offence code {facts.offence_code!r} not in the offence reference and no mode of trial in the extract: check")
            else:
                notes.append(f"category {ref.category!r} is not a criminal offence category and no mode of trial in the extract: check")
            return StlResult(None, UNKNOWN_OFFENCE, RULE_SOURCES[UNKNOWN_OFFENCE], note="; ".join(notes))
        mode = ext_mode
        special = "NONE"
        notes.append(
            "offence code not in the offence reference: mode of trial taken from the extract"
            if ref is None
            else f"category {ref.category!r} has no mode of trial: mode taken from the extract"
        )
    elif ext_mode is None or ext_mode == ref_mode:
        mode = ref_mode
    elif policy.mode_conflict_conservative and _MODE_RANK[ext_mode] < _MODE_RANK[ref_mode]:
        mode = ext_mode
        special = "NONE"
        notes.append(
            f"mode of trial conflict: reference says {ref_mode}, extract says {ext_mode}; "
            f"using {ext_mode} (earlier, conservative)"
        )
    else:
        mode = ref_mode
        notes.append(f"mode of trial conflict: reference says {ref_mode}, extract says {ext_mode}; using the reference")

    # 2. Is there a limit at all? ---------------------------------------------------------
    check_s22 = False
    if mode != SUMMARY:
        if mode == EITHER_WAY and special == "CHECK_S22":
            value = facts.value_gbp
            if not policy.check_s22_uses_s127:
                notes.append("low-value damage: 6-month warning switched off by policy")
            elif value is not None and value > policy.low_value_damage_threshold_gbp:
                notes.append(f"value £{value} exceeds the MCA 1980 s.22 sum: either-way, no limit")
            else:
                check_s22 = True
        elif special != "NONE" and special != "CHECK_S22":
            notes.append(f"{special} applies only to summary-only offences (MCA 1980 s.127(2)(b))")
        if not check_s22:
            if not notes:
                return _NO_LIMIT_RESULTS[mode]
            return StlResult(
                None, NO_STATUTORY_LIMIT, RULE_SOURCES[NO_STATUTORY_LIMIT], note="; ".join(notes), mode_of_trial=mode
            )

    # 3. Which date does time run from? ---------------------------------------------------
    start, end = facts.offence_start_date, facts.offence_end_date
    alt_base: date | None = None
    if start is None:
        if end is not None and facts.is_continuing:
            base: date | None = end
            notes.append(_NOTE_CONTINUING)
        else:
            base = None
            alt_base = end
    elif end is None or end == start:
        base = start
        if facts.is_continuing and end is None:
            notes.append(_NOTE_CONTINUING_NO_END)
    elif end < start:
        base, alt_base = end, start
        notes.append("offence end date is before the start date (check data): computed from the earlier date")
    elif facts.is_continuing:
        base = end
        notes.append(_NOTE_CONTINUING)
    elif policy.date_range_from_start:
        base, alt_base = start, end
        notes.append("date range: computed from the start date (conservative); alt date computed from the end date")
    else:
        base, alt_base = end, start
        notes.append("date range: computed from the end date (policy); alt date computed from the start date")

    # 4. Apply the rule ------------------------------------------------------------------
    if (
        base is not None
        and not notes
        and alt_base is None
        and not check_s22
        and (special == "NONE" or (special == "DA_S39A" and not facts.da_flag))
    ):
        # Plain s.127 (the large majority): the result depends only on the date, and
        # StlResult is immutable, so one instance per date is shared.
        try:
            return _PLAIN_S127[base]
        except KeyError:
            pass
        try:
            result = StlResult(add_months(base, 6), S127, _S127_SOURCE, mode_of_trial=SUMMARY)
        except (ValueError, OverflowError):
            result = None
        if result is not None:
            if len(_PLAIN_S127) >= _PLAIN_CACHE_MAX:
                _PLAIN_S127.clear()
            _PLAIN_S127[base] = result
            return result
    try:
        alt = _rule_at(alt_base, special, check_s22, facts, ref, policy)[0] if alt_base is not None else None
        if base is None:
            notes.append(
                "no offence start date: STL unknown"
                + (f"; computed from the end date it would be {_fmt(alt)} (latest possible)" if alt else "")
            )
            return StlResult(
                None,
                MISSING_OFFENCE_DATE,
                RULE_SOURCES[MISSING_OFFENCE_DATE],
                alt_stl_date=alt,
                note="; ".join(notes),
                mode_of_trial=mode,
            )
        stl, rule, long_stop, extendable, rule_note = _rule_at(base, special, check_s22, facts, ref, policy)
    except (ValueError, OverflowError):
        notes.append("offence date out of range: STL cannot be computed")
        return StlResult(
            None, MISSING_OFFENCE_DATE, RULE_SOURCES[MISSING_OFFENCE_DATE], note="; ".join(notes), mode_of_trial=mode
        )

    if rule_note:
        if not notes:
            return StlResult(stl, rule, RULE_SOURCES[rule], alt, long_stop, extendable, rule_note, mode)
        notes.append(rule_note)
    return StlResult(stl, rule, RULE_SOURCES[rule], alt, long_stop, extendable, "; ".join(notes), mode)


# ---------------------------------------------------------------------------------------
# Bands (R12)
# ---------------------------------------------------------------------------------------
BLACK = "BLACK"
RED = "RED"
AMBER = "AMBER"
GREEN = "GREEN"
COMMENCED = "COMMENCED"
NO_LIMIT = "NO_LIMIT"
UNKNOWN = "UNKNOWN"

BAND_ORDER: tuple[str, ...] = (BLACK, RED, UNKNOWN, AMBER, GREEN, COMMENCED, NO_LIMIT)
"""Bands from most to least severe (``worst_band`` picks the earliest in this tuple)."""

BAND_LABELS: dict[str, str] = {
    BLACK: "⬛ BLACK – STL passed",
    RED: "🔴 RED",
    UNKNOWN: "❓ UNKNOWN",
    AMBER: "🟠 AMBER",
    GREEN: "🟢 GREEN",
    COMMENCED: "✅ COMMENCED",
    NO_LIMIT: "➖ NO LIMIT",
}
"""Band -> text and icon (never colour alone)."""

BAND_DESCRIPTIONS: dict[str, str] = {
    BLACK: "The STL has passed without proceedings, or proceedings were commenced after it",
    RED: "STL within the red thresholds: file not submitted, or no charge decision, close to the limit",
    UNKNOWN: "STL cannot be worked out (unknown offence or missing offence date): check now",
    AMBER: "STL within the amber threshold and the file is not yet submitted",
    GREEN: "STL not yet close",
    COMMENCED: "Proceedings commenced on or before the STL",
    NO_LIMIT: "No statutory time limit (either-way or indictable-only)",
}

_BAND_RANK = {band: i for i, band in enumerate(BAND_ORDER)}


@dataclass(frozen=True, slots=True)
class BandThresholds:
    """R12 RAG thresholds in days before the STL (local policy, not law; inclusive).

    red_days_unsubmitted: RED if this close and the file is not submitted (default 14).
    red_days_uncharged: RED if this close and proceedings not commenced, submitted or not (7).
    amber_days_unsubmitted: AMBER if this close and the file is not submitted (42).
    """

    red_days_unsubmitted: int = 14
    red_days_uncharged: int = 7
    amber_days_unsubmitted: int = 42


DEFAULT_THRESHOLDS = BandThresholds()


def band_for(
    stl_date: date | None,
    rule: str | None,
    as_of: date,
    submitted_date: date | None,
    commenced_date: date | None,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> str:
    """RAG band for one offence (or a case, given its governing STL) as at ``as_of`` (R2, R12).

    Source: STL status per domain.md R2 (commenced in time if the stop event is on or before
    ``stl_date``; expired if ``as_of`` is after it); RAG thresholds are local policy (R12).

    Order of tests: rule ``NO_STATUTORY_LIMIT`` -> NO_LIMIT; ``stl_date`` None -> UNKNOWN;
    commenced (``commenced_date <= as_of``) on/before ``stl_date`` -> COMMENCED, after it ->
    BLACK; not commenced and ``as_of > stl_date`` -> BLACK; with ``days = stl_date - as_of``:
    RED if (days <= red_days_unsubmitted and not submitted) or days <= red_days_uncharged;
    AMBER if days <= amber_days_unsubmitted and not submitted; otherwise GREEN.

    Bounds are inclusive: on the STL day (days = 0) the band is RED (still in time); the day
    after, BLACK. Events dated after ``as_of`` count as not yet happened; missing
    ``submitted_date``/``commenced_date`` mean not submitted/not commenced. Arguments are
    ``datetime.date`` values (not datetimes).
    """
    if rule == NO_STATUTORY_LIMIT:
        return NO_LIMIT
    if stl_date is None:
        return UNKNOWN
    if commenced_date is not None and commenced_date <= as_of:
        return COMMENCED if commenced_date <= stl_date else BLACK
    if as_of > stl_date:
        return BLACK
    days = (stl_date - as_of).days
    submitted = submitted_date is not None and submitted_date <= as_of
    if days <= thresholds.red_days_uncharged or (not submitted and days <= thresholds.red_days_unsubmitted):
        return RED
    if not submitted and days <= thresholds.amber_days_unsubmitted:
        return AMBER
    return GREEN


def days_remaining(stl_date: date | None, as_of: date | None) -> int | None:
    """Whole days from ``as_of`` to ``stl_date`` (0 on the STL day, negative once passed).

    ``None`` if either date is missing. Source: domain.md R2 (days_remaining = stl_date - today).
    """
    if stl_date is None or as_of is None:
        return None
    return (stl_date - as_of).days


def case_stl(offences: Sequence[tuple[StlResult, date | None]], as_of: date) -> tuple[date | None, int | None]:
    """Case-level STL: (date, index of the governing offence) per domain.md R5.

    ``offences`` is a sequence of ``(StlResult, commenced_date)`` for the charges on one case.
    The case STL is the earliest ``stl_date`` among offences not commenced as at ``as_of``
    (``commenced_date`` None or after ``as_of``), because each summary charge times out on its
    own even when others are commenced. If no open offence has a date, the earliest date
    overall is returned (so a fully-commenced case still has a date to band as COMMENCED/BLACK).
    ``(None, None)`` if no offence has a date. Ties go to the lower index. Note that an open
    offence with an *unknown* STL is not reflected here: band each offence and use
    :func:`worst_band` for the case band.
    """
    best_open: tuple[date, int] | None = None
    best_any: tuple[date, int] | None = None
    for i, (result, commenced) in enumerate(offences):
        d = result.stl_date
        if d is None:
            continue
        if best_any is None or d < best_any[0]:
            best_any = (d, i)
        if (commenced is None or commenced > as_of) and (best_open is None or d < best_open[0]):
            best_open = (d, i)
    chosen = best_open or best_any
    return (chosen[0], chosen[1]) if chosen else (None, None)


def worst_band(bands: Iterable[str]) -> str:
    """The most severe band by :data:`BAND_ORDER`. An empty input gives UNKNOWN (nothing to
    show is not "safe"); an unrecognised band raises ``ValueError``."""
    worst = len(BAND_ORDER)
    for band in bands:
        try:
            rank = _BAND_RANK[band]
        except KeyError:
            raise ValueError(f"unknown band {band!r}") from None
        if rank < worst:
            worst = rank
            if rank == 0:
                break
    return BAND_ORDER[worst] if worst < len(BAND_ORDER) else UNKNOWN


# ---------------------------------------------------------------------------------------
# Supervisory reviews (R13)
# ---------------------------------------------------------------------------------------
REVIEW_OVERDUE = "OVERDUE"
REVIEW_DUE = "DUE"
REVIEW_OK = "OK"
REVIEW_UNKNOWN = "UNKNOWN"


def review_due_date(last_review_date: date | None, start_date: date | None, period_days: int = 28) -> date | None:
    """Next supervisory review due date (R13; force policy, not law — the 28-day national
    standard is UNCONFIRMED in domain.md, so ``period_days`` is configurable).

    Due = ``last_review_date + period_days``, or ``start_date`` (allocation/creation date)
    ``+ period_days`` if never reviewed. Missing both -> ``None``. The due date is the last
    day on which the review is still on time (inclusive).
    """
    if last_review_date is not None:
        return last_review_date + timedelta(days=period_days)
    if start_date is not None:
        return start_date + timedelta(days=period_days)
    return None


def review_status(due_date: date | None, as_of: date, due_soon_days: int = 7) -> str:
    """Review status as at ``as_of`` (R13): OVERDUE if ``as_of > due_date``; DUE if the due
    date is within ``due_soon_days`` (inclusive, including the due day itself); else OK.
    Missing due date -> UNKNOWN. Source: force supervision policy (domain.md R13, section 8)."""
    if due_date is None:
        return REVIEW_UNKNOWN
    if as_of > due_date:
        return REVIEW_OVERDUE
    if (due_date - as_of).days <= due_soon_days:
        return REVIEW_DUE
    return REVIEW_OK


# ---------------------------------------------------------------------------------------
# Pre-charge bail (R7)
# ---------------------------------------------------------------------------------------
BAIL_LEVELS = ("INITIAL", "INSPECTOR", "SUPERINTENDENT", "COURT")
PCSCA_BAIL_COMMENCEMENT = date(2022, 10, 28)
PCA2017_BAIL_COMMENCEMENT = date(2017, 4, 3)

# months beginning with the bail start date: (standard, designated)
_BAIL_MONTHS_2022 = {
    "INITIAL": (3, 6),
    "INSPECTOR": (6, 6),
    "SUPERINTENDENT": (9, 12),
    "COURT": (12, 18),
}


def pre_charge_bail_end(arrest_date: date | None, level: str = "INITIAL", designated: bool = False) -> date | None:
    """Last day of the applicable pre-charge bail period (ABP) for an arrest (R7), inclusive.

    Legal source: PACE 1984 ss.47ZA–47ZG as amended by PCSCA 2022 s.45 and Sch 4 (in force
    28 Oct 2022, S.I. 2022/1075; arrests on or after that date). The bail start date is the
    day after the arrest day (s.47ZB); periods run "beginning with" it (R0b):

    * INITIAL: 3 months (6 months in designated FCA/HMRC/NCA/SFO cases);
    * INSPECTOR (s.47ZD): 6 months (designated cases already start at 6 — no change);
    * SUPERINTENDENT (s.47ZDA; s.47ZDB designated): 9 months (12 designated);
    * COURT (s.47ZF): 12 months (18 designated). Later court extensions (s.47ZG, up to 24
      months) are for the period the court orders: use the recorded date.

    Arrests 3 Apr 2017 – 27 Oct 2022 (Policing and Crime Act 2017 regime): INITIAL and
    INSPECTOR 28 days beginning with the bail start date; SUPERINTENDENT 3 months. Court
    extensions under that regime and designated-case variations are not modelled -> ``None``.
    Arrests before 3 Apr 2017 (no statutory bail limit) -> ``None``.

    Missing arrest date -> ``None``. ``None`` means "no computable statutory end", not
    "no expiry". A ``datetime`` arrest is truncated to its date. Unknown ``level`` raises
    ``ValueError``.
    """
    if arrest_date is None:
        return None
    if isinstance(arrest_date, datetime):
        arrest_date = arrest_date.date()
    level = level.strip().upper()
    if level not in BAIL_LEVELS:
        raise ValueError(f"unknown bail level {level!r}; expected one of {BAIL_LEVELS}")
    bail_start = arrest_date + timedelta(days=1)
    if arrest_date >= PCSCA_BAIL_COMMENCEMENT:
        months = _BAIL_MONTHS_2022[level][1 if designated else 0]
        return end_of_period_beginning_with(bail_start, months)
    if arrest_date >= PCA2017_BAIL_COMMENCEMENT:
        if level in ("INITIAL", "INSPECTOR"):
            return bail_start + timedelta(days=27)
        if level == "SUPERINTENDENT" and not designated:
            return end_of_period_beginning_with(bail_start, 3)
        return None
    return None
