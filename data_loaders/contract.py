"""The extract contracts: which columns each police extract carries, their types and header synonyms.

A force's system exports a *custody extract* (one row per detention) and a *case-file extract*
(one row per alleged offence on a case file, with case-level columns repeated on every offence
row). Both arrive as CSV or XLSX. Headers are matched case- and space-insensitively against the
canonical name and its synonyms; a force can add its own names in a column-mapping file
(see ``docs/extracts.md``).

Every column has an explicit type. Nothing is inferred from the data: a value that does not fit
its type sends the row to quarantine with the file, row, column and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Column types. DATE accepts dd/mm/yyyy (day first), yyyy-mm-dd and Excel serial numbers;
# TIMESTAMP accepts the same with an optional HH:MM[:SS]; BOOL accepts Y/N, YES/NO, TRUE/FALSE, 1/0.
TEXT = "TEXT"
CODE = "CODE"  # text, trimmed and upper-cased (offence codes, enums, references)
DATE = "DATE"
TIMESTAMP = "TIMESTAMP"
BOOL = "BOOL"
INT = "INT"
MONEY = "MONEY"
LIST = "LIST"  # several codes in one cell, separated by ; | or ,


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    """For CODE columns: the accepted values (after upper-casing and synonym mapping)."""
    value_synonyms: tuple[tuple[str, str], ...] = ()
    """Common spellings mapped onto an allowed value, e.g. ("RUI", "RELEASED UNDER INVESTIGATION")."""
    pattern: str | None = None
    """For TEXT/CODE columns: a regular expression the trimmed value must match."""
    description: str = ""


@dataclass(frozen=True)
class Extract:
    kind: str
    title: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Columns that identify a row; two rows with the same key and different values are reported."""
    description: str = ""
    by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.columns})

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


FORCE_CODE = r"^\d{2}$"
COLLAR = r"^[A-Z0-9][A-Z0-9 /-]{0,19}$"
OFFENCE_CODE = r"^[A-Z]{2}\d{2}\d{3}[A-Z]?$|^COML\d{3}[A-Z]?$|^XX00\d{3}[A-Z]?$"

DISPOSALS = (
    "CHARGED",
    "PRE_CHARGE_BAIL",
    "RUI",
    "NFA",
    "CAUTION",
    "COMMUNITY_RESOLUTION",
    "REMANDED",
    "TRANSFERRED",
    "OTHER",
)
BAIL_LEVELS = ("INITIAL", "INSPECTOR", "SUPERINTENDENT", "COURT")
FILE_STAGES = (
    "PRE_CHARGE",
    "FIRST_HEARING_GAP",
    "FIRST_HEARING_NGAP",
    "UPGRADE_NG",
    "CROWN_COURT",
    "CLOSED",
)
FILE_STATUSES = (
    "IN_PROGRESS",
    "AWAITING_TRIAGE",
    "ACCEPTED",
    "REJECTED",
    "RESUBMITTED",
    "SENT_TO_CPS",
    "ACTION_PLAN",
    "DECIDED",
    "CLOSED",
)
PLEAS = ("GAP", "NGAP")
MODES_OF_TRIAL = ("SUMMARY", "EITHER_WAY", "INDICTABLE_ONLY")
TRIAGE_OUTCOMES = ("ACCEPTED", "REJECTED")
CPS_DECISIONS = ("CHARGE", "NFA", "ACTION_PLAN", "OUT_OF_COURT")
BAIL_STATUSES = (
    "CUSTODY",
    "REMANDED",
    "PRE_CHARGE_BAIL",
    "RUI",
    "CONDITIONAL_BAIL",
    "UNCONDITIONAL_BAIL",
    "NOT_ARRESTED",
)

_FORCE = Column(
    "force_code",
    CODE,
    required=True,
    synonyms=("force", "force code", "force no", "force number", "force id"),
    pattern=FORCE_CODE,
    description="Two-digit Home Office force code (36 Norfolk, 37 Suffolk).",
)
_URN = Column(
    "urn",
    CODE,
    synonyms=("unique reference number", "case urn", "ptiurn", "pti urn", "case reference", "case ref"),
    description="Police/CPS Unique Reference Number, e.g. 36AB0123425 or 36/AB/01234/25.",
)

