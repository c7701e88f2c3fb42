"""Seeded generator for the synthetic custody and case-file extracts (Norfolk 36, Suffolk 37).

Every person, officer, team member, custody record and case in the output is invented. Officer
names come from a list of made-up surnames (``A. Testwell``) and defendants are called
``Synthetic Person 0012345``. Offence codes, titles and modes of trial are real CJS Offence Index
entries (see ``OFFENCES``); two deliberately unknown local codes (``UNKNOWN_OFFENCES``) exercise the
"UNKNOWN - check" path.

Why it is built this way
------------------------
* Deterministic: one ``numpy.random.Generator`` per force and purpose, seeded from
  ``(seed, force_code, stream)``; no clock is read. The extract date ``anchor`` is an argument. The
  same seed, anchor, size and forces give byte-identical files (the XLSX carries a fixed creation
  date, and xlsxwriter writes fixed zip timestamps).
* Vectorised: each force is built as numpy arrays (one element per case, per defendant, per offence
  row or per custody record) and written through pyarrow + DuckDB ``COPY``, so a million case-file
  rows take seconds, not minutes. Nothing loops over rows except the optional XLSX writer.
* Timelines first, then the extract date: every case gets a full timeline of day offsets from its
  creation (submitted to CJS, triage, rejections and resubmissions, sent to CPS, CPS decision or
  action plan, charge, first hearing, trial, closure). A case is then placed so that the anchor
  falls in a chosen part of that timeline ("open pre-charge", "awaiting first hearing", "after first
  hearing", "closed"); dates after the anchor are left empty, except scheduled ones (first hearing,
  trial, upgrade-file due date, bail return). ``file_stage`` and ``file_status`` are read off the
  timeline, so they always agree with the dates.
* STL bands are placed on purpose: cases whose offences carry a six-month date (summary-only, and
  low-value criminal damage, which the engine flags CHECK_S22) run faster and stay GREEN; slow
  cases take no six-month companion offences; and small, explicitly chosen sets of summary cases
  get offence dates that make them BLACK (limit passed, never commenced), RED or AMBER at the
  anchor date.

Column semantics that the contract leaves open are documented in ``sample_data/README.md``:
``cjs_triage_date``/``cjs_triage_outcome``/``rejection_reasons`` describe the *first* CJS triage of the
file (first-time quality); ``resubmission_count`` counts resubmissions so far; ``cps_decision`` is the
latest CPS decision and ``action_plan_reasons`` keeps the reasons of an earlier action plan.

CLI: ``python -m sample_data.generate [--out DIR] [--anchor YYYY-MM-DD] [--seed N] [--case-rows N]
[--forces 36,37] [--xlsx]``. The committed sample is ``--out sample_data --xlsx`` with the default
seed (36) and anchor (2026-11-24).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_loaders.contract import CASE_FILES, CUSTODY

DEFAULT_ANCHOR = dt.date(2026, 11, 24)
DEFAULT_SEED = 36
DEFAULT_OUT = Path("var") / "sample_data"

NEVER = 1_000_000
"""Day offset used for an event that never happens; always later than any extract date."""
NA = -(10**9)
"""Absolute day number meaning "no date"."""

# --------------------------------------------------------------------------------------------
# Offences
# --------------------------------------------------------------------------------------------

SUMMARY, EITHER_WAY, INDICTABLE_ONLY = "SUMMARY", "EITHER_WAY", "INDICTABLE_ONLY"


@dataclass(frozen=True)
class OffenceSpec:
    """One offence the generator uses, with how cases for it typically run.

    Probabilities are per case file whose principal (first) offence is this one.
    """

    code: str
    title: str
    mode: str
    weight: float
    """Relative frequency as the principal offence of a case file."""
    da: float
    """Probability the case is flagged domestic abuse."""
    custody_charge: float
    """Probability the suspect is charged (or charged and remanded) straight from custody."""
    arrest: float
    """Probability of arrest when not charged from custody (otherwise voluntary interview or postal)."""
    ngap: float
    """Probability of an anticipated not-guilty plea."""
    work: str
    """Which teams investigate: general, roads, cid or sexual (DA cases go to safeguarding)."""
    reserved: bool
    """Charging decision reserved to the CPS whatever the plea (DG6 Annex 1)."""
    remand: float
    hate: float
    companions: tuple[str, str, str, str]
    """Offences commonly charged alongside (second and later offences are drawn from these)."""
    continuing: float = 0.0
    value: str = ""
    """Distribution for value_gbp: shop, damage, theft, fraud or empty."""
    knowledge: bool = False
    """Carries an evidence-knowledge date (RTOA 1988 s.6, Communications Act 2003 s.127)."""

    @property
    def typically_da(self) -> bool:
        return self.da >= 0.5


def _o(code, title, mode, weight, da, cust, arrest, ngap, work, reserved, remand, hate, comp, **kw):
    return OffenceSpec(code, title, mode, weight, da, cust, arrest, ngap, work, reserved, remand, hate, comp, **kw)


S, E, I = SUMMARY, EITHER_WAY, INDICTABLE_ONLY
# fmt: off
OFFENCES: tuple[OffenceSpec, ...] = (
    # ---- summary only (CJS category CS / CM) ----
    _o("CJ88001", "Common assault", S, 7.0, .62, .45, .85, .50, "general", False, .05, .02, ("CD71039", "CJ88116", "PH97004", "SE20002")),
    _o("CJ88116", "Assault by beating", S, 5.0, .62, .45, .85, .50, "general", False, .05, .02, ("CD71039", "CJ88001", "CJ88116", "SE20002")),
    _o("PU86149", "Use threatening / abusive words / behaviour likely to cause harassment, alarm or distress", S, 2.2, .0, .60, .60, .25, "general", False, .0, .12, ("CJ67002", "PL96003", "CJ88160", "CD71039")),
    _o("PU86116", "Use threatening / abusive / insulting words / behaviour to cause harassment / alarm / distress", S, 1.3, .04, .50, .70, .35, "general", False, .01, .20, ("PU86149", "CD71039", "CJ88160", "PL96003")),
    _o("PU86004", "Use threatening / abusive / insulting words / behaviour with intent to cause fear of / provoke unlawful violence", S, 1.3, .05, .50, .75, .35, "general", False, .02, .12, ("PU86149", "CD71039", "CJ88144", "CJ88116")),
    _o("CJ67002", "Drunk and disorderly in a public place", S, 1.8, .0, .90, .90, .08, "general", False, .0, .0, ("PU86149", "PL96003", "CJ88160", "CD71039")),
    _o("RT88007", "Drive motor vehicle when alcohol level above limit", S, 4.0, .0, .75, .95, .07, "roads", False, .0, .0, ("RA88001", "RT88333", "RT88575", "RT88218")),
    _o("RT88010", "Fail to provide specimen for analysis - vehicle driver", S, .7, .0, .70, .95, .20, "roads", False, .0, .0, ("RA88001", "RT88333", "RT88575", "PL96003")),
    _o("RT88584", "Drive motor vehicle with a proportion of a specified controlled drug above the specified limit", S, 2.2, .0, .04, .90, .12, "roads", False, .0, .0, ("RA88001", "MD71530", "RT88333", "MD71210")),
    _o("RA88001", "Use a motor vehicle on a road / public place without third party insurance", S, 2.2, .0, .06, .20, .10, "roads", False, .0, .0, ("RT88333", "RT88575", "RT88218", "RT88007"), knowledge=True),
    _o("RT88333", "Drive whilst disqualified", S, 1.3, .0, .60, .90, .12, "roads", False, .03, .0, ("RA88001", "RA88001", "RT88575", "RT88218")),
    _o("RT88575", "Drive a mechanically propelled vehicle on a road / in a public place without due care and attention", S, 1.1, .0, .04, .20, .30, "roads", False, .0, .0, ("RA88001", "RT88218", "RT88333", "RA88001")),
    _o("RT88218", "Driver of a vehicle fail to stop after a road accident", S, .5, .0, .20, .50, .30, "roads", False, .0, .0, ("RT88575", "RA88001", "RT88333", "RT88007")),
    _o("PH97004", "Harassment without violence", S, 1.4, .55, .30, .75, .50, "general", True, .02, .03, ("CA03005", "CD71039", "PH97004", "CJ88001"), continuing=.6),
    _o("PH97006", "Stalking without fear / alarm / distress", S, .4, .60, .30, .80, .55, "general", True, .02, .0, ("CA03005", "CD71039", "SE20002", "PH97004"), continuing=.9),
    _o("PL96003", "Obstruct / resist a constable in execution of duty", S, .7, .0, .70, .80, .20, "general", False, .0, .0, ("CJ67002", "PU86149", "CJ88160", "MD71530")),
    _o("PL96001", "Assault a constable in the execution of his / her duty", S, .2, .0, .70, .90, .30, "general", False, .02, .0, ("PL96003", "PU86149", "CJ67002", "CD71039")),
    _o("BA76001", "Fail to surrender to police / court bail at the appointed time", S, .7, .0, .90, .95, .10, "general", False, .10, .0, ("TH68010", "CJ88001", "PU86149", "MD71530")),
    _o("CA03005", "Send by public communication network an offensive / indecent / obscene / menacing message / matter", S, .6, .45, .15, .50, .40, "general", False, .0, .05, ("PH97004", "CA03005", "CD71039", "SE20002"), knowledge=True),
    _o("TH68050", "Take a motor vehicle without the owners consent", S, .5, .0, .40, .80, .20, "general", False, .02, .0, ("RA88001", "RT88333", "CD71039", "RT88575")),
    # ---- either way (CJS category CE) ----
    _o("CJ88159", "Common assault of an emergency worker", E, 2.0, .0, .75, .90, .35, "general", False, .02, .03, ("PU86149", "CJ67002", "PL96003", "CJ88160")),
    _o("CJ88160", "Assault by beating of an emergency worker", E, 1.8, .0, .75, .90, .35, "general", False, .02, .03, ("PU86149", "CJ67002", "PL96003", "CD71039")),
    _o("OF61102", "Assault a person thereby occasioning them actual bodily harm", E, 5.0, .40, .35, .90, .55, "general", True, .14, .03, ("CD71039", "CJ88001", "SC15005", "SE20002")),
    _o("OF61131", "Wound / inflict grievous bodily harm without intent", E, 1.2, .25, .40, .95, .60, "cid", True, .35, .02, ("OF61102", "CJ88144", "PU86003", "CD71039")),
    _o("TH68010", "Theft from a shop", E, 8.5, .0, .55, .70, .15, "general", False, .07, .0, ("TH68010", "TH68010", "BA76001", "CJ88144"), value="shop"),
    _o("CD71039", "Criminal damage to property - value under £5000", E, 4.5, .30, .45, .75, .25, "general", False, .02, .03, ("CJ88001", "PU86149", "CJ88116", "CD71039"), value="damage"),
    _o("MD71530", "Possess a controlled drug of Class B - Cannabis / Cannabis Resin", E, 2.0, .0, .20, .60, .10, "general", False, .0, .0, ("MD71210", "RT88584", "CJ88144", "PL96003")),
    _o("MD71210", "Possess a controlled drug of Class A - Cocaine", E, 1.2, .0, .20, .70, .15, "general", False, .0, .0, ("MD71530", "RT88584", "CJ88144", "PL96003")),
    _o("MD71230", "Possess with intent to supply a controlled drug of Class A - Cocaine", E, 1.2, .0, .40, .95, .50, "cid", False, .55, .0, ("MD71231", "MD71530", "CJ88144", "MD71210")),
    _o("MD71231", "Possess with intent to supply a controlled drug of Class A - Heroin", E, .8, .0, .40, .95, .50, "cid", False, .55, .0, ("MD71230", "MD71230", "CJ88144", "MD71210")),
    _o("TH68036", "Burglary dwelling and theft - no violence", E, 1.0, .0, .40, .90, .40, "cid", False, .50, .0, ("TH68073", "CD71039", "TH68013", "TH68037"), value="theft"),
    _o("TH68026", "Burglary dwelling - with intent to steal", E, .4, .0, .40, .90, .40, "cid", False, .25, .0, ("CD71039", "TH68036", "TH68073", "CJ88144")),
    _o("TH68037", "Burglary other than dwelling - theft", E, .8, .0, .40, .90, .35, "cid", False, .15, .0, ("CD71039", "TH68073", "TH68037", "TH68020"), value="theft"),
    _o("SX03007", "Sexual assault on a female", E, .8, .20, .15, .80, .80, "sexual", True, .05, .0, ("SX03007", "CJ88116", "SX03007", "PH97004")),
    _o("FL96001", "Breach a non-molestation order - Family Law Act 1996", E, 1.2, 1.0, .60, .90, .50, "general", True, .22, .0, ("CJ88001", "CD71039", "FL96001", "CA03005")),
    _o("SC15004", "Engage in controlling / coercive behaviour in an intimate / family relationship", E, 1.3, 1.0, .25, .85, .75, "general", True, .10, .0, ("OF61102", "CJ88116", "SC15005", "CD71039"), continuing=1.0),
    _o("SC15005", "Intentional strangulation", E, .8, .95, .40, .95, .65, "general", True, .30, .0, ("OF61102", "CJ88116", "CD71039", "SC15004")),
    _o("SE20002", "Harassment - breach of a restraining order on conviction", E, 1.2, .75, .65, .90, .40, "general", True, .22, .0, ("CJ88001", "CA03005", "SE20002", "CD71039")),
    _o("CJ88144", "Possess knife blade / sharp pointed article in a public place - Criminal Justice Act 1988", E, 1.3, .0, .50, .90, .35, "general", False, .10, .0, ("MD71530", "PU86003", "MD71230", "PU86004")),
    _o("PU86003", "Affray", E, .8, .0, .45, .90, .50, "general", True, .08, .05, ("CJ88144", "CJ88160", "PU86149", "OF61102")),
    _o("TH68073", "Handle stolen goods", E, .6, .0, .30, .70, .40, "general", False, .03, .0, ("TH68073", "TH68013", "TH68020", "FA06001"), value="theft"),
    _o("FA06001", "Fraud by false representation - Fraud Act 2006", E, .8, .05, .20, .60, .40, "cid", False, .02, .0, ("FA06001", "FA06001", "TH68020", "TH68073"), value="fraud"),
    _o("TH78011", "Make off without making payment", E, .6, .0, .40, .60, .15, "general", False, .0, .0, ("TH78011", "BA76001", "CJ67002", "TH68010"), value="shop"),
    _o("OF61014", "Threats to kill", E, .5, .55, .35, .90, .60, "general", True, .15, .02, ("CD71039", "CJ88001", "CA03005", "SE20002")),
    _o("PH97010", "Stalking involving fear of violence", E, .4, .60, .30, .85, .60, "general", True, .10, .0, ("CA03005", "CD71039", "SE20002", "PH97004"), continuing=.9),
    _o("TH68001", "Theft from the person of another", E, .4, .0, .40, .85, .35, "general", False, .05, .0, ("TH68073", "CJ88001", "TH68001", "TH68020"), value="theft"),
    _o("TH68013", "Theft of motor vehicle", E, .4, .0, .40, .85, .30, "cid", False, .05, .0, ("RA88001", "RT88333", "CD71039", "TH68073"), value="theft"),
    _o("TH68020", "Theft - other - including theft by finding", E, 1.0, .05, .30, .60, .20, "general", False, .0, .0, ("TH68020", "TH68073", "CD71039", "FA06001"), value="theft"),
    _o("DA21001", "Breach of domestic abuse protection order", E, .2, 1.0, .60, .90, .35, "general", True, .12, .0, ("CJ88001", "CA03005", "CD71039", "DA21001")),
    # ---- indictable only (CJS category CI) ----
    _o("TH68023", "Robbery", I, 1.0, .0, .45, .95, .60, "cid", True, .70, .02, ("TH68023", "CJ88144", "OF61102", "TH68001")),
    _o("OF61016", "Section 18 - wounding with intent", I, .5, .20, .60, .95, .70, "cid", True, .80, .02, ("CJ88144", "OF61131", "PU86003", "CD71039")),
    _o("SX03002", "Rape a woman 16 years of age or over - SOA 2003", I, .3, .35, .10, .70, .85, "sexual", True, .10, .0, ("SX03007", "SC15004", "OF61102", "SX03002")),
)
# fmt: on

UNKNOWN_OFFENCES: tuple[tuple[str, str], ...] = (
    ("XX00901", "Force local offence code - not in the CJS Offence Index"),
    ("XX00902", "Force local code - breach of local order (legacy)"),
)
"""Codes deliberately absent from the CJS Offence Index; written with an empty mode_of_trial."""

_CODE_INDEX = {o.code: i for i, o in enumerate(OFFENCES)}
_DA_COMMON_ASSAULT = {"CJ88001", "CJ88116"}
_VICTIMLESS = {"BA76001", "CJ67002", "CJ88144", "PL96003", "TH68050"}
_LOW_LEVEL = {"TH68010", "MD71530", "CD71039", "PU86149", "CJ67002", "CJ88001", "CJ88116", "TH78011", "TH68020", "PL96003", "MD71210"}

NFS_REJECTION_REASONS: tuple[str, ...] = (
    "Case material not correctly received",
    "No/missing disclosure schedule",
    "No MG3",
    "No/incomplete supervisor's comments",
    "No DA (DV) checklist",
    "No/missing MG11s",
    "No/missing exhibits",
    "No summary of interview",
    "Missing suspect's previous convictions",
    "Missing victim/witness previous convictions",
    "Hard media not provided",
    "Third-party material not provided",
    "Incomplete OIC contact details",
)
_NFS_WEIGHTS = np.array([5, 12, 5, 10, 7, 14, 10, 9, 8, 6, 6, 4, 3], dtype=float)
_NFS_DA_CHECKLIST = 4

DGA_REASONS: tuple[str, ...] = (
    "Breach failure - charged in breach of the Director's Guidance",
    "Disclosure failure - disclosable unused material not provided",
    "Disclosure failure - reasonable lines of inquiry insufficient / not provided",
    "Disclosure failure - rebuttable presumption material not provided",
    "Disclosure failure - schedules not completed correctly",
    "Disclosure failure - schedules not provided",
    "Evidential failure - exhibit",
    "Evidential failure - forensic",
    "Evidential failure - medical evidence",
    "Evidential failure - multimedia BWV not clipped",
    "Evidential failure - multimedia BWV not in playable format",
    "Evidential failure - multimedia BWV not provided",
    "Evidential failure - multimedia CCTV not clipped",
    "Evidential failure - multimedia CCTV not in playable format",
    "Evidential failure - multimedia CCTV not provided",
    "Evidential failure - multimedia other not clipped",
    "Evidential failure - multimedia other not in playable format",
    "Evidential failure - multimedia other not provided",
    "Evidential failure - relevant orders / applications details not provided",
    "Evidential failure - statement(s)",
    "Victim and witness failure - special measures not considered / inadequate",
    "Victim and witness failure - victim and witness needs (non-special measures)",
    "Victim and witness failure - VPS no information",
)
_DGA_WEIGHTS = np.array([1, 4, 6, 2, 4, 5, 5, 4, 4, 3, 2, 6, 3, 2, 6, 1, 1, 1, 2, 14, 4, 3, 5], dtype=float)

# --------------------------------------------------------------------------------------------
# Forces, districts, teams, officers
# --------------------------------------------------------------------------------------------

RESPONSE, LOCAL, CID, SAFEGUARDING, ROADS = range(5)
_TEAM_TYPES = ("Response", "Local Policing", "CID", "Safeguarding", "Roads Policing")


@dataclass(frozen=True)
class District:
    name: str
    short: str
    """Prefix of team names."""
    unit: str
    """Two-letter URN unit code."""
    weight: float
    suites: tuple[tuple[str, float], ...]
    teams: tuple[tuple[int, int], ...]
    """(team type, how many teams of that type)."""
    hub: tuple[str, ...]
    """Districts whose CID / safeguarding / roads teams share this one's work when it has none."""


