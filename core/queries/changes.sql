-- What changed since the last JOIM, and the at-risk trend over the load history (core/changes.py).
--
-- These queries do not run on the dashboard's shared connection: core.changes opens a private,
-- hardened in-memory DuckDB (core.history.attach) with the current generation attached READ_ONLY
-- as `cur` and the base snapshot as `base` (or one snapshot as `snap` for the trend), so every table
-- is qualified with its database. The case unit and its band are the Overview's (home.sql
-- stl_band_counts): a case is a force, URN and defendant with an offence row not closed and created
-- on or before the as-of date, and its band is the worst stl_band of those rows (core.stl.BAND_ORDER).
-- Each snapshot is judged at its own as-of date: `cur` at $as_of, `base` at $base_as_of.

-- fragment: changes_key
-- The governing offence of a case as one BIGINT sort key (as stl_watch.sql does, 1.6x cheaper than
-- arg_min over a struct at a million rows): band rank in bits 60-62, last working day in 44-59 and
-- STL date in 28-43 as days since 1900 (65535 = none), row id in 0-27. min() picks the worst band,
-- then the earliest last working day, STL date and row.
min((CAST(rank AS BIGINT) << 60)
    | (CAST(CASE WHEN stl_last_working_day IS NULL THEN 65535
                 ELSE least(greatest(stl_last_working_day - DATE '1900-01-01', 0), 65534) END AS BIGINT) << 44)
    | (CAST(CASE WHEN stl_date IS NULL THEN 65535
                 ELSE least(greatest(stl_date - DATE '1900-01-01', 0), 65534) END AS BIGINT) << 28)
    | CASE WHEN rid < 268435456 THEN rid
           ELSE error('What changed: case_offences has more rows than its sort key can index') END)

-- name: changes_build
-- Builds memory.change_all: one row per case in scope in either snapshot, with its band in each
-- (NULL where it is not an open case there), its governing offence's row, STL date and last working
-- day, and the change flags the page counts.
CREATE OR REPLACE TABLE memory.change_all AS
WITH now_cases AS (
    SELECT force_code, urn, defendant_id, {{> changes_key}} AS g
    FROM (
        SELECT force_code, urn, defendant_id, stl_date, stl_last_working_day, rowid AS rid,
               list_position($band_order, stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date,
                                                   commenced_date, $red_unsub, $red_unch, $amber_unsub)) AS rank
        FROM cur.case_offences
        WHERE {{scope}}
          AND coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED'
          AND coalesce(created_date, $as_of) <= $as_of
    )
    GROUP BY ALL
), base_cases AS (
    SELECT force_code, urn, defendant_id, {{> changes_key}} AS g
    FROM (
        SELECT force_code, urn, defendant_id, stl_date, stl_last_working_day, rowid AS rid,
               list_position($band_order, stl_band(stl_date, stl_rule, $base_as_of, submitted_to_cjs_date,
                                                   commenced_date, $red_unsub, $red_unch, $amber_unsub)) AS rank
        FROM base.case_offences
        WHERE {{scope}}
          AND coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED'
          AND coalesce(created_date, $base_as_of) <= $base_as_of
    )
    GROUP BY ALL
), decoded AS (
    SELECT force_code, urn, defendant_id,
           CAST(b.g >> 60 AS INTEGER) AS rank_before, CAST(n.g >> 60 AS INTEGER) AS rank_now,
           b.g & 268435455 AS rid_before, n.g & 268435455 AS rid_now,
           CASE WHEN (b.g >> 28) & 65535 < 65535 THEN DATE '1900-01-01' + CAST((b.g >> 28) & 65535 AS INTEGER) END
               AS stl_before,
           CASE WHEN (n.g >> 28) & 65535 < 65535 THEN DATE '1900-01-01' + CAST((n.g >> 28) & 65535 AS INTEGER) END
               AS stl_now,
           CASE WHEN (n.g >> 44) & 65535 < 65535 THEN DATE '1900-01-01' + CAST((n.g >> 44) & 65535 AS INTEGER) END
               AS last_working_day_now
    FROM now_cases n
    FULL OUTER JOIN base_cases b USING (force_code, urn, defendant_id)
), banded AS (
    SELECT *, $band_order[rank_before] AS band_before, $band_order[rank_now] AS band_now
    FROM decoded
), flagged AS (
    SELECT *,
           coalesce(list_contains($at_risk, band_before), false) AS at_risk_before,
           coalesce(list_contains($at_risk, band_now), false) AS at_risk_now,
           -- The RAG ladder GREEN < AMBER < RED < BLACK (NULL off the ladder: absent, UNKNOWN,
           -- COMMENCED, NO_LIMIT). A slip is a step up it between two bands both on it.
           list_position($ladder, band_before) AS step_before,
           list_position($ladder, band_now) AS step_now
    FROM banded
)
SELECT *,
       at_risk_now AND NOT at_risk_before AS new_at_risk,
       at_risk_before AND NOT at_risk_now AS cleared,
       coalesce(step_now > step_before, false) AS slipped,
       band_now = 'BLACK' AND band_before IS DISTINCT FROM 'BLACK' AS went_black