CUSTODY = Extract(
    kind="custody",
    title="Custody extract",
    table="custody",
    key=("force_code", "custody_record_id"),
    description="One row per detention (custody record).",
    columns=(
        _FORCE,
        Column(
            "custody_record_id",
            CODE,
            required=True,
            synonyms=("custody record", "custody ref", "custody number", "custody no", "custody record number"),
            description="Custody record reference; leading zeros are kept.",
        ),
        Column("custody_suite", TEXT, synonyms=("suite", "custody centre", "pic", "custody location")),
        Column(
            "arrest_datetime",
            TIMESTAMP,
            required=True,
            synonyms=("arrest date", "arrest date time", "arrest datetime", "arrest time", "date of arrest"),
        ),
        Column(
            "person_id",
            CODE,
            required=True,
            synonyms=("person ref", "nominal", "nominal id", "person reference", "detained person id"),
        ),
        Column(
            "offence_codes",
            LIST,
            synonyms=("offences", "offence code", "offence codes", "cjs offence codes", "cjs codes"),
            description="One or more CJS offence codes separated by ';'.",
        ),
        Column(
            "disposal",
            CODE,
            required=True,
            synonyms=("outcome", "custody outcome", "disposal type", "result"),
            allowed=DISPOSALS,
            value_synonyms=(
                ("RELEASED UNDER INVESTIGATION", "RUI"),
                ("BAIL", "PRE_CHARGE_BAIL"),
                ("PRE CHARGE BAIL", "PRE_CHARGE_BAIL"),
                ("NO FURTHER ACTION", "NFA"),
                ("CHARGE", "CHARGED"),
                ("REMAND", "REMANDED"),
                ("COMMUNITY RESOLUTION", "COMMUNITY_RESOLUTION"),
            ),
        ),
        Column("disposal_datetime", TIMESTAMP, synonyms=("disposal date", "release date", "disposal time")),
        Column("bail_return_date", DATE, synonyms=("bail return", "bail date", "answer bail date")),
        Column(
            "bail_extension_level",
            CODE,
            synonyms=("bail authority", "bail extension", "bail level"),
            allowed=BAIL_LEVELS,
            description="Who last authorised pre-charge bail (R7): INITIAL, INSPECTOR, SUPERINTENDENT, COURT.",
        ),
        Column(
            "file_target_date",
            DATE,
            synonyms=("target date", "file due date", "file target", "file due"),
            description="Date by which the case file should be submitted to CJS.",
        ),
        _URN,
        Column("oic_id", CODE, synonyms=("oic", "officer in case", "oic collar", "collar number"), pattern=COLLAR),
        Column("oic_name", TEXT, synonyms=("oic name", "officer name", "officer in the case")),
        Column("team", TEXT, synonyms=("oic team", "unit", "department", "team name")),
    ),
)