@dataclass(frozen=True)
class Force:
    code: str
    name: str
    slug: str
    default_cases: int
    default_custody: int
    districts: tuple[District, ...]
    suites: tuple[tuple[str, str], ...]
    """(suite name, custody record prefix)."""


_ALL5 = ((RESPONSE, 3), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1), (ROADS, 1))
FORCES: dict[int, Force] = {
    36: Force(
        "36",
        "Norfolk",
        "norfolk",
        9_000,
        16_000,
        (
            District("Norwich", "Norwich", "NR", 0.27, (("Aylsham", 0.65), ("Wymondham", 0.35)), _ALL5, ("Norwich",)),
            District("Broadland", "Broadland", "BR", 0.10, (("Aylsham", 1.0),), ((RESPONSE, 1), (LOCAL, 1)), ("Norwich",)),
            District("South Norfolk", "South Norfolk", "SN", 0.11, (("Wymondham", 1.0),), ((RESPONSE, 1), (LOCAL, 1), (ROADS, 1)), ("Norwich",)),
            District(
                "Breckland",
                "Breckland",
                "BK",
                0.13,
                (("Wymondham", 0.55), ("King's Lynn", 0.45)),
                ((RESPONSE, 1), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1)),
                ("King's Lynn & West Norfolk", "South Norfolk"),
            ),
            District(
                "King's Lynn & West Norfolk",
                "King's Lynn",
                "KL",
                0.16,
                (("King's Lynn", 1.0),),
                ((RESPONSE, 2), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1), (ROADS, 1)),
                ("King's Lynn & West Norfolk",),
            ),
            District("North Norfolk", "North Norfolk", "NN", 0.08, (("Aylsham", 1.0),), ((RESPONSE, 1), (LOCAL, 1)), ("Norwich",)),
            District(
                "Great Yarmouth",
                "Great Yarmouth",
                "GY",
                0.15,
                (("Great Yarmouth", 1.0),),
                ((RESPONSE, 2), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1)),
                ("Norwich", "South Norfolk"),
            ),
        ),
        (("Aylsham", "AYL"), ("Wymondham", "WYM"), ("King's Lynn", "KLY"), ("Great Yarmouth", "GYA")),
    ),
    37: Force(
        "37",
        "Suffolk",
        "suffolk",
        7_000,
        12_000,
        (
            District("Ipswich", "Ipswich", "IP", 0.36, (("Martlesham", 1.0),), _ALL5, ("Ipswich",)),
            District(
                "East Suffolk",
                "East Suffolk",
                "ES",
                0.30,
                (("Martlesham", 1.0),),
                ((RESPONSE, 2), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1)),
                ("Ipswich",),
            ),
            District(
                "West Suffolk",
                "West Suffolk",
                "WS",
                0.22,
                (("Bury St Edmunds", 1.0),),
                ((RESPONSE, 2), (LOCAL, 1), (CID, 1), (SAFEGUARDING, 1), (ROADS, 1)),
                ("West Suffolk",),
            ),
            District(
                "Babergh & Mid Suffolk",
                "Babergh & Mid Suffolk",
                "BM",
                0.12,
                (("Martlesham", 0.5), ("Bury St Edmunds", 0.5)),
                ((RESPONSE, 1), (LOCAL, 1), (ROADS, 1)),
                ("Ipswich", "West Suffolk"),
            ),
        ),
        (("Martlesham", "MAR"), ("Bury St Edmunds", "BSE")),
    ),
}

_SPARE_UNITS = tuple(a + b for a in "ZYXWVUT" for b in "ABCDEFGHJKLMNPQRSTUVWXYZ")
"""URN unit codes used only if a unit runs out of five-digit serials in a year (huge --case-rows)."""