FROM flagged;

-- name: changes_build_at_risk
-- Builds memory.change_cases: the cases of memory.change_all at risk in either snapshot (every case
-- on a list is: new and slipped and went-BLACK cases are at risk now, cleared cases were at risk then),
-- with the team and officer of the governing offence in each snapshot.
CREATE OR REPLACE TABLE memory.change_cases AS
SELECT a.*, b.team AS team_before, n.team AS team_now, b.oic_id AS oic_before, n.oic_id AS oic_now
FROM memory.change_all a
LEFT JOIN cur.case_offences n ON n.rowid = a.rid_now
LEFT JOIN base.case_offences b ON b.rowid = a.rid_before
WHERE a.at_risk_before OR a.at_risk_now;

-- name: changes_summary
-- One row: cases in scope in either snapshot, at risk in each, and how many are on each list. The
-- reconciliation columns (listed, neither, unchanged, eased) put every case in exactly one bucket.
WITH c AS (
    SELECT *, (new_at_risk OR cleared OR slipped OR went_black) AS listed FROM memory.change_all
)
SELECT count(*) AS cases,
       count(band_before) AS cases_before,
       count(band_now) AS cases_now,
       count(*) FILTER (WHERE at_risk_before) AS at_risk_before,
       count(*) FILTER (WHERE at_risk_now) AS at_risk_now,
       count(*) FILTER (WHERE new_at_risk) AS new_at_risk,
       count(*) FILTER (WHERE cleared) AS cleared,
       count(*) FILTER (WHERE slipped) AS slipped,
       count(*) FILTER (WHERE went_black) AS went_black,
       count(*) FILTER (WHERE listed) AS listed,
       count(*) FILTER (WHERE NOT listed AND NOT at_risk_before AND NOT at_risk_now) AS neither,
       count(*) FILTER (WHERE NOT listed AND at_risk_before AND at_risk_now AND band_before = band_now) AS unchanged,
       count(*) FILTER (WHERE NOT listed AND at_risk_before AND at_risk_now AND band_before <> band_now) AS eased
FROM c;

-- name: changes_list
-- One row per case on the list $list (new_at_risk, cleared, slipped or went_black), most severe
-- band now first (cases no longer open last), then the earliest last working day now, then the most
-- severe band before; at most $cap rows.
SELECT force_code, urn, defendant_id, band_before, band_now,
       coalesce(team_now, team_before) AS team, coalesce(oic_now, oic_before) AS oic_id,
       stl_now AS stl_date, last_working_day_now AS last_working_day, stl_before AS stl_date_before,
       team_before
FROM memory.change_cases
WHERE CASE $list WHEN 'new_at_risk' THEN new_at_risk
                 WHEN 'cleared' THEN cleared
                 WHEN 'slipped' THEN slipped
                 WHEN 'went_black' THEN went_black
                 ELSE error('unknown change list ' || $list) END
ORDER BY rank_now NULLS LAST, last_working_day_now NULLS LAST, rank_before NULLS LAST, force_code, urn, defendant_id
LIMIT $cap;

-- name: changes_teams
-- One row per force and team with a case at risk in either snapshot: at risk then (by the team the
-- case had then) and now (by its team now), the net change, and the team's cases on each list (new
-- at risk, slipped and went BLACK by the team now; cleared by the team then). Biggest movement first.
WITH per_case AS (
    SELECT force_code, coalesce(team_before, '(no team)') AS team, 1 AS before, 0 AS now,
           0 AS new_at_risk, CAST(cleared AS INTEGER) AS cleared, 0 AS slipped, 0 AS went_black
    FROM memory.change_cases WHERE at_risk_before
    UNION ALL
    SELECT force_code, coalesce(team_now, '(no team)'), 0, 1,
           CAST(new_at_risk AS INTEGER), 0, CAST(slipped AS INTEGER), CAST(went_black AS INTEGER)
    FROM memory.change_cases WHERE at_risk_now
)
SELECT force_code, team,
       CAST(sum(before) AS BIGINT) AS at_risk_before,
       CAST(sum(now) AS BIGINT) AS at_risk_now,
       CAST(sum(now) - sum(before) AS BIGINT) AS net_change,
       CAST(sum(new_at_risk) AS BIGINT) AS new_at_risk,
       CAST(sum(cleared) AS BIGINT) AS cleared,
       CAST(sum(slipped) AS BIGINT) AS slipped,
       CAST(sum(went_black) AS BIGINT) AS went_black
FROM per_case
GROUP BY force_code, team
ORDER BY abs(sum(now) - sum(before)) DESC, sum(now) DESC, team, force_code;