CASE_FILES = Extract(
    kind="case_files",
    title="Case-file extract",
    table="case_offences",
    key=("force_code", "urn", "defendant_id", "offence_seq"),
    description=(
        "One row per alleged offence on a case file; case-level columns are repeated on every "
        "offence row of the same URN and defendant."
    ),
    columns=(
        _FORCE,
        Column(
            "urn",
            CODE,
            required=True,
            synonyms=_URN.synonyms,
            description=_URN.description,
        ),
        Column("defendant_id", CODE, required=True, synonyms=("defendant", "defendant ref", "suspect id", "person id")),
        Column("defendant_name", TEXT, synonyms=("defendant name", "suspect name", "name")),
        Column("offence_seq", INT, synonyms=("offence seq", "offence no", "charge seq", "offence number", "seq")),
        Column(
            "offence_code",
            CODE,
            required=True,
            synonyms=("cjs code", "cjs offence code", "offence", "charge code"),
            pattern=OFFENCE_CODE,
        ),
        Column("offence_title", TEXT, synonyms=("offence description", "offence wording", "description")),
        Column(
            "mode_of_trial",
            CODE,
            synonyms=("mode of trial", "mot", "trial mode", "offence type"),
            allowed=MODES_OF_TRIAL,
            value_synonyms=(
                ("S", "SUMMARY"),
                ("SUMMARY ONLY", "SUMMARY"),
                ("EW", "EITHER_WAY"),
                ("EITHER WAY", "EITHER_WAY"),
                ("IO", "INDICTABLE_ONLY"),
                ("I", "INDICTABLE_ONLY"),
                ("INDICTABLE", "INDICTABLE_ONLY"),
                ("INDICTABLE ONLY", "INDICTABLE_ONLY"),
            ),
        ),
        Column("offence_start_date", DATE, synonyms=("offence date", "offence from", "date of offence", "offence start")),
        Column("offence_end_date", DATE, synonyms=("offence to", "offence end")),
        Column(
            "is_continuing",
            BOOL,
            synonyms=("continuing offence", "continuing"),
            description="Y if the offence is a continuing offence: time runs from its last day (R2).",
        ),
        Column("value_gbp", MONEY, synonyms=("value", "property value", "value £", "amount")),
        Column("da_flag", BOOL, synonyms=("domestic abuse", "da", "domestic", "da flag", "domestic abuse flag")),
        Column("hate_flag", BOOL, synonyms=("hate crime", "hate")),
        Column("vulnerable_victim_flag", BOOL, synonyms=("vulnerable victim", "vulnerable")),
        Column(
            "victim_statement_date",
            DATE,
            synonyms=("mg11 date", "statement date", "victim statement", "victim statement date"),
            description="Date the complainant's witness statement was given to police (CJA 1988 s.39A(2)).",
        ),
        Column(
            "vri_date",
            DATE,
            synonyms=("video interview date", "vri", "abe date", "video recorded interview date"),
            description="Date of the video-recorded interview for evidence in chief (s.39A(3)).",
        ),
        Column(
            "knowledge_date",
            DATE,
            synonyms=("evidence knowledge date", "prosecutor knowledge date", "s6 certificate date"),
            description="Date sufficient evidence came to the prosecutor's knowledge (RTOA 1988 s.6 and similar).",
        ),
        Column(
            "bail_status",
            CODE,
            synonyms=("bail status", "remand status", "custody status"),
            allowed=BAIL_STATUSES,
            value_synonyms=(("RELEASED UNDER INVESTIGATION", "RUI"), ("IN CUSTODY", "CUSTODY")),
        ),
        Column("arrest_date", DATE, synonyms=("arrest date", "date of arrest")),
        Column(
            "anticipated_plea",
            CODE,
            synonyms=("anticipated plea", "plea", "gap ngap"),
            allowed=PLEAS,
            value_synonyms=(("G", "GAP"), ("NG", "NGAP"), ("GUILTY", "GAP"), ("NOT GUILTY", "NGAP")),
        ),
        Column("file_stage", CODE, synonyms=("stage", "file type"), allowed=FILE_STAGES),
        Column("file_status", CODE, synonyms=("status", "file state"), allowed=FILE_STATUSES),
        Column("created_date", DATE, synonyms=("created", "file created", "date created")),
        Column("submitted_to_cjs_date", DATE, synonyms=("submitted", "submitted date", "date submitted", "submitted to cjs")),
        Column("cjs_triage_date", DATE, synonyms=("triage date", "triaged", "date triaged")),
        Column(
            "cjs_triage_outcome",
            CODE,
            synonyms=("triage outcome", "triage result"),
            allowed=TRIAGE_OUTCOMES,
            value_synonyms=(("ACCEPT", "ACCEPTED"), ("REJECT", "REJECTED")),
        ),
        Column("rejection_reasons", LIST, synonyms=("rejection reason", "reject reasons", "triage reasons")),
        Column("resubmission_count", INT, synonyms=("resubmissions", "times resubmitted")),
        Column("sent_to_cps_date", DATE, synonyms=("sent to cps", "cps submission date", "date sent to cps")),
        Column("cps_decision_date", DATE, synonyms=("cps decision", "charging decision date")),
        Column(
            "cps_decision",
            CODE,
            synonyms=("cps outcome", "charging decision"),
            allowed=CPS_DECISIONS,
            value_synonyms=(("FURTHER INVESTIGATION", "ACTION_PLAN"), ("ACTION PLAN", "ACTION_PLAN"), ("CHARGED", "CHARGE")),
        ),
        Column("action_plan_reasons", LIST, synonyms=("action plan reasons", "cps reasons")),
        Column(
            "commenced_date",
            DATE,
            synonyms=("charge date", "date charged", "proceedings commenced", "commenced", "requisition date"),
            description="Date proceedings were commenced: charge, written charge/requisition or information laid (R6).",
        ),
        Column("first_hearing_date", DATE, synonyms=("first hearing", "fhd", "first hearing date")),
        Column("trial_date", DATE, synonyms=("trial",)),
        Column("upgrade_file_due_date", DATE, synonyms=("upgrade due", "upgrade file due", "upgrade date")),
        Column("oic_id", CODE, synonyms=("oic", "officer in case", "oic collar", "collar number"), pattern=COLLAR),
        Column("oic_name", TEXT, synonyms=("oic name", "officer name", "officer in the case")),
        Column("team", TEXT, required=True, synonyms=("oic team", "unit", "department", "team name")),
        Column("supervisor_id", CODE, synonyms=("supervisor", "supervisor collar", "sergeant"), pattern=COLLAR),
        Column("supervisor_name", TEXT, synonyms=("supervisor name", "sergeant name")),
        Column("last_review_date", DATE, synonyms=("last review", "last 28 day review", "last supervisory review", "review date")),
        Column(
            "ngap_allocated_officer_id",
            CODE,
            synonyms=("ngap officer", "allocated officer", "ngap allocated to"),
            pattern=COLLAR,
        ),
        Column("ngap_allocated_officer_name", TEXT, synonyms=("allocated officer name", "ngap officer name")),
        Column("ngap_section_leader", TEXT, synonyms=("section leader", "ngap section leader")),
        Column("ngap_allocation_date", DATE, synonyms=("allocation date", "ngap allocated date", "date allocated")),
    ),
)

EXTRACTS = {e.kind: e for e in (CUSTODY, CASE_FILES)}

_SPACE = re.compile(r"[\s_\-./]+")


def normalise_header(text: str) -> str:
    """Lower-case a header and fold spaces, underscores, dashes, dots and slashes to one space."""
    cleaned = text.replace("\ufeff", "").replace("\u00a0", " ").replace("\u200b", "")
    return _SPACE.sub(" ", cleaned).strip().lower()


def header_lookup(extract: Extract, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Map every accepted (normalised) header spelling to its canonical column name.

    ``extra`` is a force's own mapping (their header -> canonical name); it wins over synonyms.
    """
    lookup: dict[str, str] = {}
    for col in extract.columns:
        lookup[normalise_header(col.name)] = col.name
        for syn in col.synonyms:
            lookup.setdefault(normalise_header(syn), col.name)
    for theirs, ours in (extra or {}).items():
        lookup[normalise_header(theirs)] = ours
    return lookup
