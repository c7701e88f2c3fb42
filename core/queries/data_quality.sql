-- The Data page (pages/data.py, core/data_quality.py): data-quality checks over the served data,
-- the validation report (quarantined rows) and the load history.
--
-- Every check row has the same columns, so one table shows any check and each row can be found
-- in its file: check_id, source ('case file' or 'custody'), force_code, team, oic_id, urn, person
-- (defendant or detained person), record (offence number or custody record), field, value,
-- detail (why the row is flagged), src_file, src_row (spreadsheet row number in that file).
-- Checks read the served rows only: a row that was quarantined at load is in the validation
-- report instead, never in a check.

-- fragment: dq_rows
team_use AS (
    -- How many records (case: URN and defendant; custody: custody record) carry each team name in
    -- each of the viewer's forces, across both extracts: a name used once is probably a typo.
    SELECT force_code, team, count(DISTINCT rec_key) AS records
    FROM (
        SELECT force_code, team, 'C|' || urn || '|' || defendant_id AS rec_key
        FROM case_offences WHERE list_contains($forces, force_code)
        UNION ALL
        SELECT force_code, team, 'K|' || custody_record_id FROM custody WHERE list_contains($forces, force_code)
    )
    WHERE team IS NOT NULL
    GROUP BY ALL
), case_rows AS (
    SELECT *, 'offence ' || coalesce(CAST(offence_seq AS VARCHAR), '?') AS record
    FROM case_offences
    WHERE {{scope}}
), custody_rows AS (
    SELECT *, custody_record_id AS record
    FROM custody
    WHERE {{scope}}
), dq AS (
    -- missing_offence_date: an offence row with no offence (start) date.
    SELECT 'missing_offence_date' AS check_id, 'case file' AS source, force_code, team, oic_id, urn,
           defendant_id AS person, record, 'offence_start_date' AS field, CAST(NULL AS VARCHAR) AS value,
           'No offence date: the statutory time limit cannot be worked out (band UNKNOWN).' AS detail,
           src_file, src_row
    FROM case_rows
    WHERE offence_start_date IS NULL

    UNION ALL
    -- impossible_date_order: one row per broken pair of dates on an offence row (strictly before;
    -- the same day is possible).
    SELECT 'impossible_date_order', 'case file', force_code, team, oic_id, urn, defendant_id, record,
           p.field, strftime(p.later, '%d/%m/%Y'),
           p.what || ': ' || p.later_label || ' ' || strftime(p.later, '%d/%m/%Y') || ' is before '
               || p.earlier_label || ' ' || strftime(p.earlier, '%d/%m/%Y') || '.',
           src_file, src_row
    FROM (
        SELECT *, unnest(list_filter([
            {'field': 'submitted_to_cjs_date', 'what': 'Submitted before the file was created',
             'later_label': 'submitted to CJS', 'later': submitted_to_cjs_date,
             'earlier_label': 'created', 'earlier': created_date},
            {'field': 'cjs_triage_date', 'what': 'Triaged before it was submitted',
             'later_label': 'CJS triage', 'later': cjs_triage_date,
             'earlier_label': 'submitted to CJS', 'earlier': submitted_to_cjs_date},
            {'field': 'cps_decision_date', 'what': 'CPS decision before the file was sent to the CPS',
             'later_label': 'CPS decision', 'later': cps_decision_date,
             'earlier_label': 'sent to CPS', 'earlier': sent_to_cps_date},
            {'field': 'commenced_date', 'what': 'Charged before the offence',
             'later_label': 'proceedings commenced', 'later': commenced_date,
             'earlier_label': 'offence date', 'earlier': offence_start_date},
            {'field': 'arrest_date', 'what': 'Arrested before the offence',
             'later_label': 'arrest', 'later': arrest_date,
             'earlier_label': 'offence date', 'earlier': offence_start_date},
            {'field': 'offence_end_date', 'what': 'Offence ends before it starts',
             'later_label': 'offence end', 'later': offence_end_date,
             'earlier_label': 'offence start', 'earlier': offence_start_date}
        ], lambda x: x.later < x.earlier)) AS p
        FROM case_rows
    )

    UNION ALL
    SELECT 'impossible_date_order', 'custody', force_code, team, oic_id, urn, person_id, record,
           'disposal_datetime', strftime(disposal_datetime, '%d/%m/%Y %H:%M'),
           'Disposed of before the arrest: disposal ' || strftime(disposal_datetime, '%d/%m/%Y %H:%M')
               || ' is before arrest ' || strftime(arrest_datetime, '%d/%m/%Y %H:%M') || '.',
           src_file, src_row
    FROM custody_rows
    WHERE disposal_datetime < arrest_datetime

    UNION ALL
    -- unknown_team: no team recorded; or, with a configured team list, a team not on it; or,
    -- without one, a team name carried by no more than $rare_team_records records of its force.
    SELECT 'unknown_team', r.source, r.force_code, r.team, r.oic_id, r.urn, r.person, r.record, 'team', r.team,
           CASE
               WHEN r.team IS NULL OR trim(r.team) = '' THEN 'No team recorded: the record is outside every team filter.'
               WHEN len($known_teams) > 0 THEN 'Team not in the configured list of teams.'
               ELSE 'Team name used on only ' || u.records || ' record(s) of this force: a misspelling?'
           END,
           r.src_file, r.src_row
    FROM (
        SELECT 'case file' AS source, force_code, team, oic_id, urn, defendant_id AS person, record, src_file, src_row
        FROM case_rows
        UNION ALL
        SELECT 'custody', force_code, team, oic_id, urn, person_id, record, src_file, src_row FROM custody_rows
    ) r
    LEFT JOIN team_use u ON u.force_code = r.force_code AND u.team = r.team
    WHERE r.team IS NULL OR trim(r.team) = ''
       OR (len($known_teams) > 0 AND NOT list_contains($known_teams, lower(trim(r.team))))
       OR (len($known_teams) = 0 AND u.records <= $rare_team_records)

    UNION ALL
    -- unknown_offence_code: an offence code the offence reference does not know (no reference
    -- title), or whose mode of trial could not be settled.
    SELECT 'unknown_offence_code', 'case file', force_code, team, oic_id, urn, defendant_id, record,
           'offence_code', offence_code,
           CASE
               WHEN mode_of_trial_resolved IS NULL OR mode_of_trial_resolved = 'UNKNOWN'
                   THEN 'Not in the offence reference and no mode of trial in the extract: the statutory time limit cannot be worked out.'
               ELSE 'Not in the offence reference: the time limit was worked out from the extract''s mode of trial ('
                   || mode_of_trial_resolved || ').'
           END,
           src_file, src_row
    FROM case_rows
    WHERE offence_title_ref IS NULL OR coalesce(mode_of_trial_resolved, 'UNKNOWN') = 'UNKNOWN'

    UNION ALL
    -- duplicate: a row sharing its key with an earlier row of the same file but differing in other
    -- columns (the loader keeps both and records a load warning); only warnings of served rows.
    SELECT 'duplicate', 'case file', c.force_code, c.team, c.oic_id, c.urn, c.defendant_id, c.record,
           w.column_name, w.value, w.reason || '.', c.src_file, c.src_row
    FROM load_warning w
    JOIN case_rows c ON c.load_id = w.load_id AND c.src_file = w.file_name AND c.src_row = w.src_row
    UNION ALL
    SELECT 'duplicate', 'custody', k.force_code, k.team, k.oic_id, k.urn, k.person_id, k.record,
           w.column_name, w.value, w.reason || '.', k.src_file, k.src_row
    FROM load_warning w
    JOIN custody_rows k ON k.load_id = w.load_id AND k.src_file = w.file_name AND k.src_row = w.src_row

    UNION ALL
    -- urn_format: a URN that does not match the URN format (checked at load: urn_valid). A custody
    -- record with no URN yet is not flagged (the URN comes later).
    SELECT 'urn_format', 'case file', force_code, team, oic_id, urn, defendant_id, record, 'urn', urn,
           'URN not in the format force (2 digits), unit (2 characters), number (5 digits), year (2 digits), e.g. 36AB0123425.',
           src_file, src_row
    FROM case_rows
    WHERE NOT coalesce(urn_valid, false)
    UNION ALL
    SELECT 'urn_format', 'custody', force_code, team, oic_id, urn, person_id, record, 'urn', urn,
           'URN not in the format force (2 digits), unit (2 characters), number (5 digits), year (2 digits), e.g. 36AB0123425.',
           src_file, src_row
    FROM custody_rows
    WHERE urn IS NOT NULL AND NOT coalesce(urn_valid, false)
)

