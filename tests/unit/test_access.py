"""Roles and scopes from identity claims (core.access): each role's boundary, default deny,
several matching rules, mapping-file checks, local mode, and the deny scope returning no rows
from real queries on the sample store (reliability.md SC-06, SC-09, SC-10; features.md idea 11).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from core import access, my_team, ngap, queries, queue
from core.access import NOTHING, LocalModeRefused, MappingError, RoleMapping, resolve
from core.config import ROOT, Settings, Thresholds
from core.queries import SCOPE_SQL
from core.scope import Scope
from core.store import Store

AS_OF = date(2026, 11, 24)
T = Thresholds()

RULES = [
    {"name": "cjs 36", "claim": "roles", "value": "CW.CJS.36", "role": "cjs_manager", "forces": ["36"]},
    {"name": "cjs all", "claim": "roles", "value": "CW.CJS.ALL", "role": "cjs_manager", "forces": ["*"]},
    {"name": "norwich leaders", "claim": "roles", "value": "CW.SL.Norwich", "role": "section_leader",
     "forces": ["36"], "teams": ["Norwich CID", "Norwich Safeguarding"]},
    {"name": "ipswich leaders", "claim": "roles", "value": "CW.SL.Ipswich", "role": "section_leader",
     "forces": ["37"], "teams": ["Ipswich CID"]},
    {"name": "officers 36", "claim": "roles", "value": "CW.Officer.36", "role": "officer", "forces": ["36"],
     "collar_claim": "collar"},
    {"name": "pc 2548", "claim": "email", "value": "PC2548@norfolk.police.example", "role": "officer",
     "forces": ["36"], "collar": "PC 2548"},
    {"name": "joim", "claim": "groups", "value": "grp-joim", "role": "joim_viewer", "forces": ["36", "37"]},
    {"name": "admins", "claim": "roles", "value": "CW.Admin", "role": "administrator"},
]
MAPPING = RoleMapping.from_dict({"rule": RULES})
FORCES = ("36", "37")


def who(**claims) -> dict:
    return {"is_logged_in": True, "oid": "oid-1", "name": "Test User", **claims}


# -- each role's boundary -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("claims", "role", "scope", "flags"),
    [
        # flags: pseudonymise, can_export, export_row_cap, can_load, can_read_audit
        (who(roles=["CW.Officer.36"], collar="PC 1895"), "officer",
         Scope(("36",), None, ("PC 1895",)), (False, True, 500, False, False)),
        (who(email="pc2548@NORFOLK.police.example"), "officer",  # e-mail matched ignoring case
         Scope(("36",), None, ("PC 2548",)), (False, True, 500, False, False)),
        (who(roles=["CW.SL.Norwich"]), "section_leader",
         Scope(("36",), ("Norwich CID", "Norwich Safeguarding"), None), (False, True, 5000, False, False)),
        (who(roles=["CW.CJS.36"]), "cjs_manager", Scope(("36",), None, None), (False, True, 20000, False, False)),
        (who(roles=["CW.CJS.ALL"]), "cjs_manager", Scope(FORCES, None, None), (False, True, 20000, False, False)),
        (who(groups=["grp-other", "grp-joim"]), "joim_viewer",
         Scope(FORCES, None, None), (True, False, 0, False, False)),
        (who(roles=["CW.Admin"]), "administrator", NOTHING, (False, False, 0, True, True)),
    ],
    ids=["officer-by-claim", "officer-by-email", "section-leader", "cjs-manager", "cjs-manager-all", "joim", "admin"],
)
def test_role_boundaries(claims, role, scope, flags):
    a = resolve(claims, MAPPING, all_forces=["37", "36"])
    assert a.allowed and a.role == role and a.user == "oid-1" and a.name == "Test User"
    assert a.scope == scope
    assert (a.pseudonymise, a.can_export, a.export_row_cap, a.can_load, a.can_read_audit) == flags
    assert a.sees_case_data == (role != "administrator")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (who(roles=["CW.Unknown"], groups=["grp-other"]), "not mapped"),
        (who(), "not mapped"),
        (who(roles="CW.CJS.36 "), "not mapped"),  # values match exactly
        (who(roles=["cw.cjs.36"]), "not mapped"),  # role values are not e-mails: case matters
        (who(roles=["CW.Officer.36"]), "collar"),  # officer rule without the collar claim
        ({"is_logged_in": False, "roles": ["CW.CJS.36"]}, "not signed in"),
        ({"is_logged_in": True, "roles": ["CW.CJS.36"]}, "none of the claims"),
    ],
)
def test_default_deny(claims, reason):
    a = resolve(claims, MAPPING, all_forces=FORCES)
    assert not a.allowed and a.role is None and reason in a.reason
    assert a.scope == NOTHING and a.scope.is_empty and not a.sees_case_data
    assert (a.pseudonymise, a.can_export, a.export_row_cap, a.can_load, a.can_read_audit) == (True, False, 0, False, False)


def test_an_empty_mapping_denies_everyone():
    assert not resolve(who(roles=["CW.CJS.36"]), RoleMapping()).allowed


def test_wildcard_forces_without_a_force_list_denies():
    a = resolve(who(roles=["CW.CJS.ALL"]), MAPPING)
    assert not a.allowed and "no force list" in a.reason


def test_user_id_prefers_the_entra_object_id():
    claims = {"is_logged_in": True, "sub": "sub-9", "email": "x@example", "roles": ["CW.CJS.36"]}
    assert resolve(claims, MAPPING).user == "sub-9"
    assert resolve({**claims, "oid": "oid-9"}, MAPPING).user == "oid-9"


# -- several rules --------------------------------------------------------------------------
def test_several_roles_the_priority_list_decides():
    claims = who(roles=["CW.SL.Norwich", "CW.Officer.36", "CW.CJS.36"], collar="PC 1895")
    assert resolve(claims, MAPPING).role == "officer"  # default: least privilege first
    reordered = RoleMapping.from_dict({"rule": RULES, "priority": [
        "section_leader", "cjs_manager", "officer", "joim_viewer", "administrator"]})
    a = resolve(claims, reordered)
    assert a.role == "section_leader" and a.rule == "norwich leaders"


def test_two_rules_of_one_role_are_not_merged_the_first_wins():
    a = resolve(who(roles=["CW.SL.Ipswich", "CW.SL.Norwich"]), MAPPING)
    assert a.rule == "norwich leaders"  # file order, not claim order
    assert a.scope == Scope(("36",), ("Norwich CID", "Norwich Safeguarding"), None)


def test_a_refused_rule_falls_back_to_the_next_matching_rule_of_that_role():
    claims = who(roles=["CW.Officer.36"], email="pc2548@norfolk.police.example")  # no collar claim
    a = resolve(claims, MAPPING)
    assert a.role == "officer" and a.scope.officers == ("PC 2548",) and a.rule == "pc 2548"


def test_filters_only_narrow_the_granted_scope():
    a = resolve(who(roles=["CW.SL.Norwich"]), MAPPING)
    assert a.scope.narrow(forces=["37"]).is_empty
    assert a.scope.narrow(teams=["Ipswich CID"]).is_empty
    assert a.scope.narrow(teams=["Norwich CID", "Ipswich CID"]).teams == ("Norwich CID",)
    assert NOTHING.narrow(forces=FORCES, teams=["Norwich CID"], officers=["PC 2548"]) == NOTHING


# -- the mapping file -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": []}, "unknown key"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "superuser", "forces": ["36"]}]}, "unknown role"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "cjs_manager", "forces": ["36"], "team": ["A"]}]},
         "unknown key"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "cjs_manager"}]}, "needs forces"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "cjs_manager", "forces": []}]}, "non-empty"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "section_leader", "forces": ["36"]}]}, "needs teams"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "section_leader", "forces": ["*"], "teams": ["A"]}]},
         "only for cjs_manager"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "cjs_manager", "forces": ["*", "36"]}]}, "on its own"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "officer", "forces": ["36"]}]}, "exactly one"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "officer", "forces": ["36"], "collar": "PC 1",
                    "collar_claim": "collar"}]}, "exactly one"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "officer", "forces": ["36"], "teams": ["A"],
                    "collar": "PC 1"}]}, "cannot have teams"),
        ({"rule": [{"claim": "roles", "value": "x", "role": "administrator", "forces": ["36"]}]}, "cannot have forces"),
        ({"rule": [{"claim": "roles", "role": "cjs_manager", "forces": ["36"]}]}, "'value' is required"),
        ({"priority": ["officer", "officer"]}, "once each"),
        ({"priority": ["officer"], "rule": [RULES[0]]}, "not in priority"),
        ({"export_row_cap": {"officer": -1}}, "0 or more"),
        ({"export_row_cap": {"officer": True}}, "whole number"),
        ({"export_row_cap": {"chief": 10}}, "unknown role"),
    ],
)
def test_mapping_errors_are_refused_with_the_reason(data, message):
    with pytest.raises(MappingError, match=message):
        RoleMapping.from_dict(data)


def test_export_caps_come_from_the_mapping():
    m = RoleMapping.from_dict({"rule": RULES, "export_row_cap": {"officer": 50, "cjs_manager": 0}})
    assert resolve(who(roles=["CW.Officer.36"], collar="PC 1"), m).export_row_cap == 50
    a = resolve(who(roles=["CW.CJS.36"]), m)
    assert a.export_row_cap == 0 and not a.can_export


def test_the_example_mapping_file_reads_and_resolves():
    m = RoleMapping.load(ROOT / "docs" / "examples" / "roles.toml")
    assert resolve(who(roles=["Casewatch.SectionLeader.NorwichCID"]), m).scope.teams == (
        "Norwich CID", "Norwich Safeguarding")
    assert resolve(who(email="pc2548@norfolk.police.example"), m).scope.officers == ("PC 2548",)
    assert resolve(who(roles=["Casewatch.Administrator"]), m).can_read_audit
    assert not resolve(who(roles=["Casewatch.Anything"]), m).allowed


def test_a_broken_mapping_file_names_the_file(tmp_path):
    bad = tmp_path / "roles.toml"
    bad.write_text('[[rule]]\nclaim = "roles"\nvalue = "x"\nrole = "officer"\nforces = ["36"]\n')
    with pytest.raises(MappingError, match=r"roles.toml: rule 1: an officer rule needs exactly one"):
        RoleMapping.load(bad)
    with pytest.raises(MappingError, match="not found"):
        RoleMapping.load(tmp_path / "missing.toml")


# -- local mode -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
     ("casewatch.example.police.uk", False)],
)
def test_local_mode_only_on_loopback(address, loopback):
    assert access.is_loopback(address) is loopback
    if loopback:
        access.check_local_mode(address)
    else:
        with pytest.raises(LocalModeRefused, match="bound to localhost"):
            access.check_local_mode(address)


def test_local_access_gives_the_named_identity_its_role():
    a = access.local_access(Settings(), "localhost", all_forces=FORCES)
    assert (a.user, a.role, a.scope) == ("local.user", "cjs_manager", Scope(FORCES, None, None))
    assert "LOCAL MODE" in access.local_banner(a) and "local.user" in access.local_banner(a)
    admin = access.local_access(replace(Settings(), local_role="administrator"), "127.0.0.1")
    assert admin.can_read_audit and admin.scope == NOTHING
    with pytest.raises(LocalModeRefused):
        access.local_access(Settings(), "0.0.0.0", all_forces=FORCES)
    with pytest.raises(LocalModeRefused, match="local mode is off"):
        access.local_access(replace(Settings(), auth_mode="oidc"), "localhost", all_forces=FORCES)
    with pytest.raises(MappingError, match="needs a roles_file"):
        access.local_access(replace(Settings(), local_role="officer"), "localhost", all_forces=FORCES)


def test_local_officer_through_a_mapping_file(tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text('[[rule]]\nclaim = "email"\nvalue = "local.user"\nrole = "officer"\nforces = ["36"]\n'
                     'collar = "PC 2548"\n')
    s = replace(Settings(), local_role="officer", roles_file=roles)
    a = access.local_access(s, "localhost", all_forces=FORCES)
    assert a.role == "officer" and a.scope == Scope(("36",), None, ("PC 2548",))


def test_sign_in_without_a_mapping_file_denies_everyone():
    m = access.mapping_for(replace(Settings(), auth_mode="oidc"))
    assert not resolve(who(roles=["cjs_manager"]), m).allowed


def test_settings_refuse_unknown_auth_mode_or_role(tmp_path):
    with pytest.raises(ValueError, match="auth_mode"):
        replace(Settings(), auth_mode="none")
    with pytest.raises(ValueError, match="local_role"):
        replace(Settings(), local_role="superuser")
    toml = tmp_path / "s.toml"
    toml.write_text('auth_mode = "oidc"\nroles_file = "roles.toml"\naudit_path = "audit/a.jsonl"\n')
    s = Settings.load(toml)
    assert s.auth_mode == "oidc" and s.roles_file == tmp_path / "roles.toml"
    assert s.audit_path == tmp_path / "audit" / "a.jsonl"


# -- the deny scope on real queries ---------------------------------------------------------
@pytest.fixture(scope="module")
def sample_con(sample_store, tmp_path_factory):
    from tests.conftest import copy_store

    con = Store(copy_store(sample_store, tmp_path_factory.mktemp("access")).store_dir).connect_read()
    yield con
    con.close()


@pytest.mark.parametrize("table", ["case_offences", "custody"])
def test_the_scope_expression_admits_no_row_under_deny(sample_con, table):
    total = sample_con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert total > 1000
    for scope in (NOTHING, NOTHING.narrow(forces=FORCES, teams=["Norwich CID"]),
                  access.deny().scope, resolve(who(roles=["nothing"]), MAPPING).scope):
        sql = f"SELECT count(*) FROM {table} WHERE " + SCOPE_SQL.format(a="")
        assert sample_con.execute(sql, scope.params()).fetchone()[0] == 0


def test_denied_user_gets_no_rows_from_page_queries(sample_con):
    scope = resolve(who(roles=["CW.Unknown"]), MAPPING, all_forces=FORCES).scope
    for frame in (
        queries.stl_band_counts(sample_con, scope, AS_OF, T),
        queries.review_counts(sample_con, scope, AS_OF, T),
        queries.ngap_light_counts(sample_con, scope, AS_OF, T),
        queries.forces_and_teams(sample_con, scope),
        queries.insight_cases(sample_con, scope, AS_OF, T),
        queries.custody_missed_target(sample_con, scope, AS_OF, T),
        my_team.cases(sample_con, scope, AS_OF, T, needs_action=False),
        ngap.cases(sample_con, scope, AS_OF, T),
        queue.positions(sample_con, scope, AS_OF, T),
    ):
        assert frame.empty or frame.select_dtypes("number").fillna(0).to_numpy().sum() == 0, frame
    assert queries.cjs_queue_length(sample_con, scope, AS_OF, T) == 0
    # the workload summary keeps its one 'scope' row, with zeros
    work = my_team.workload(sample_con, scope, AS_OF, T)
    assert list(work["level"]) == ["scope"] and int(work["files_in_scope"].sum()) == 0


def test_an_officer_sees_exactly_their_own_rows(sample_con):
    a = resolve(who(email="pc2548@norfolk.police.example"), MAPPING)
    people = queries.forces_and_teams(sample_con, a.scope)
    assert set(people["oic_id"]) == {"PC 2548"} and set(people["force_code"]) == {"36"}
    expected = sample_con.execute(
        "SELECT count(DISTINCT (urn, defendant_id)) FROM case_offences WHERE oic_id = 'PC 2548' "
        "AND force_code = '36'").fetchone()[0]
    listed = my_team.cases(sample_con, a.scope, AS_OF, T, needs_action=False)
    case_rows = listed[listed["urn"].notna()] if "urn" in listed else listed
    assert 0 < len(case_rows) <= expected
    assert set(listed["oic_id"].dropna()) <= {"PC 2548"}


def test_a_section_leader_sees_only_their_teams(sample_con):
    a = resolve(who(roles=["CW.SL.Norwich"]), MAPPING)
    people = queries.forces_and_teams(sample_con, a.scope)
    assert set(people["team"]) == {"Norwich CID", "Norwich Safeguarding"}
    other = a.scope.narrow(teams=["Breckland CID"])
    assert queries.forces_and_teams(sample_con, other).empty