SYNTHETIC_SURNAMES: tuple[str, ...] = (
    "Testwell", "Sampleton", "Mockridge", "Dummersby", "Placeholm", "Fixturby", "Exampleton",
    "Fictonby", "Synthwell", "Madeupson", "Notreal", "Fakesley", "Proxleigh", "Stubworth",
    "Pseudoby", "Inventon", "Testbury", "Samplewood", "Mockford", "Dummyfield", "Fixturewood",
    "Exampleford", "Synthby", "Fictonford", "Placewell", "Madeupby", "Testcombe", "Sampleby",
    "Mockhurst", "Proxford", "Stubbleton", "Inventwood", "Pseudoford", "Fakeham-Test",
    "Testerton", "Examplewick", "Synthmere", "Dummington", "Placeford", "Fixtonby",
)
_INITIALS = "ABCDEFGHJKLMNPRSTW"

# Team type chosen for a case: rows = work key, columns = team types.
_WORK_KEYS = ("general", "roads", "cid", "sexual", "da")
_TEAM_MIX = np.array(
    [
        [0.60, 0.34, 0.06, 0.00, 0.00],  # general
        [0.45, 0.05, 0.00, 0.00, 0.50],  # roads
        [0.33, 0.10, 0.57, 0.00, 0.00],  # cid
        [0.00, 0.00, 0.35, 0.65, 0.00],  # sexual
        [0.34, 0.08, 0.06, 0.52, 0.00],  # domestic abuse (any offence)
    ]
)

# Custody disposal codes, in contract order.
DISPOSALS = ("CHARGED", "PRE_CHARGE_BAIL", "RUI", "NFA", "CAUTION", "COMMUNITY_RESOLUTION", "REMANDED", "TRANSFERRED", "OTHER")
CHARGED, PCB, RUI, NFA, CAUTION, CR, REMANDED, TRANSFERRED, OTHER = range(9)
_DISPOSAL_TARGET = np.array([0.25, 0.15, 0.25, 0.20, 0.05, 0.045, 0.03, 0.0125, 0.0125])

STAGES = ("PRE_CHARGE", "FIRST_HEARING_GAP", "FIRST_HEARING_NGAP", "UPGRADE_NG", "CROWN_COURT", "CLOSED")
STATUSES = ("IN_PROGRESS", "AWAITING_TRIAGE", "ACCEPTED", "REJECTED", "RESUBMITTED", "SENT_TO_CPS", "ACTION_PLAN", "DECIDED", "CLOSED")
(ST_IN_PROGRESS, ST_AWAITING, ST_ACCEPTED, ST_REJECTED, ST_RESUBMITTED, ST_SENT, ST_ACTION_PLAN, ST_DECIDED, ST_CLOSED) = range(9)
BAIL_STATUSES = ("CUSTODY", "REMANDED", "PRE_CHARGE_BAIL", "RUI", "CONDITIONAL_BAIL", "UNCONDITIONAL_BAIL", "NOT_ARRESTED")
CPS_DECISIONS = ("CHARGE", "NFA", "ACTION_PLAN", "OUT_OF_COURT")
BAIL_LEVELS = ("INITIAL", "INSPECTOR", "SUPERINTENDENT", "COURT")