-- name: dq_counts
-- One row per data-quality check with any flagged row in the viewer's scope: the rows it flags.
WITH
{{> dq_rows}}
SELECT check_id, count(*) AS flagged
FROM dq
GROUP BY check_id;

-- name: dq_check_rows
-- One row per row flagged by check $check in the viewer's scope, in file order, at most $cap rows.
WITH
{{> dq_rows}}
SELECT source, force_code, team, oic_id, urn, person, record, field, value, detail, src_file, src_row
FROM dq
WHERE check_id = $check
ORDER BY src_file, src_row, field
LIMIT $cap;

-- name: dq_loads
-- One row per load in the load log, newest first: when it ran, its files and row counts.
SELECT load_id, min(started_at) AS started_at, max(finished_at) AS finished_at,
       string_agg(file_name, ', ' ORDER BY file_name) AS files, count(*) AS file_count,
       sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
       sum(rows_quarantined) AS rows_quarantined, sum(rows_skipped) AS rows_skipped,
       sum(warnings) AS warnings, any_value(generation) AS generation
FROM load_log
GROUP BY load_id
ORDER BY load_id DESC;

-- name: dq_quarantined
-- One row per quarantined source row of the loads $loads: the file, its row number, the first
-- failing column and its value, every reason, and the row as the file had it. At most $cap rows.
SELECT load_id, file_name, src_row, column_name, value, reason, raw_record
FROM quarantine
WHERE list_contains($loads, load_id)
ORDER BY load_id DESC, file_name, src_row
LIMIT $cap;

-- name: dq_quarantine_count
-- One row: how many quarantined rows the loads $loads have in the quarantine table.
SELECT count(*) AS quarantined
FROM quarantine
WHERE list_contains($loads, load_id);

-- name: dq_load_history
-- One row per file of every load in the load log, newest load first, with the rows of it still
-- served (a later extract of the same force and kind replaces them).
WITH served AS (
    SELECT load_id, src_file, count(*) AS rows_served FROM case_offences GROUP BY ALL
    UNION ALL
    SELECT load_id, src_file, count(*) FROM custody GROUP BY ALL
)
SELECT l.load_id, l.file_name, l.kind, l.format, l.encoding, l.sheet, l.forces, l.rows_read, l.rows_loaded,
       l.rows_quarantined, l.rows_skipped, l.warnings, coalesce(s.rows_served, 0) AS rows_served,
       l.ignored_columns, l.started_at, l.finished_at, l.generation, l.sha256
FROM load_log l
LEFT JOIN served s ON s.load_id = l.load_id AND s.src_file = l.file_name
ORDER BY l.load_id DESC, l.file_name;
