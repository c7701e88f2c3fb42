-- name: insight_cases
-- One row per open case (URN + defendant) not submitted to CJS by $as_of whose earliest open STL
-- falls on or before $as_of + $horizon and has not yet passed; the governing offence's details.
WITH offences AS (
    SELECT *,
           stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                    $red_unsub, $red_unch, $amber_unsub) AS band
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED'
      AND coalesce(created_date, $as_of) <= $as_of
), open_offences AS (
    SELECT * FROM offences
    WHERE stl_date IS NOT NULL AND (commenced_date IS NULL OR commenced_date > $as_of)
), cases AS (
    -- The governing offence is one row: the earliest STL, ties broken by offence number.
    SELECT force_code, urn, defendant_id,
           arg_min({'offence_code': offence_code,
                    'offence_title': coalesce(offence_title, offence_title_ref),
                    'stl_date': stl_date, 'stl_rule': stl_rule, 'stl_source': stl_source,
                    'stl_note': stl_note, 'stl_extendable': stl_extendable,
                    'offence_start_date': offence_start_date, 'last_working_day': stl_last_working_day,
                    'band': band},
                   {'d': stl_date, 'seq': offence_seq, 'row': src_row}) AS g,
           count(*) AS open_offences,
           any_value(defendant_name) AS defendant_name,
           any_value(oic_id) AS oic_id, any_value(oic_name) AS oic_name, any_value(team) AS team,
           any_value(supervisor_name) AS supervisor_name,
           any_value(file_stage) AS file_stage, any_value(file_status) AS file_status,
           bool_or(coalesce(da_flag, false)) AS da_flag,
           min(submitted_to_cjs_date) AS submitted_to_cjs_date
    FROM open_offences
    GROUP BY ALL
), flat AS (
    SELECT * EXCLUDE (g), unnest(g) FROM cases
)
SELECT force_code, urn, defendant_id, defendant_name, offence_code, offence_title, offence_start_date,
       stl_date, stl_rule, stl_source, stl_note, stl_extendable,
       stl_days_remaining(stl_date, $as_of) AS days_remaining, last_working_day, band,
       oic_id, oic_name, team, supervisor_name, file_stage, file_status, da_flag, open_offences
FROM flat
WHERE (submitted_to_cjs_date IS NULL OR submitted_to_cjs_date > $as_of)
  AND stl_date >= $as_of AND stl_date <= $as_of + CAST($horizon AS INTEGER)
ORDER BY last_working_day, stl_date, force_code, urn, defendant_id;

-- fragment: custody_missed_target_rows
-- Custody records whose file target date has passed by $as_of with no case file submitted to CJS on
-- or before $as_of (shared by the Insight report and the STL watch page). A case file in any team of
-- the viewer's forces counts; files come one row per URN with their earliest submission (case_file,
-- core/queries/derived.sql). The records still due are found first (an anti-join on the submitted
-- files), then told apart: no case file, not submitted, or submitted after the as-of date.
WITH due AS (
    SELECT c.force_code, c.custody_record_id, c.custody_suite, CAST(c.arrest_datetime AS DATE) AS arrest_date,
           c.disposal, c.urn, c.oic_id, c.oic_name, c.team, c.file_target_date,
           CAST($as_of - c.file_target_date AS INTEGER) AS days_overdue
    FROM custody c
    WHERE {{scope c}}
      AND c.file_target_date < $as_of
      AND CAST(c.arrest_datetime AS DATE) <= $as_of
), missed AS (
    SELECT d.* FROM due d
    ANTI JOIN (SELECT force_code, urn FROM case_file
               WHERE list_contains($forces, force_code) AND submitted_on <= $as_of) s
        ON s.force_code = d.force_code AND s.urn = d.urn
)
SELECT m.*,
       CASE WHEN s.urn IS NULL THEN 'no case file found'
            WHEN s.submitted_on IS NULL THEN 'case file not submitted'
            ELSE 'submitted after the as-of date' END AS file_position
FROM missed m
LEFT JOIN case_file s ON s.force_code = m.force_code AND s.urn = m.urn

-- name: custody_missed_target
-- One row per custody record whose file target date has passed by $as_of with no case file
-- submitted to CJS on or before $as_of.
SELECT * FROM ({{> custody_missed_target_rows}})
ORDER BY file_target_date, force_code, custody_record_id;