# Routes a case takes to a charge.
R_CUSTODY, R_POLICE, R_CPS = range(3)
# Where the extract date falls in a case's timeline.
M_PRE, M_FH, M_POST, M_CLOSED = range(4)
# Final outcome of the charging decision.
OUT_CHARGE, OUT_NFA, OUT_OOC, OUT_UNSUBMITTED = range(4)

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _day(d: dt.date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def add_months(days: np.ndarray, n: int) -> np.ndarray:
    """Calendar-month arithmetic on day numbers (R0: 31 Aug + 6 months = 28/29 Feb)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + n
    days_in_target = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return (target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, days_in_target - 1)).astype(np.int64)


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _court_day(days: np.ndarray, anchor_day: int, floor: np.ndarray) -> np.ndarray:
    """Move weekend dates to a weekday without changing which side of the extract date they fall.

    Future dates go forward to Monday; past dates go forward only if that keeps them in the past,
    else back to Friday, and stay on the weekend if Friday would be before ``floor`` (e.g. a
    Saturday remand court the day after charge). Missing dates (NA) pass through.
    """
    wd = _weekday(days)
    fwd = days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    back = days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
    past = days <= anchor_day
    out = np.where(~past | (fwd <= anchor_day), fwd, np.where(back > floor, back, days))
    return np.where(days > NA, out, NA)


def _lognormal(rng: np.random.Generator, n: int, median: float, sigma: float, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(median * np.exp(sigma * rng.standard_normal(n))), lo, hi).astype(np.int64)


def _uniform(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    """Integers drawn uniformly from lo..hi inclusive (array bounds allowed)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    return lo + np.floor(rng.random(n) * (np.maximum(hi - lo, 0) + 1)).astype(np.int64)


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    total = cum[:, -1:]
    u = rng.random((probs.shape[0], 1)) * total
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _pick_subsets(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Weighted sampling without replacement of k[i] items per row; returns a bit mask per row."""
    n, m = len(k), len(weights)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    w = np.broadcast_to(weights, (n, m)).copy()
    if allowed is not None:
        w = np.where(allowed, w, 0.0)
    with np.errstate(divide="ignore"):
        keys = np.log(w) - np.log(-np.log(rng.random((n, m))))
    order = np.argsort(-keys, axis=1, kind="stable")
    take = np.arange(m)[None, :] < k[:, None]
    take &= np.take_along_axis(w, order, axis=1) > 0
    bits = np.where(take, np.left_shift(np.int64(1), order.astype(np.int64)), 0)
    return bits.sum(axis=1)


def _masks_to_strings(masks: np.ndarray, labels: tuple[str, ...], present: np.ndarray) -> pa.Array:
    """Join the labels selected by each bit mask with ';' (labels kept in list order)."""
    uniq, inverse = np.unique(np.where(present, masks, 0), return_inverse=True)
    texts = [";".join(lbl for j, lbl in enumerate(labels) if (int(u) >> j) & 1) for u in uniq]
    return pa.array(texts, type=pa.string()).take(pa.array(inverse.astype(np.int64), mask=~present))


def _dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    return pa.array(days.astype(np.int32), mask=days <= NA // 2).cast(pa.date32())


def _padded(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")


def _labels(values: tuple[str, ...], idx: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    idx = np.asarray(idx, dtype=np.int64)
    mask = None if present is None else ~np.asarray(present, dtype=bool)
    return pa.array(list(values), type=pa.string()).take(pa.array(idx, mask=mask))


def _yn(flag: np.ndarray) -> pa.Array:
    return _labels(("N", "Y"), np.asarray(flag, dtype=np.int64))


def _const(value: str, n: int) -> pa.Array:
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


# --------------------------------------------------------------------------------------------
# Staff: teams and officers (a fixed random stream per force, independent of the data size)
# --------------------------------------------------------------------------------------------


@dataclass
class _Staff:
    team_names: list[str]
    team_district: np.ndarray
    team_type: np.ndarray
    team_pick: np.ndarray  # (district, type, 12) team indices
    team_officer_cum: np.ndarray  # (team, 16) cumulative OIC probabilities
    team_officers: np.ndarray  # (team, 16) officer index, -1 padded
    officer_collar: list[str]
    officer_name: list[str]
    officer_team: np.ndarray
    officer_sergeant: np.ndarray  # supervising sergeant's officer index


def _build_staff(force: Force, seed: int) -> _Staff:
    rng = np.random.default_rng([seed, int(force.code), 1])
    names, tdist, ttype = [], [], []
    for di, d in enumerate(force.districts):
        for team_type, count in d.teams:
            for k in range(count):
                base = f"{d.short} {_TEAM_TYPES[team_type]}"
                if team_type == RESPONSE:
                    base = f"{d.short} Response Team" + (f" {k + 1}" if count > 1 else "")
                names.append(base)
                tdist.append(di)
                ttype.append(team_type)
    team_district = np.array(tdist)
    team_type = np.array(ttype)
    n_teams = len(names)

    # Which team takes a case of a given type in a given district (with hub fallback).
    by_name = {d.name: i for i, d in enumerate(force.districts)}
    pick = np.zeros((len(force.districts), 5, 12), dtype=np.int64)  # 12 slots: even split over 1, 2, 3, 4 or 6 teams
    for di, d in enumerate(force.districts):
        for t in range(5):
            options = np.flatnonzero((team_district == di) & (team_type == t))
            if len(options) == 0:
                # No such team here: the hub districts' teams take it, and for CID / safeguarding
                # work the district's own response team keeps a share.
                hubs = [by_name[h] for h in d.hub]
                options = np.flatnonzero(np.isin(team_district, hubs) & (team_type == t))
                if t in (CID, SAFEGUARDING):
                    own = np.flatnonzero((team_district == di) & (team_type == RESPONSE))[:1]
                    options = np.concatenate([options[:2], own])
            if len(options) == 0:
                options = np.flatnonzero(team_type == t)
            if len(options) == 0:
                options = np.flatnonzero((team_district == di) & (team_type == RESPONSE))
            pick[di, t] = np.resize(options, 12)

    # Officers: 8-15 per team, one or two sergeants; unique four-digit collar numbers per force.
    sizes = np.where(np.isin(team_type, [LOCAL, ROADS]), rng.integers(8, 13, n_teams), rng.integers(10, 16, n_teams))
    total = int(sizes.sum())
    collars = rng.choice(np.arange(1000, 10000), size=total, replace=False)
    # Force 36 takes even name combinations, 37 the odd ones, so no name repeats across forces.
    combos = [(i, s) for s in range(len(SYNTHETIC_SURNAMES)) for i in range(len(_INITIALS))]
    parity = 0 if force.code == "36" else 1
    combos = [c for j, c in enumerate(combos) if j % 2 == parity]
    chosen = rng.choice(len(combos), size=total, replace=False)
    officer_collar, officer_name, officer_team, officer_sergeant = [], [], [], []
    team_officers = np.full((n_teams, 16), -1, dtype=np.int64)
    cum = np.zeros((n_teams, 16))
    o = 0
    for t in range(n_teams):
        size = int(sizes[t])
        n_sgt = 1 if size < 11 else 2
        detective = ttype[t] in (CID, SAFEGUARDING)
        weights = np.zeros(16)
        first = o
        for k in range(size):
            if k < n_sgt:
                rank = "DS" if detective else "PS"
            elif ttype[t] == CID or (ttype[t] == SAFEGUARDING and rng.random() < 0.75):
                rank = "DC"
            else:
                rank = "PC"
            ini, sur = combos[int(chosen[o])]
            officer_collar.append(f"{rank} {int(collars[o])}")
            officer_name.append(f"{_INITIALS[ini]}. {SYNTHETIC_SURNAMES[sur]}")
            officer_team.append(t)
            officer_sergeant.append(first + (k % n_sgt) if k >= n_sgt else first + k)
            team_officers[t, k] = o
            weights[k] = 0.08 if k < n_sgt else rng.gamma(6.0, 1.0)
            o += 1
        cum[t] = np.cumsum(weights) / weights.sum()
    return _Staff(
        names,
        team_district,
        team_type,
        pick,
        cum,
        team_officers,
        officer_collar,
        officer_name,
        np.array(officer_team),
        np.array(officer_sergeant),
    )


def _assign_team(rng, staff: _Staff, district: np.ndarray, work: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Team and officer in charge for each case: team type by kind of work, team within district."""
    ttype = _choice_rows(rng, _TEAM_MIX[work])
    team = staff.team_pick[district, ttype, rng.integers(0, 12, len(district))]
    u = rng.random(len(team))
    pos = np.minimum((u[:, None] >= staff.team_officer_cum[team]).sum(axis=1), 15)
    officer = staff.team_officers[team, pos]
    bad = officer < 0  # rounding at the top of the cumulative row
    if bad.any():
        officer[bad] = staff.team_officers[team[bad], 0]
    return team, officer


# --------------------------------------------------------------------------------------------
# Case files
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _offence_arrays() -> dict[str, np.ndarray]:
    """Per-offence attributes of ``OFFENCES`` as arrays indexed like OFFENCES (read-only, cached)."""
    f = lambda attr, dtype=float: np.array([getattr(o, attr) for o in OFFENCES], dtype=dtype)  # noqa: E731
    mode = np.array([{SUMMARY: 0, EITHER_WAY: 1, INDICTABLE_ONLY: 2}[o.mode] for o in OFFENCES])
    work = np.array([_WORK_KEYS.index(o.work) for o in OFFENCES])
    comp = np.array([[_CODE_INDEX[c] for c in o.companions] for o in OFFENCES])
    return {
        "weight": f("weight") / f("weight").sum(),
        "da": f("da"),
        "cust": f("custody_charge"),
        "arrest": f("arrest"),
        "ngap": f("ngap"),
        "reserved": f("reserved", bool),
        "remand": f("remand"),
        "hate": f("hate"),
        "continuing": f("continuing"),
        "knowledge": f("knowledge", bool),
        "value": np.array([("", "shop", "damage", "theft", "fraud").index(o.value) for o in OFFENCES]),
        "mode": mode,
        "work": work,
        "comp": comp,
    }


def _timeline(rng, n, route, custody_day, mode_idx, ngap, remanded, fast, cc_draw):
    """Day offsets (from the case's creation) of every event in a case's life; NEVER if it does not happen."""
    t = {}
    custody = route == R_CUSTODY
    # Submission to CJS: the pre-charge file (police/CPS routes) or the post-charge file (custody route).
    serious = mode_idx >= 1
    pre_submit = np.where(serious, _lognormal(rng, n, 55, 0.85, 2, 260), _lognormal(rng, n, 30, 0.75, 1, 150))
    base = np.where(custody, custody_day, 0)
    submit_delay = np.where(custody, rng.integers(0, 3, n), pre_submit)
    triage_delay = 1 + np.minimum(rng.geometric(0.45, n) - 1, 7)
    first_ok = rng.random(n) < 0.75
    r = rng.random(n)
    n_rej = np.where(first_ok, 0, 1 + (r < 0.18) + (r < 0.04))
    waits = _lognormal(rng, 3 * n, 6, 0.7, 1, 40).reshape(n, 3)
    retri = (1 + np.minimum(rng.geometric(0.5, 3 * n) - 1, 5)).reshape(n, 3)
    send = rng.integers(0, 5, n)
    cps1 = _lognormal(rng, n, 12, 0.6, 2, 45)
    ap = rng.random(n) < 0.30
    ap_work = _lognormal(rng, n, 24, 0.55, 7, 90)
    cps2 = rng.integers(3, 29, n)
    police_dec = rng.integers(2, 22, n)
    charge_after = rng.integers(1, 15, n)

    def scale(x, f):
        return np.maximum(np.rint(x * f).astype(np.int64), np.minimum(x, 1))

    def build(f):
        sd = np.where(custody, submit_delay, scale(submit_delay, f))
        t_submit = base + sd
        t_triage = t_submit + triage_delay
        rej = np.full((n, 4), NEVER, dtype=np.int64)  # rejection i happens at rej[:, i]
        resub = np.full((n, 3), NEVER, dtype=np.int64)
        rej[:, 0] = np.where(n_rej > 0, t_triage, NEVER)
        cur = t_triage.copy()
        for i in range(3):
            active = i < n_rej
            w = scale(waits[:, i], f)
            resub[:, i] = np.where(active, cur + w, NEVER)
            nxt = cur + w + retri[:, i]
            cur = np.where(active, nxt, cur)
            rej[:, i + 1] = np.where(active & (i + 1 < n_rej), cur, NEVER)
        t_accept = cur
        return sd, t_submit, t_triage, rej, resub, t_accept

    f = np.ones(n)
    sd, t_submit, t_triage, rej, resub, t_accept = build(f)
    # CPS route
    t_sent_pre = t_accept + send
    t_dec1 = t_sent_pre + cps1
    t_resent = t_dec1 + ap_work
    t_dec2 = t_resent + cps2
    t_decf = np.where(ap, t_dec2, t_dec1)
    # Summary-only cases move faster (the six-month limit drives them): squeeze long pre-charge timelines.
    if fast.any():
        end = np.where(route == R_CPS, t_decf + charge_after, t_accept + police_dec)
        f = np.where(fast & (route != R_CUSTODY) & (end > 100), 100.0 / np.maximum(end, 1), 1.0)
        sd, t_submit, t_triage, rej, resub, t_accept = build(f)
        cps1 = scale(cps1, f)
        ap_work = scale(ap_work, f)
        cps2 = scale(cps2, f)
        police_dec = scale(police_dec, f)
        charge_after = scale(charge_after, f)
        t_sent_pre = t_accept + send
        t_dec1 = t_sent_pre + cps1
        t_resent = t_dec1 + ap_work
        t_dec2 = t_resent + cps2
        t_decf = np.where(ap, t_dec2, t_dec1)
    t_pdec = t_accept + police_dec

    # Outcome of the charging decision.
    r = rng.random(n)
    out_cps = np.where(ap, np.select([r < 0.65, r < 0.95], [OUT_CHARGE, OUT_NFA], OUT_OOC), np.select([r < 0.72, r < 0.92], [OUT_CHARGE, OUT_NFA], OUT_OOC))
    out_pol = np.select([r < 0.86, r < 0.95], [OUT_CHARGE, OUT_NFA], OUT_OOC)
    outcome = np.select([route == R_CUSTODY, route == R_POLICE], [OUT_CHARGE, out_pol], out_cps)
    unsub = (route != R_CUSTODY) & (rng.random(n) < 0.09)
    outcome = np.where(unsub, OUT_UNSUBMITTED, outcome)

    t_dec_final = np.select([route == R_CUSTODY, route == R_POLICE], [base, t_pdec], t_decf)
    t_charge = np.select(
        [outcome != OUT_CHARGE, route == R_CUSTODY, route == R_POLICE], [NEVER, base, t_pdec], t_decf + charge_after
    )
    ooc_admin = rng.integers(5, 31, n)
    unsub_close = np.minimum(rng.integers(14, 121, n), np.maximum(t_submit - 1, 1))
    t_close_pre = np.select(
        [outcome == OUT_NFA, outcome == OUT_OOC, outcome == OUT_UNSUBMITTED], [t_dec_final, t_dec_final + ooc_admin, unsub_close], NEVER
    )
    if unsub.any():
        for arr in (t_submit, t_triage, t_accept):
            arr[unsub] = NEVER
        rej[unsub] = NEVER
        resub[unsub] = NEVER

    # Courts.
    charged = outcome == OUT_CHARGE
    fh_gap = _uniform(rng, 10, 18, n)
    fh_ngap = _uniform(rng, 21, 35, n)
    t_fh = np.where(charged, t_charge + np.where(remanded, 1, np.where(ngap, fh_ngap, fh_gap)), NEVER)
    cc = charged & ((mode_idx == 2) | (ngap & (mode_idx == 1) & cc_draw))
    to_trial = charged & (ngap | cc)
    t_trial = np.where(
        to_trial,
        t_fh + np.where(cc, np.where(ngap, _uniform(rng, 150, 330, n), _uniform(rng, 28, 110, n)), _uniform(rng, 42, 126, n)),
        NEVER,
    )
    adjourn = np.where(rng.random(n) < 0.35, _uniform(rng, 14, 35, n), 0)
    t_close_post = np.where(to_trial, t_trial + rng.integers(0, 3, n), t_fh + adjourn)
    due = np.where(cc, t_fh + np.where(remanded, 50, 70), np.minimum(t_fh + _uniform(rng, 21, 28, n), t_trial - 14))
    due = np.where(to_trial, due, NEVER)
    on_time = rng.random(n) < 0.72
    t_up_sent = np.where(on_time, np.maximum(due - _uniform(rng, 0, 12, n), t_fh + 3), due + _uniform(rng, 1, 30, n))
    t_up_sent = np.where(to_trial, np.minimum(t_up_sent, t_trial - 1), NEVER)
    allocated = rng.random(n) < 0.76
    t_alloc = np.where(to_trial & ngap & allocated, t_fh + _uniform(rng, 0, 10, n), NEVER)

    sent_post = rng.integers(0, 3, n)
    t.update(
        base=base,
        t_submit=t_submit,
        t_triage=t_triage,
        first_ok=first_ok,
        n_rej=n_rej,
        rej=rej,
        resub=resub,
        t_accept=t_accept,
        t_sent_pre=t_sent_pre,
        t_dec1=t_dec1,
        t_resent=t_resent,
        t_dec2=t_dec2,
        t_decf=t_decf,
        ap=ap,
        t_pdec=t_pdec,
        outcome=outcome,
        t_charge=t_charge,
        t_close_pre=t_close_pre,
        t_fh=t_fh,
        cc=cc,
        to_trial=to_trial,
        t_trial=t_trial,
        t_close=np.where(charged, t_close_post, t_close_pre),
        due=due,
        t_up_sent=t_up_sent,
        t_alloc=t_alloc,
        t_sent_post_police=t_charge + sent_post,
        t_sent_post_custody=t_accept + sent_post,
    )
    return t


_MACRO_WEIGHTS = {
    # (route, charged, to_trial): weights for (open pre-charge, awaiting first hearing, after first hearing, closed)
    (R_CUSTODY, True, False): (0.0, 0.15, 0.0, 0.85),
    (R_CUSTODY, True, True): (0.0, 0.10, 0.52, 0.38),
    (R_POLICE, True, False): (0.78, 0.06, 0.0, 0.16),
    (R_POLICE, True, True): (0.70, 0.05, 0.17, 0.08),
    (R_CPS, True, False): (0.80, 0.05, 0.0, 0.15),
    (R_CPS, True, True): (0.74, 0.04, 0.15, 0.07),
    (R_POLICE, False, False): (0.70, 0.0, 0.0, 0.30),
    (R_CPS, False, False): (0.74, 0.0, 0.0, 0.26),
}


def _place(rng, n, route, t):
    """Choose where the extract date falls in each case's timeline; returns (macro phase, age in days)."""
    charged = t["outcome"] == OUT_CHARGE
    w = np.zeros((n, 4))
    for (rt, ch, tt), weights in _MACRO_WEIGHTS.items():
        sel = (route == rt) & (charged == ch) & ((t["to_trial"] == tt) | (not ch))
        w[sel] = weights
    end_pre = np.minimum(t["t_charge"], t["t_close_pre"])
    starts = np.stack([np.zeros(n, dtype=np.int64), t["t_charge"], t["t_fh"], t["t_close"]], axis=1)
    ends = np.stack([end_pre, t["t_fh"], np.where(t["to_trial"], t["t_close"], t["t_fh"]), np.full(n, 364)], axis=1)
    ends = np.minimum(ends, 364)
    valid = (starts < ends) & (starts <= 362)
    w = np.where(valid, w, 0.0)
    none = w.sum(axis=1) == 0
    if none.any():  # fall back to the first valid phase
        first_valid = np.argmax(valid, axis=1)
        w[none, first_valid[none]] = 1.0
    macro = _choice_rows(rng, w)
    lo = starts[np.arange(n), macro]
    hi = ends[np.arange(n), macro]
    age = lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)
    return macro, age


def _status(route, macro, age, t):
    """file_stage and file_status read off the timeline at the extract date."""
    n = len(age)
    # Where the CJS submission stands (pre-charge file, or post-charge file on the custody route).
    sub = np.full(n, -1)
    sub = np.where(age < t["t_submit"], ST_IN_PROGRESS, sub)
    sub = np.where((sub < 0) & (age < t["t_triage"]), ST_AWAITING, sub)
    for i in range(3):
        in_rej = (sub < 0) & (t["rej"][:, i] <= age) & (age < t["resub"][:, i])
        sub = np.where(in_rej, ST_REJECTED, sub)
        in_resub = (sub < 0) & (t["resub"][:, i] <= age) & (age < np.where(t["rej"][:, i + 1] < NEVER, t["rej"][:, i + 1], t["t_accept"]))
        sub = np.where(in_resub, ST_RESUBMITTED, sub)
    accepted = sub < 0

    pre = np.where(
        route == R_CPS,
        np.select(
            [age < t["t_sent_pre"], age < t["t_dec1"], t["ap"] & (age < t["t_resent"]), t["ap"] & (age < t["t_dec2"])],
            [ST_ACCEPTED, ST_SENT, ST_ACTION_PLAN, ST_SENT],
            ST_DECIDED,
        ),
        np.where(age < t["t_pdec"], ST_ACCEPTED, ST_DECIDED),
    )
    pre = np.where(accepted, pre, sub)

    fh = np.select(
        [route == R_CUSTODY, route == R_POLICE],
        [
            np.where(accepted, np.where(age < t["t_sent_post_custody"], ST_ACCEPTED, ST_SENT), sub),
            np.where(age < t["t_sent_post_police"], ST_ACCEPTED, ST_SENT),
        ],
        ST_DECIDED,
    )
    post = np.where(age < t["t_up_sent"], ST_IN_PROGRESS, ST_SENT)
    status = np.select([macro == M_PRE, macro == M_FH, macro == M_POST], [pre, fh, post], ST_CLOSED)
    ngap = t["ngap"]
    stage = np.select(
        [macro == M_PRE, macro == M_FH, macro == M_POST],
        [0, np.where(ngap, 2, 1), np.where(t["cc"], 4, 3)],
        5,
    )
    return stage, status


@dataclass
class _Cases:
    """Per defendant-file (one URN + one defendant) arrays, plus offence codes per file."""

    n: int
    arrays: dict
    codes: np.ndarray  # (n, 4) offence index, -1 for none; UNKNOWN codes are len(OFFENCES)+k
    n_off: np.ndarray


def _build_cases(rng: np.random.Generator, force: Force, staff: _Staff, n_cases: int, anchor_day: int) -> _Cases:
    O = _offence_arrays()
    n = n_cases
    prim = rng.choice(len(OFFENCES), size=n, p=O["weight"])
    mode_idx = O["mode"][prim]
    district = rng.choice(len(force.districts), size=n, p=np.array([d.weight for d in force.districts]))
    da = rng.random(n) < O["da"][prim]
    hate = (rng.random(n) < O["hate"][prim]) & ~da
    vulnerable = rng.random(n) < np.where(O["work"][prim] == 3, 0.55, np.where(da, 0.22, 0.05))
    ngap = rng.random(n) < O["ngap"][prim]
    cc_draw = rng.random(n) < 0.30
    cps_needed = da | hate | (mode_idx == 2) | O["reserved"][prim] | ((mode_idx == 1) & ngap)
    custody_charge = rng.random(n) < O["cust"][prim]
    route = np.where(custody_charge, R_CUSTODY, np.where(cps_needed, R_CPS, R_POLICE))
    arrested = custody_charge | (rng.random(n) < O["arrest"][prim])
    remanded = custody_charge & (rng.random(n) < O["remand"][prim])
    remanded |= (route == R_CPS) & (rng.random(n) < O["remand"][prim] * 0.4) & arrested
    summary = mode_idx == 0
    # Offences that carry a six-month date in the STL engine: summary-only ones, and low-value
    # criminal damage (either-way, but shown with a CHECK_S22 six-month warning, R1). These cases
    # run faster and are the only ones placed in the BLACK / RED / AMBER sets on purpose.
    limited_code = (O["mode"] == 0) | (np.arange(len(OFFENCES)) == _CODE_INDEX["CD71039"])
    fast = limited_code[prim]

    # Custody timing of the principal suspect: arrest minute of day and minutes detained.
    hour_w = np.array([4, 3, 2.5, 2, 1.5, 1, 1, 1.5, 2.5, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7, 7, 7, 6.5, 6, 5.5, 5])
    arrest_min = rng.choice(24, size=n, p=hour_w / hour_w.sum()) * 60 + rng.integers(0, 60, n)
    detention = _lognormal(rng, n, 540, 0.5, 90, 1440)
    ext = rng.random(n) < 0.015
    detention = np.where(ext, _uniform(rng, 1441, 2100, n), detention)
    custody_day = (arrest_min + detention) // 1440  # charge day offset on the custody route

    t = _timeline(rng, n, route, custody_day, mode_idx, ngap, remanded, fast, cc_draw)
    t["ngap"] = ngap
    macro, age = _place(rng, n, route, t)

    # Offence dates: offence (last day) = creation - report lag.
    r = rng.random(n)
    lag = np.select([r < 0.66, r < 0.88, r < 0.97], [0, _uniform(rng, 1, 7, n), _uniform(rng, 8, 45, n)], _uniform(rng, 46, 240, n))
    lag = np.where(da & (r >= 0.66), lag + rng.integers(0, 10, n), lag)
    lag = np.where(fast, np.minimum(lag, 30), lag)

    # --- STL bands for summary-only cases: small, deliberate BLACK / RED / AMBER sets ---
    status_pre = (macro == M_PRE) & (route != R_CUSTODY)
    not_extendable = ~(np.isin(prim, [_CODE_INDEX[c] for c in _DA_COMMON_ASSAULT]) & da) & ~O["knowledge"][prim] & (O["continuing"][prim] == 0)
    unsubmitted_pre = status_pre & (age < t["t_submit"]) & (t["outcome"] != OUT_UNSUBMITTED)
    cand = np.flatnonzero(summary & unsubmitted_pre & not_extendable)
    n_summary = int(summary.sum())
    want = {
        "black": max(1, round(0.0075 * n_summary)),
        "red": max(1, round(0.015 * n_summary)),
        "amber": max(1, round(0.035 * n_summary)),
    }
    chosen = rng.permutation(cand)
    spans = {"black": (-45, -2), "red": (1, 12), "amber": (17, 40)}
    start = 0
    band_shift = np.zeros(n, dtype=np.int64)
    offence_fixed = np.full(n, NA, dtype=np.int64)
    band_code = np.zeros(n, dtype=np.int64)  # 1 BLACK, 2 RED, 3 AMBER, 4 RED while awaiting a decision
    for code_, band in enumerate(("black", "red", "amber"), start=1):
        sel = chosen[start : start + want[band]]
        start += len(sel)
        if len(sel) == 0:
            continue
        lo, hi = spans[band]
        target = anchor_day + _uniform(rng, lo, hi, len(sel))
        off_day = add_months(target, -6)
        rlag = np.where(rng.random(len(sel)) < 0.6, 0, rng.integers(1, 12, len(sel)))
        created = np.minimum(off_day + rlag, anchor_day - 2)
        new_age = anchor_day - created
        band_shift[sel] = np.maximum(new_age - age[sel], 0)
        age[sel] = new_age
        offence_fixed[sel] = off_day
        band_code[sel] = code_
    # A few submitted summary cases awaiting a decision with under a week left (RED: not yet charged).
    waiting = np.flatnonzero(summary & status_pre & (age >= t["t_submit"]) & (age < t["t_charge"]) & (age < t["t_close_pre"]) & not_extendable)
    waiting = rng.permutation(waiting)[: max(1, round(0.003 * n_summary))]
    if len(waiting):
        off_day = add_months(anchor_day + _uniform(rng, 1, 6, len(waiting)), -6)
        ok = off_day <= anchor_day - age[waiting]
        offence_fixed[waiting[ok]] = off_day[ok]
        band_code[waiting[ok]] = 4
    # Keep chosen-band cases unsubmitted: push every later event past the new age.
    if band_shift.any():
        for key, val in t.items():
            if isinstance(val, np.ndarray) and val.dtype.kind == "i" and key not in ("n_rej", "outcome", "base"):
                if val.ndim == 1:
                    t[key] = np.where((band_shift > 0) & (val < NEVER), val + band_shift, val)
                else:
                    t[key] = np.where((band_shift[:, None] > 0) & (val < NEVER), val + band_shift[:, None], val)

    created = anchor_day - age
    offence_day = np.where(offence_fixed > NA, offence_fixed, created - lag)
    band_case = offence_fixed > NA
    stage, status = _status(route, macro, age, t)
    open_case = stage != 5
    commenced = t["t_charge"] <= age

    # Offences on the case: principal + companions. Where more than five months pass between the
    # offence and the charge (or the extract date, or closure), a six-month companion (summary
    # or low-value damage) would be out of time, which should stay rare: such cases take another
    # count of the principal offence instead.
    nr = rng.random(n)
    n_off = np.select([nr < 0.62, nr < 0.89, nr < 0.97], [1, 2, 3], 4)
    codes = np.full((n, 4), -1, dtype=np.int64)
    codes[:, 0] = prim
    comp = O["comp"][prim, :]
    stop_day = np.where(commenced, created + np.minimum(t["t_charge"], NEVER), np.where(open_case, anchor_day, created + np.minimum(t["t_close"], age)))
    slow = stop_day - offence_day > 150
    for j in range(1, 4):
        c = comp[np.arange(n), rng.integers(0, 4, n)]
        c = np.where(limited_code[c] & slow & ~fast, prim, c)
        c = np.where(band_case & (O["mode"][c] != 0), prim, c)  # chosen-band cases stay all summary
        codes[:, j] = np.where(j < n_off, c, -1)

    # Team and officer; DA cases lean on safeguarding.
    work = np.where(da, 4, O["work"][prim])
    team, officer = _assign_team(rng, staff, district, work)
    # NGAP upgrade files: usually the OIC, about one in three another officer on the team.
    pos = np.minimum((rng.random(n)[:, None] >= staff.team_officer_cum[team]).sum(axis=1), 15)
    other = staff.team_officers[team, pos]
    ngap_officer = np.where((rng.random(n) < 0.3) & (other >= 0), other, officer)

    # Pre-charge custody disposal for arrested suspects not charged at custody.
    bail = rng.random(n) < np.where(cps_needed & (da | (mode_idx == 2) | O["reserved"][prim]), 0.55, 0.30)
    cond_bail = da | (rng.random(n) < 0.4)

    # Last supervisory review (28-day cycle; about one in five open cases overdue).
    since = np.where(rng.random(n) < 0.80, rng.integers(0, 28, n), _uniform(rng, 29, 80, n))
    review_off = age - since
    review_off = np.where(review_off < 0, np.where(rng.random(n) < 0.6, NEVER, 0), review_off)
    closed_review = np.where(rng.random(n) < 0.85, np.maximum(t["t_close"] - rng.integers(0, 28, n), 0), NEVER)
    review_off = np.where(open_case, review_off, np.where(closed_review < NEVER, np.minimum(closed_review, age), NEVER))

    arrays = dict(
        prim=prim,
        mode_idx=mode_idx,
        district=district,
        da=da,
        hate=hate,
        vulnerable=vulnerable,
        ngap=ngap,
        route=route,
        arrested=arrested,
        remanded=remanded,
        cps_needed=cps_needed,
        arrest_min=arrest_min,
        detention=detention,
        macro=macro,
        age=age,
        created=created,
        offence_day=offence_day,
        stage=stage,
        status=status,
        team=team,
        officer=officer,
        ngap_officer=ngap_officer,
        bail=bail,
        cond_bail=cond_bail,
        review_off=review_off,
        band_case=band_case,
        band_code=band_code,
        **{k: v for k, v in t.items() if isinstance(v, np.ndarray) and k != "ngap"},
    )
    return _Cases(n, arrays, codes, n_off)


# --------------------------------------------------------------------------------------------
# Putting a force together
# --------------------------------------------------------------------------------------------


def _force_tables(force: Force, seed: int, anchor_day: int, n_cases: int | None, target_rows: int | None):
    """Yield ("case_files", table) and then ("custody", table) for one force.

    A generator so the caller can write (and drop) the case-file table before the custody table is
    built, which keeps peak memory down at large sizes.
    """
    staff = _build_staff(force, seed)
    rng = np.random.default_rng([seed, int(force.code), 2])
    if target_rows is not None:
        n_cases = max(10, math.ceil(target_rows / 1.45) + 20)
    cases = _build_cases(rng, force, staff, int(n_cases), anchor_day)
    A = cases.arrays
    n = cases.n

    # Co-defendants: a few non-DA cases have a second suspect sharing the URN.
    codef = (rng.random(n) < 0.06) & ~A["da"] & np.isin(_offence_arrays()["work"][A["prim"]], [0, 2]) & (A["mode_idx"] > 0)
    n_def = 1 + codef.astype(np.int64)
    # Order cases by creation date so URN serials rise with time.
    order = np.lexsort((rng.random(n), A["created"]))
    case_of_df = np.repeat(order, n_def[order])
    first_of_case = np.ones(len(case_of_df), dtype=bool)
    first_of_case[1:] = case_of_df[1:] != case_of_df[:-1]
    n_off_df = cases.n_off[case_of_df]

    if target_rows is not None:
        cum = np.cumsum(n_off_df)
        last = int(np.searchsorted(cum, target_rows))  # first df whose cumulative rows reach the target
        if last >= len(cum):
            raise RuntimeError("not enough cases generated for the requested rows")
        before = int(cum[last - 1]) if last > 0 else 0
        n_off_df = n_off_df[: last + 1].copy()
        n_off_df[last] = target_rows - before
        case_of_df = case_of_df[: last + 1]
        first_of_case = first_of_case[: last + 1]

    n_df = len(case_of_df)
    D = {k: v[case_of_df] for k, v in A.items()}
    codes_df = cases.codes[case_of_df]
    del cases, A  # per-case arrays are no longer needed once copied per defendant-file

    # People: a skewed pool so some nominals turn up again and again.
    n_custody = round(len(np.unique(case_of_df)) * force.default_custody / force.default_cases)
    pool = max(200, int(0.62 * (n_custody + n_df)))
    perm = rng.permutation(pool)
    person = perm[np.floor(pool * rng.random(n_df) ** 2.0).astype(np.int64)]
    co = ~first_of_case
    if co.any():
        person[co] = (person[np.flatnonzero(co) - 1] + 1 + rng.integers(0, pool - 1, int(co.sum()))) % pool

    # Co-defendants arrested together; their release lands on the same day as the principal's.
    det = D["detention"].copy()
    if co.any():
        room = 1439 - ((D["arrest_min"][co] + det[co]) % 1440)
        det[co] = det[co] + np.minimum(rng.integers(0, 25, int(co.sum())), room)

    # URNs: unit by district, year of creation, serial rising through the year.
    created = D["created"]
    year = created.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    unit_idx = D["district"]
    urn_serial, spill = _serials(rng, unit_idx, year, created, anchor_day, first_of_case, 5)
    n_d = len(force.districts)
    urn_unit = np.where(spill == 0, unit_idx, n_d + (unit_idx * 20 + spill - 1) % len(_SPARE_UNITS))
    units = [d.unit for d in force.districts] + list(_SPARE_UNITS)
    urn = pc.binary_join_element_wise(
        _const(force.code, n_df), _labels(tuple(units), urn_unit), _padded(urn_serial, 5), _padded(year % 100, 2), ""
    )

    case_table, custody_codes = _case_table(force, staff, rng, D, codes_df, n_off_df, first_of_case, person, urn, anchor_day)
    yield "case_files", case_table
    del case_table
    yield "custody", _custody_table(force, staff, rng, D, det, person, urn, custody_codes, n_custody, anchor_day, perm)


def _serials(rng, group_a, year, day, anchor_day, take, width, max_gap=3):
    """Serial numbers rising with date inside each (group, year), with small gaps; overflow moves to spare units."""
    n = len(day)
    limit = 10**width - 1
    key = group_a * 10_000 + year
    order = np.lexsort((np.arange(n), day, key))
    k_sorted = key[order]
    take_sorted = take[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = k_sorted[1:] != k_sorted[:-1]
    grp = np.cumsum(starts) - 1
    # Smaller gaps in busy groups so they stay within the serial width where possible.
    per_group = np.bincount(grp, weights=take_sorted).astype(np.int64)
    group_gap = np.clip((limit * 0.9) // np.maximum(per_group, 1), 1, max_gap).astype(np.int64)
    gaps = np.where(take_sorted, 1 + np.floor(rng.random(n) * group_gap[grp]).astype(np.int64), 0)
    csum = np.cumsum(gaps)
    first_idx = np.flatnonzero(starts)
    offset = csum[first_idx] - gaps[first_idx]
    rank = csum - offset[grp]
    # Groups that start part-way through the window begin at a plausible serial, not 1.
    counts = np.bincount(grp, weights=gaps)
    g_year = year[order][first_idx]
    jan1 = np.array([_day(dt.date(int(y), 1, 1)) for y in g_year]) if len(g_year) else np.zeros(0, dtype=np.int64)
    window_start = anchor_day - 365
    portion_start = np.maximum(jan1, window_start)
    portion_end = np.minimum(jan1 + 365, anchor_day)
    before = portion_start - jan1
    base = np.floor(counts * before / np.maximum(portion_end - portion_start, 1)).astype(np.int64)
    serial_sorted = base[grp] + rank  # rows with take=False (co-defendants) repeat the serial before them
    spill = (serial_sorted - 1) // limit
    serial_sorted = (serial_sorted - 1) % limit + 1
    serial = np.empty(n, dtype=np.int64)
    serial[order] = serial_sorted
    spill_u = np.empty(n, dtype=np.int64)
    spill_u[order] = spill
    return serial, spill_u


def _case_table(force, staff, rng, D, codes_df, n_off_df, first_of_case, person, urn, anchor_day):
    O = _offence_arrays()
    n_df = len(n_off_df)
    age = D["age"]
    created = D["created"]

    def day_of(off, cond=True):
        off = np.asarray(off)
        ok = np.asarray(cond) & (off <= age) & (off < NEVER)
        return np.where(ok, created + off, NA)

    def sched(off, cond):
        return np.where(np.asarray(cond) & (off < NEVER), created + off, NA)

    route = D["route"]
    charged_now = D["t_charge"] <= age
    submitted = D["t_submit"] <= age
    triaged = D["t_triage"] <= age
    charge_day = created + np.minimum(D["t_charge"], NEVER)
    fh_day = _court_day(sched(D["t_fh"], charged_now), anchor_day, charge_day)
    after_fh = charged_now & (D["t_fh"] <= age)
    trial_day = _court_day(sched(D["t_trial"], after_fh & D["ngap"]), anchor_day, fh_day + 7)
    due_day = _court_day(sched(D["due"], after_fh & D["to_trial"]), anchor_day, fh_day)
    alloc_now = D["t_alloc"] <= age
    alloc_day = np.where(alloc_now, np.maximum(created + D["t_alloc"], fh_day), NA)  # never before the (court-day) hearing

    # CPS decision: latest decision so far.
    ap_now = D["ap"] & (D["t_dec1"] <= age) & (age < D["t_dec2"]) & (route == R_CPS)
    final_now = (D["t_decf"] <= age) & (route == R_CPS) & (D["outcome"] != OUT_UNSUBMITTED)
    outcome_to_dec = np.array([0, 1, 3, 0])  # CHARGE, NFA, OUT_OF_COURT
    direct = (route == R_CUSTODY) & D["cps_needed"]
    cps_dec = np.select([ap_now, final_now, direct], [2, outcome_to_dec[D["outcome"]], 0], -1)
    cps_dec_day = np.select(
        [ap_now, final_now, direct], [created + D["t_dec1"], created + D["t_decf"], created + D["base"]], NA
    )
    sent_off = np.select([route == R_CPS, route == R_POLICE], [D["t_sent_pre"], D["t_sent_post_police"]], np.where(direct, 0, D["t_sent_post_custody"]))
    sent_day = day_of(sent_off, (D["outcome"] != OUT_UNSUBMITTED) & ((route != R_POLICE) | charged_now))
    resub_count = np.zeros(n_df, dtype=np.int64)
    for i in range(3):
        resub_count += (D["resub"][:, i] <= age).astype(np.int64)

    # Reasons.
    n_reasons = np.select([rng.random(n_df) < 0.55, rng.random(n_df) < 0.75], [1, 2], 3)
    rej_present = triaged & ~D["first_ok"]
    rej_mask = np.zeros(n_df, dtype=np.int64)
    sel = np.flatnonzero(rej_present)
    allowed = np.ones((len(sel), len(NFS_REJECTION_REASONS)), dtype=bool)
    allowed[:, _NFS_DA_CHECKLIST] = D["da"][sel]  # the DA checklist is only asked for on DA files
    rej_mask[sel] = _pick_subsets(rng, _NFS_WEIGHTS, n_reasons[sel], allowed)
    ap_present = D["ap"] & (D["t_dec1"] <= age) & (route == R_CPS) & (D["outcome"] != OUT_UNSUBMITTED)
    ap_mask = np.zeros(n_df, dtype=np.int64)
    sel = np.flatnonzero(ap_present)
    k_ap = np.select([rng.random(len(sel)) < 0.5, rng.random(len(sel)) < 0.7], [1, 2], 3)
    ap_mask[sel] = _pick_subsets(rng, _DGA_WEIGHTS, k_ap)

    # Bail status.
    bail_status = np.select(
        [charged_now & D["remanded"], charged_now & ~D["arrested"], charged_now, ~D["arrested"], D["bail"]],
        [1, 6, np.where(D["cond_bail"], 4, 5), 6, 2],
        3,
    )

    # NGAP allocation.
    sergeant = staff.officer_sergeant[D["officer"]]
    section_leader = staff.officer_sergeant[D["ngap_officer"]]

    # ---------------- expand to one row per offence ----------------
    row_df = np.repeat(np.arange(n_df), n_off_df)
    n_rows = len(row_df)
    starts = np.cumsum(n_off_df) - n_off_df
    seq = np.arange(n_rows) - starts[row_df] + 1
    code = codes_df[row_df, seq - 1]
    # Co-defendants share the principal's offence facts (same incident): their rows copy the
    # principal's row with the same offence_seq (the defendant-file just before them).
    co_df = ~first_of_case
    co_row = co_df[row_df]
    principal_row = np.where(co_row, starts[np.maximum(row_df - 1, 0)] + seq - 1, np.arange(n_rows))

    def like_principal(x):
        return np.asarray(x)[principal_row]

    def like_principal_df(x):
        x = np.array(x, copy=True)
        x[co_df] = x[np.flatnonzero(co_df) - 1]
        return x

    r_open = D["stage"][row_df] != 5
    r_uncommenced = ~charged_now[row_df]
    # Data-quality exercises: a few unknown codes and a few missing offence dates, on open uncommenced cases.
    pool = np.flatnonzero(r_open & r_uncommenced & ~D["band_case"][row_df] & ~co_row)
    k_bad = max(2, round(0.0012 * n_rows)) if n_rows >= 200 else 0
    bad = rng.permutation(pool)[: 2 * k_bad]
    unknown_rows = bad[:k_bad]
    nodate_rows = bad[k_bad:]
    unknown_pick = rng.integers(0, len(UNKNOWN_OFFENCES), len(unknown_rows))

    titles = tuple(o.title for o in OFFENCES) + tuple(t for _, t in UNKNOWN_OFFENCES)
    codes_all = tuple(o.code for o in OFFENCES) + tuple(c for c, _ in UNKNOWN_OFFENCES)
    code_full = code.copy()
    code_full[unknown_rows] = len(OFFENCES) + unknown_pick
    code_full = like_principal(code_full)
    modes = (SUMMARY, EITHER_WAY, INDICTABLE_ONLY)
    mode_row = np.where(code_full < len(OFFENCES), O["mode"][np.minimum(code_full, len(OFFENCES) - 1)], -1)

    # Offence dates: secondary offences usually the same day; continuing offences span weeks or months.
    off_day = D["offence_day"][row_df]
    earlier = (seq > 1) & (rng.random(n_rows) < 0.08) & ~D["band_case"][row_df]
    off_day = np.where(earlier, off_day - rng.integers(1, 6, n_rows), off_day)
    cont_p = np.where(code_full < len(OFFENCES), O["continuing"][np.minimum(code_full, len(OFFENCES) - 1)], 0.0)
    continuing = (rng.random(n_rows) < cont_p) & ~D["band_case"][row_df]
    span = np.where(
        mode_row == 0, _uniform(rng, 7, 45, n_rows), _uniform(rng, 30, 420, n_rows)
    )
    ranged = ~continuing & (rng.random(n_rows) < 0.025) & (mode_row > 0)
    start_day = np.where(continuing, off_day - span, np.where(ranged, off_day - rng.integers(1, 40, n_rows), off_day))
    end_day = np.where(continuing | ranged, off_day, NA)
    start_day[nodate_rows] = NA
    end_day[nodate_rows] = NA
    continuing, start_day, end_day = like_principal(continuing), like_principal(start_day), like_principal(end_day)
    off_day = like_principal(off_day)

    # Values, statements, knowledge dates.
    vkind = np.where(code_full < len(OFFENCES), O["value"][np.minimum(code_full, len(OFFENCES) - 1)], 0)
    pounds = np.select(
        [vkind == 1, vkind == 2, vkind == 3, vkind == 4],
        [
            np.exp(np.log(45) + 0.95 * rng.standard_normal(n_rows)),
            np.exp(np.log(320) + 1.1 * rng.standard_normal(n_rows)),
            np.exp(np.log(380) + 1.2 * rng.standard_normal(n_rows)),
            np.exp(np.log(650) + 1.1 * rng.standard_normal(n_rows)),
        ],
        0.0,
    )
    pounds = np.where(vkind == 2, np.minimum(pounds, 4_950), np.minimum(pounds, 60_000))
    pence = like_principal(np.maximum(np.rint(pounds * 100).astype(np.int64), 150))
    has_value = like_principal((vkind > 0) & (rng.random(n_rows) < 0.96))
    value = pc.binary_join_element_wise(
        pc.cast(pa.array(pence // 100), pa.string()), _padded(pence % 100, 2), "."
    )
    value = pc.if_else(pa.array(has_value), value, pa.nulls(n_rows, pa.string()))

    r_da = D["da"][row_df]
    # The complainant's statement is a case fact: one draw per defendant-file, so every row agrees.
    # Most DA cases have one; offences without a personal victim (motoring, drugs, weapons) never do.
    victimless = np.array([o.code[:2] in ("RT", "RA", "MD") or o.code in _VICTIMLESS for o in OFFENCES])
    stmt_p = np.where(D["da"], 0.84, np.where(victimless[D["prim"]], 0.0, 0.35))
    stmt_lag = np.where(rng.random(n_df) < 0.8, rng.integers(0, 4, n_df), _uniform(rng, 4, 40, n_df))
    stmt_day_df = like_principal_df(D["offence_day"] + stmt_lag)
    has_stmt_df = like_principal_df((rng.random(n_df) < stmt_p) & (stmt_day_df <= anchor_day))
    stmt_day = np.where(has_stmt_df[row_df], stmt_day_df[row_df], NA)
    vri_p = np.where(O["work"][D["prim"]] == 3, 0.40, np.where(D["da"], 0.06, np.where(D["vulnerable"], 0.15, 0.0)))
    vri_df = np.where(rng.random(n_df) < vri_p, D["offence_day"] + _uniform(rng, 1, 21, n_df), NA)
    vri_df = like_principal_df(np.where(vri_df <= anchor_day, vri_df, NA))
    know = np.where(code_full < len(OFFENCES), O["knowledge"][np.minimum(code_full, len(OFFENCES) - 1)], False)
    know_day = off_day + np.where(rng.random(n_rows) < 0.7, rng.integers(0, 15, n_rows), _uniform(rng, 15, 90, n_rows))
    know_day = like_principal(np.where(know & (rng.random(n_rows) < 0.9) & (know_day <= anchor_day) & (start_day > NA), know_day, NA))

    def per_row(x):
        return np.asarray(x)[row_df]

    review_day = np.where(D["review_off"] < NEVER, created + D["review_off"], NA)
    cols = {
        "force_code": _const(force.code, n_rows),
        "urn": urn.take(pa.array(row_df)),
        "defendant_id": pc.binary_join_element_wise(_const(force.code + "N", n_rows), _padded(per_row(person) + 1, 7), ""),
        "defendant_name": pc.binary_join_element_wise(_const("Synthetic Person ", n_rows), _padded(per_row(person) + 1, 7), ""),
        "offence_seq": pa.array(seq.astype(np.int64)),
        "offence_code": _labels(codes_all, code_full),
        "offence_title": _labels(titles, code_full),
        "mode_of_trial": _labels(modes, np.maximum(mode_row, 0), mode_row >= 0),
        "offence_start_date": _dates(start_day),
        "offence_end_date": _dates(end_day),
        "is_continuing": _yn(continuing),
        "value_gbp": value,
        "da_flag": _yn(r_da),
        "hate_flag": _yn(per_row(D["hate"])),
        "vulnerable_victim_flag": _yn(per_row(D["vulnerable"])),
        "victim_statement_date": _dates(stmt_day),
        "vri_date": _dates(per_row(vri_df)),
        "knowledge_date": _dates(know_day),
        "bail_status": _labels(BAIL_STATUSES, per_row(bail_status)),
        "arrest_date": _dates(per_row(np.where(D["arrested"], created, NA))),
        "anticipated_plea": _labels(("GAP", "NGAP"), per_row(D["ngap"].astype(np.int64))),
        "file_stage": _labels(STAGES, per_row(D["stage"])),
        "file_status": _labels(STATUSES, per_row(D["status"])),
        "created_date": _dates(per_row(created)),
        "submitted_to_cjs_date": _dates(per_row(day_of(D["t_submit"]))),
        "cjs_triage_date": _dates(per_row(day_of(D["t_triage"]))),
        "cjs_triage_outcome": _labels(("ACCEPTED", "REJECTED"), per_row((~D["first_ok"]).astype(np.int64)), per_row(triaged)),
        "rejection_reasons": _masks_to_strings(rej_mask, NFS_REJECTION_REASONS, rej_present).take(pa.array(row_df)),
        "resubmission_count": pa.array(per_row(resub_count), mask=~per_row(submitted)),
        "sent_to_cps_date": _dates(per_row(sent_day)),
        "cps_decision_date": _dates(per_row(cps_dec_day)),
        "cps_decision": _labels(CPS_DECISIONS, per_row(np.maximum(cps_dec, 0)), per_row(cps_dec >= 0)),
        "action_plan_reasons": _masks_to_strings(ap_mask, DGA_REASONS, ap_present).take(pa.array(row_df)),
        "commenced_date": _dates(per_row(day_of(D["t_charge"]))),
        "first_hearing_date": _dates(per_row(fh_day)),
        "trial_date": _dates(per_row(trial_day)),
        "upgrade_file_due_date": _dates(per_row(due_day)),
        "oic_id": _labels(tuple(staff.officer_collar), per_row(D["officer"])),
        "oic_name": _labels(tuple(staff.officer_name), per_row(D["officer"])),
        "team": _labels(tuple(staff.team_names), per_row(D["team"])),
        "supervisor_id": _labels(tuple(staff.officer_collar), per_row(sergeant)),
        "supervisor_name": _labels(tuple(staff.officer_name), per_row(sergeant)),
        "last_review_date": _dates(per_row(review_day)),
        "ngap_allocated_officer_id": _labels(tuple(staff.officer_collar), per_row(D["ngap_officer"]), per_row(alloc_now)),
        "ngap_allocated_officer_name": _labels(tuple(staff.officer_name), per_row(D["ngap_officer"]), per_row(alloc_now)),
        "ngap_section_leader": _labels(tuple(staff.officer_name), per_row(section_leader), per_row(alloc_now)),
        "ngap_allocation_date": _dates(per_row(alloc_day)),
    }
    names = [c.name for c in CASE_FILES.columns]
    assert set(cols) == set(names), set(cols) ^ set(names)
    table = pa.table([cols[c] for c in names], names=names)

    # Offence codes per defendant-file for the custody extract (as written, including unknown codes).
    code_str = _labels(codes_all, code_full)
    parts = []
    for j in range(4):
        idx = starts + j
        present = j < n_off_df
        parts.append(code_str.take(pa.array(np.where(present, idx, 0), mask=~present)))
    custody_codes = pc.binary_join_element_wise(*parts, ";", null_handling="skip")
    return table, custody_codes


def _custody_table(force, staff, rng, D, det, person, urn, case_codes, n_custody, anchor_day, perm):
    O = _offence_arrays()
    n_df = len(person)
    created = D["created"]
    age = D["age"]
    linked = D["arrested"]
    L = np.flatnonzero(linked)
    n_l = len(L)

    # ---- linked records (one per arrested defendant on a case file) ----
    charged_route = D["route"][L] == R_CUSTODY
    disp_l = np.where(charged_route, np.where(D["remanded"][L], REMANDED, CHARGED), np.where(D["bail"][L], PCB, RUI))
    arrest_ts_l = created[L] * 1440 + D["arrest_min"][L]
    disposal_ts_l = arrest_ts_l + det[L]
    # Nobody is released after the extract was taken (end of the anchor day).
    last_minute = (anchor_day + 1) * 1440 - 1
    late = disposal_ts_l > last_minute
    if late.any():
        disposal_ts_l[late] = last_minute - rng.integers(0, 90, int(late.sum()))
        arrest_ts_l[late] = np.maximum(created[L][late] * 1440, np.minimum(arrest_ts_l[late], disposal_ts_l[late] - 60))
    charged_now = D["t_charge"][L] <= age[L]
    closed_pre = (D["t_close_pre"][L] <= age[L]) & ~charged_now
    open_pre = ~charged_now & ~closed_pre
    # Bail return: the day they answered bail (charge or NFA) or, for live bail, a date to come.
    ret = np.select(
        [charged_now, closed_pre],
        [created[L] + D["t_charge"][L], created[L] + np.minimum(D["t_close_pre"][L], age[L])],
        anchor_day + _uniform(rng, 1, 56, n_l),
    )
    ret = np.maximum(ret, created[L] + 7)
    bail_ret_l = np.where(disp_l == PCB, ret, NA)
    # File target date.
    submit_l = D["t_submit"][L]
    sub_now = submit_l <= age[L]
    slack = np.where(rng.random(n_l) < 0.85, rng.integers(0, 11, n_l), -rng.integers(1, 11, n_l))
    tgt_custody = created[L] + D["base"][L] + np.where(D["remanded"][L], 1, rng.integers(2, 8, n_l))
    tgt_sub = created[L] + np.maximum(submit_l + slack, 3)
    missed = ~sub_now & open_pre & (rng.random(n_l) < 0.015) & (age[L] >= 4)
    tgt_unsub = np.where(
        missed,
        created[L] + _uniform(rng, 3, np.maximum(np.minimum(age[L] - 1, 28), 3), n_l),
        np.maximum(anchor_day + _uniform(rng, 1, 35, n_l), created[L] + 7),
    )
    target_l = np.select(
        [charged_route, sub_now, open_pre, D["band_case"][L]],
        [tgt_custody, tgt_sub, tgt_unsub, tgt_unsub],
        NA,
    )
    # Unsubmitted BLACK cases (and some RED / AMBER ones) are the classic "missed target" rows.
    band = ~sub_now & (rng.random(n_l) < np.array([0.0, 0.9, 0.5, 0.2, 0.0])[D["band_code"][L]])
    target_l = np.where(band, created[L] + _uniform(rng, 7, 28, n_l), target_l)
    target_l = np.where(D["outcome"][L] == OUT_UNSUBMITTED, NA, target_l)

    # ---- unlinked records: everything else that happened in custody ----
    n_u = max(n_custody - n_l, 0)
    counts_l = np.bincount(disp_l, minlength=9)
    need = np.maximum(_DISPOSAL_TARGET * (n_l + n_u) - counts_l, 0)
    need[[CHARGED, REMANDED]] = 0
    p = need / need.sum() if need.sum() > 0 else np.full(9, 1 / 9)
    disp_u = rng.choice(9, size=n_u, p=p)
    arrest_day_u = anchor_day - _uniform(rng, 2, 365, n_u)
    hour_w = np.array([4, 3, 2.5, 2, 1.5, 1, 1, 1.5, 2.5, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7, 7, 7, 6.5, 6, 5.5, 5])
    arrest_ts_u = arrest_day_u * 1440 + rng.choice(24, size=n_u, p=hour_w / hour_w.sum()) * 60 + rng.integers(0, 60, n_u)
    det_u = _lognormal(rng, n_u, 480, 0.5, 60, 1440)
    disposal_ts_u = arrest_ts_u + det_u
    # Offences: fewer motoring arrests without a file; cautions and community resolutions only for
    # low-level offences.
    w = O["weight"] * np.where(O["work"] == 1, 0.25, 1.0)
    low = np.isin(np.array([o.code for o in OFFENCES]), list(_LOW_LEVEL))
    prim_u = rng.choice(len(OFFENCES), size=n_u, p=w / w.sum())
    oocd = np.isin(disp_u, [CAUTION, CR])
    if oocd.any():
        wl = np.where(low, w, 0.0)
        prim_u[oocd] = rng.choice(len(OFFENCES), size=int(oocd.sum()), p=wl / wl.sum())
    district_u = rng.choice(len(force.districts), size=n_u, p=np.array([d.weight for d in force.districts]))
    da_u = rng.random(n_u) < O["da"][prim_u]
    team_u, officer_u = _assign_team(rng, staff, district_u, np.where(da_u, 4, O["work"][prim_u]))
    bail_days = np.select(
        [rng.random(n_u) < 0.80, rng.random(n_u) < 0.80, rng.random(n_u) < 0.8],
        [_uniform(rng, 21, 90, n_u), _uniform(rng, 91, 180, n_u), _uniform(rng, 181, 270, n_u)],
        _uniform(rng, 271, 360, n_u),
    )
    bail_ret_u = np.where(disp_u == PCB, arrest_day_u + bail_days, NA)
    inv = np.isin(disp_u, [PCB, RUI])
    recent = arrest_day_u + 35 > anchor_day
    fut = arrest_day_u + _uniform(rng, 14, 35, n_u)
    missed_u = inv & ~recent & (rng.random(n_u) < 0.002)
    target_u = np.where(inv & recent & (fut > anchor_day), fut, NA)
    target_u = np.where(missed_u, arrest_day_u + _uniform(rng, 7, 28, n_u), target_u)
    nc = rng.integers(1, 4, n_u)
    comp = O["comp"][prim_u]
    codes_u = [prim_u] + [comp[np.arange(n_u), rng.integers(0, 4, n_u)] for _ in range(2)]
    codes_u[1] = np.where(oocd & ~low[codes_u[1]], prim_u, codes_u[1])
    codes_u[2] = np.where(oocd & ~low[codes_u[2]], prim_u, codes_u[2])
    keep = [np.ones(n_u, dtype=bool), (nc > 1) & (codes_u[1] != prim_u), (nc > 2) & (codes_u[2] != prim_u) & (codes_u[2] != codes_u[1])]
    code_lbl = tuple(o.code for o in OFFENCES)
    parts = [_labels(code_lbl, codes_u[j], keep[j]) for j in range(3)]
    codes_u_str = pc.binary_join_element_wise(*parts, ";", null_handling="skip")
    pool = len(perm)
    person_u = perm[np.floor(pool * rng.random(n_u) ** 2.0).astype(np.int64)]

    # ---- combine, order by arrest time, number the records ----
    suite_names = [s for s, _ in force.suites]
    suite_prefix = [p for _, p in force.suites]

    def suite_for(district):
        out = np.zeros(len(district), dtype=np.int64)
        u = rng.random(len(district))
        for di, d in enumerate(force.districts):
            sel = district == di
            names = [s for s, _ in d.suites]
            cum = np.cumsum([w for _, w in d.suites])
            out[sel] = np.array([suite_names.index(s) for s in names])[np.minimum((u[sel, None] >= cum).sum(axis=1), len(names) - 1)]
        return out

    suite = np.concatenate([suite_for(D["district"][L]), suite_for(district_u)])
    arrest_ts = np.concatenate([arrest_ts_l, arrest_ts_u])
    disposal_ts = np.concatenate([disposal_ts_l, disposal_ts_u])
    disposal = np.concatenate([disp_l, disp_u])
    bail_ret = np.concatenate([bail_ret_l, bail_ret_u])
    target = np.concatenate([target_l, target_u])
    officer = np.concatenate([D["officer"][L], officer_u])
    team = np.concatenate([D["team"][L], team_u])
    persons = np.concatenate([person[L], person_u])
    n_all = len(arrest_ts)

    # Bail authority by length of bail (R7: 3 months initial, 6 inspector, 9 superintendent, then court).
    arrest_day = arrest_ts // 1440
    bail_start = arrest_day + 1
    lim = [add_months(bail_start, m) - 1 for m in (3, 6, 9)]
    level = np.select([bail_ret <= lim[0], bail_ret <= lim[1], bail_ret <= lim[2]], [0, 1, 2], 3)
    level_present = bail_ret > NA

    order = np.lexsort((np.arange(n_all), arrest_ts))
    year = arrest_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    serial, _ = _serials(rng, suite, year, arrest_ts, anchor_day, np.ones(n_all, dtype=bool), 9, max_gap=1)
    serial = np.where(serial > 0, serial, 1)
    rec_id = pc.binary_join_element_wise(
        _labels(tuple(suite_prefix), suite), _padded(year % 100, 2), _padded(serial, 6), "-"
    )
    codes_all = pa.concat_arrays([case_codes.take(pa.array(L)), codes_u_str])
    urns = pa.concat_arrays([urn.take(pa.array(L)), pa.nulls(n_u, pa.string())])

    def ts(minutes):
        return pa.array(np.asarray(minutes, dtype=np.int64) * 60_000_000, type=pa.timestamp("us"))

    cols = {
        "force_code": _const(force.code, n_all),
        "custody_record_id": rec_id,
        "custody_suite": _labels(tuple(suite_names), suite),
        "arrest_datetime": ts(arrest_ts),
        "person_id": pc.binary_join_element_wise(_const(force.code + "N", n_all), _padded(persons + 1, 7), ""),
        "offence_codes": codes_all,
        "disposal": _labels(DISPOSALS, disposal),
        "disposal_datetime": ts(disposal_ts),
        "bail_return_date": _dates(bail_ret),
        "bail_extension_level": _labels(BAIL_LEVELS, level, level_present),
        "file_target_date": _dates(target),
        "urn": urns,
        "oic_id": _labels(tuple(staff.officer_collar), officer),
        "oic_name": _labels(tuple(staff.officer_name), officer),
        "team": _labels(tuple(staff.team_names), team),
    }
    names = [c.name for c in CUSTODY.columns]
    assert set(cols) == set(names), set(cols) ^ set(names)
    return pa.table([cols[c] for c in names], names=names).take(pa.array(order))


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _write_csv(table: pa.Table, path: Path) -> None:
    import duckdb

    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        # One thread: rows stay in order and DuckDB streams the table instead of buffering it
        # (two threads made the COPY ~10 % faster but held ~450 MB more at a million rows).
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET threads = 1")
        con.register("extract_rows", table)
        con.execute(
            f"COPY extract_rows TO '{tmp.as_posix()}' "
            "(FORMAT CSV, HEADER, DELIMITER ',', DATEFORMAT '%d/%m/%Y', TIMESTAMPFORMAT '%d/%m/%Y %H:%M')"
        )
    finally:
        con.close()
    tmp.replace(path)


def _write_xlsx(table: pa.Table, path: Path, anchor: dt.date) -> None:
    """Custody extract as a real Excel workbook: dates and times are date cells, references are text."""
    import xlsxwriter

    tmp = path.with_name(path.name + ".tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties(
        {
            "title": "Synthetic custody extract (Casewatch sample data)",
            "author": "Casewatch sample_data/generate.py",
            "comments": "Entirely synthetic: no real people, officers or cases.",
            "created": dt.datetime(anchor.year, anchor.month, anchor.day, 6, 0, 0),
        }
    )
    ws = wb.add_worksheet("Custody")
    head = wb.add_format({"bold": True})
    fmt_date = wb.add_format({"num_format": "dd/mm/yyyy"})
    fmt_ts = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    names = table.column_names
    kinds = {c.name: c.type for c in CUSTODY.columns}
    for j, name in enumerate(names):
        ws.write_string(0, j, name, head)
        ws.set_column(j, j, 20 if kinds[name] in ("DATE", "TIMESTAMP") else max(12, min(40, len(name) + 4)))
    ws.freeze_panes(1, 0)
    columns = [table.column(c).to_pylist() for c in names]
    epoch = dt.datetime(1899, 12, 30)
    for i in range(table.num_rows):
        for j, name in enumerate(names):
            v = columns[j][i]
            if v is None:
                continue
            kind = kinds[name]
            if kind == "TIMESTAMP":
                ws.write_number(i + 1, j, (v - epoch).total_seconds() / 86400.0, fmt_ts)
            elif kind == "DATE":
                ws.write_number(i + 1, j, float((v - epoch.date()).days), fmt_date)
            else:
                ws.write_string(i + 1, j, str(v))
    ws.autofilter(0, 0, table.num_rows, len(names) - 1)
    wb.close()
    tmp.replace(path)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _as_date(anchor: dt.date | str) -> dt.date:
    if isinstance(anchor, dt.datetime):
        return anchor.date()
    if isinstance(anchor, dt.date):
        return anchor
    return dt.date.fromisoformat(str(anchor))


def generate(
    out_dir: str | Path,
    anchor: dt.date | str = DEFAULT_ANCHOR,
    seed: int = DEFAULT_SEED,
    case_rows: int | None = None,
    forces: tuple[int, ...] | list[int] = (36, 37),
    xlsx: bool = False,
) -> dict[str, Path]:
    """Write the synthetic extracts and return {"<slug>_custody": path, "<slug>_case_files": path, ...}.

    ``case_rows`` is the total number of case-file rows across the forces (split in proportion to
    each force's default size); None gives about one force-year per force. With ``xlsx`` the Suffolk
    custody extract is written as ``suffolk_custody.xlsx`` instead of CSV. A stale file of the other
    format for the same extract is removed so a folder never holds the same extract twice.
    """
    anchor = _as_date(anchor)
    anchor_day = _day(anchor)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    forces = tuple(int(f) for f in forces)
    for f in forces:
        if f not in FORCES:
            raise ValueError(f"unknown force {f}; known: {sorted(FORCES)}")
    if case_rows is not None and case_rows < len(forces):
        raise ValueError("case_rows must be at least one row per force")
    total_default = sum(FORCES[f].default_cases for f in forces)
    written: dict[str, Path] = {}
    assigned = 0
    for k, f in enumerate(forces):
        force = FORCES[f]
        target = None
        if case_rows is not None:
            target = case_rows - assigned if k == len(forces) - 1 else round(case_rows * force.default_cases / total_default)
            assigned += target
        as_xlsx = xlsx and force.slug == "suffolk"
        for kind, table in _force_tables(force, seed, anchor_day, force.default_cases, target):
            if kind == "case_files":
                path = out / f"{force.slug}_case_files.csv"
                _write_csv(table, path)
            else:
                path = out / f"{force.slug}_custody.{'xlsx' if as_xlsx else 'csv'}"
                stale = out / f"{force.slug}_custody.{'csv' if as_xlsx else 'xlsx'}"
                (_write_xlsx(table, path, anchor) if as_xlsx else _write_csv(table, path))
                if stale.exists():
                    stale.unlink()
            written[f"{force.slug}_{kind}"] = path
            del table  # write, then drop, before building the next table
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sample_data.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--anchor", default=DEFAULT_ANCHOR.isoformat(), help="extract date YYYY-MM-DD (default %(default)s)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--case-rows", type=int, default=None, help="total case-file rows across forces (default: one force-year each)")
    ap.add_argument("--forces", default="36,37", help="comma-separated force codes (default %(default)s)")
    ap.add_argument("--xlsx", action="store_true", help="write Suffolk custody as XLSX (real Excel dates) instead of CSV")
    args = ap.parse_args(argv)
    forces = tuple(int(x) for x in args.forces.split(",") if x.strip())
    started = time.perf_counter()
    paths = generate(args.out, _as_date(args.anchor), args.seed, args.case_rows, forces, args.xlsx)
    elapsed = time.perf_counter() - started
    for key, path in paths.items():
        print(f"{key:24s} {path}  {path.stat().st_size / 1e6:8.2f} MB")
    print(f"done in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
