-- STL watch (Norfolk's 'Insight report' as a page). See core/stl_watch.py for how these fit together.
--
-- stl_watch_cases is the ONE definition of which cases the page counts and how each is classified.
-- stl_watch_page is written over it: core/stl_watch.py runs it as
-- "WITH watch_cases AS MATERIALIZED (<stl_watch_cases>) <stl_watch_page>", so the list, the band
-- metrics, the countdown, the calendar and the row reconciliation come from the same rows in one scan
-- and cannot disagree. stl_watch_page is therefore not runnable on its own.

-- fragment: offence_arithmetic
-- The columns that show how one offence's STL was worked out (alias o: a case_offences row), as the
-- watch list and the BLACK list show them; events after $as_of count as not yet happened.
o.offence_seq, o.offence_code,
       coalesce(o.offence_title, o.offence_title_ref) AS offence_title, o.stl_rule,
       o.offence_start_date, o.offence_end_date, least(o.victim_statement_date, o.vri_date) AS statement_vri_date,
       o.knowledge_date,
       CASE WHEN o.commenced_date <= $as_of THEN o.commenced_date END AS commenced_date,
       CASE WHEN o.submitted_to_cjs_date <= $as_of THEN o.submitted_to_cjs_date END AS submitted_to_cjs_date,
       o.stl_alt_date, o.stl_long_stop_date, o.stl_extendable, o.stl_source, o.stl_note

-- name: stl_watch_cases
-- One row per case (force, URN, defendant) with any offence row in the viewer's scope: its governing
-- offence and the page category that says whether it is listed or why not (exactly one category each).
-- Governing offence: among the offence rows created by $as_of on files that are not closed, the one in
-- the most severe band (core.stl.BAND_ORDER), then with the earliest last working day, then STL date,
-- then the first in the extract. The case band is that offence's band, i.e. the worst band of its
-- offences (the Overview page counts cases the same way).
-- Speed: the governing offence is found with min() over one BIGINT sort key per row (band rank in bits
-- 60-62, last working day in 44-59 and STL date in 28-43 as days since 1900 (65535 = none), row id in
-- 0-27), which is 1.6x cheaper at a million rows than arg_min over a struct. Only the row id is carried:
-- the list joins back for the details of the rows it shows.
WITH offences AS (
    SELECT force_code, urn, defendant_id, rowid AS rid, stl_date, stl_last_working_day,
           coalesce(created_date, $as_of) <= $as_of AS is_created,
           coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED' AS is_open,
           stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                    $red_unsub, $red_unch, $amber_unsub) AS band
    FROM case_offences
    WHERE {{scope}}
), cases AS (
    SELECT force_code, urn, defendant_id,
           count(*) AS offence_rows,
           bool_or(is_created) AS any_created,
           min((CAST(list_position($band_order, band) AS BIGINT) << 60)
               | (CAST(CASE WHEN stl_last_working_day IS NULL THEN 65535
                            ELSE least(greatest(stl_last_working_day - DATE '1900-01-01', 0), 65534) END AS BIGINT) << 44)
               | (CAST(CASE WHEN stl_date IS NULL THEN 65535
                            ELSE least(greatest(stl_date - DATE '1900-01-01', 0), 65534) END AS BIGINT) << 28)
               | CASE WHEN rid < 268435456 THEN rid
                      ELSE error('STL watch: case_offences has more rows than its sort key can index') END)
               FILTER (WHERE is_created AND is_open) AS g
    FROM offences
    GROUP BY ALL
), flat AS (
    SELECT force_code, urn, defendant_id, offence_rows, any_created,
           $band_order[CAST(g >> 60 AS INTEGER)] AS band,
           CASE WHEN (g >> 44) & 65535 < 65535 THEN DATE '1900-01-01' + CAST((g >> 44) & 65535 AS INTEGER) END
               AS last_working_day,
           CASE WHEN (g >> 28) & 65535 < 65535 THEN DATE '1900-01-01' + CAST((g >> 28) & 65535 AS INTEGER) END
               AS stl_date,
           g & 268435455 AS rid
    FROM cases
), bucketed AS (
    -- Countdown bucket: working days from $as_of to the last working day, using $working_days (the
    -- working days after $as_of, in order). -3 no STL date; -2 STL passed; -1 last working day passed
    -- but the STL has not (it falls on a weekend or holiday); 0 today; 1-5; 10 = 6-10; 20 = 11-20; 99 later.
    SELECT *,
           CASE WHEN band = 'BLACK' THEN -2
                WHEN stl_date IS NULL OR last_working_day IS NULL THEN -3
                WHEN last_working_day < $as_of THEN -1
                WHEN last_working_day = $as_of THEN 0
                WHEN last_working_day <= $working_days[1] THEN 1
                WHEN last_working_day <= $working_days[2] THEN 2
                WHEN last_working_day <= $working_days[3] THEN 3
                WHEN last_working_day <= $working_days[4] THEN 4
                WHEN last_working_day <= $working_days[5] THEN 5
                WHEN last_working_day <= $working_days[10] THEN 10
                WHEN last_working_day <= $working_days[20] THEN 20
                ELSE 99 END AS bucket
    FROM flat
)
SELECT *,
       CASE WHEN NOT any_created THEN 'not_created'
            WHEN band IS NULL THEN 'closed'
            WHEN band = 'COMMENCED' THEN 'commenced'
            WHEN band = 'NO_LIMIT' THEN 'no_limit'
            WHEN NOT list_contains($bands, band) THEN 'band_not_selected'
            WHEN (CAST($drill_bucket AS INTEGER) IS NOT NULL AND bucket <> CAST($drill_bucket AS INTEGER))
              OR (CAST($drill_day AS DATE) IS NOT NULL AND stl_date IS DISTINCT FROM CAST($drill_day AS DATE))
                THEN 'not_drilled'
            ELSE 'listed' END AS category
FROM bucketed;

-- name: stl_watch_page
-- Runs over stl_watch_cases (relation watch_cases, materialised once). Two parts in one result, so that
-- the list and the counts come from the same classification in the same scan:
-- part 'group': one row per (category, band, countdown bucket, day) with cases and their offence rows;
--   every case is counted once, so the reconciliation, band metrics, countdown and calendar are sums of
--   the same rows. day is the governing STL date when the case is in the chosen bands and it falls from
--   $as_of to $calendar_end, else NULL.
-- part 'row': one row per listed case on this page ($page_size rows from $page_offset), with the total
--   listed and the governing offence's details (joined back by row id). Order (position): by band (RED,
--   UNKNOWN, AMBER, GREEN, then BLACK: cases that can still be saved first; $list_band_order), then last
--   working day (UNKNOWN has none), STL date, force, URN, defendant. working_days_left counts the working
--   days after $as_of up to and including the last working day (0 = today); NULL once it has passed.
SELECT 'group' AS part, category, band, bucket,
       CASE WHEN category IN ('listed', 'not_drilled') AND stl_date BETWEEN $as_of AND $calendar_end
            THEN stl_date END AS day,
       count(*) AS cases, sum(offence_rows) AS offence_rows
FROM watch_cases
GROUP BY ALL
UNION ALL BY NAME
SELECT 'row' AS part, l.position, l.band, l.last_working_day,
       CASE WHEN l.last_working_day >= $as_of AND l.last_working_day <= $working_days[-1]
            THEN CAST(length(list_filter($working_days, lambda d: d <= l.last_working_day)) AS INTEGER)
       END AS working_days_left,
       l.stl_date, stl_days_remaining(l.stl_date, $as_of) AS days_remaining,
       l.force_code, l.urn, l.defendant_id, {{> offence_arithmetic}},
       o.oic_id, o.oic_name, o.team, o.supervisor_name, o.file_stage, o.file_status,
       l.offence_rows, l.bucket, l.total_listed
FROM (
    SELECT *,
           row_number() OVER (ORDER BY list_position($list_band_order, band), last_working_day NULLS FIRST,
                                       stl_date, force_code, urn, defendant_id) AS position,
           count(*) OVER () AS total_listed
    FROM watch_cases
    WHERE category = 'listed'
    ORDER BY position
    LIMIT $page_size OFFSET $page_offset
) AS l
JOIN case_offences o ON o.rowid = l.rid
ORDER BY part, position, category, band, bucket, day;

-- name: stl_watch_case_offences
-- One row per offence row of one case ($case_force, $case_urn, $case_defendant) in the viewer's scope,
-- created by $as_of: the offence's own band as at $as_of and every input of its STL arithmetic.
SELECT stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                $red_unsub, $red_unch, $amber_unsub) AS band,
       offence_seq, offence_code, coalesce(offence_title, offence_title_ref) AS offence_title,
       mode_of_trial_resolved, stl_rule, stl_date, stl_last_working_day AS last_working_day,
       stl_days_remaining(stl_date, $as_of) AS days_remaining,
       offence_start_date, offence_end_date, is_continuing, da_flag,
       least(victim_statement_date, vri_date) AS statement_vri_date, victim_statement_date, vri_date,
       knowledge_date,
       CASE WHEN commenced_date <= $as_of THEN commenced_date END AS commenced_date,
       CASE WHEN submitted_to_cjs_date <= $as_of THEN submitted_to_cjs_date END AS submitted_to_cjs_date,
       stl_alt_date, stl_long_stop_date, stl_extendable, stl_source, stl_note,
       file_stage, file_status, force_code, urn, defendant_id
FROM case_offences
WHERE {{scope}}
  AND force_code = $case_force AND urn = $case_urn AND defendant_id = $case_defendant
  AND coalesce(created_date, $as_of) <= $as_of
ORDER BY offence_seq NULLS LAST, src_row;

-- name: stl_watch_black_by_team_month
-- One row per force, team and month: cases (URN + defendant) lost to a statutory time limit, i.e. with an
-- offence in band BLACK as at $as_of (proceedings not commenced on or before its STL), counted once, in
-- the month of their first lost STL, when that date falls in the period $period_start..$period_end.
-- Files closed since are included: a time-barred case that was then closed is exactly what this measures.
WITH lost AS (
    SELECT force_code, urn, defendant_id, min(stl_date) AS lost_on, min(team) AS team
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(created_date, $as_of) <= $as_of
      -- BLACK needs an STL before the as-of date (core.stl.band_for): a cheap test first.
      AND stl_date < $as_of
      AND stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                   $red_unsub, $red_unch, $amber_unsub) = 'BLACK'
    GROUP BY ALL
)
SELECT force_code, team, CAST(date_trunc('month', lost_on) AS DATE) AS month, count(*) AS cases
FROM lost
WHERE lost_on BETWEEN $period_start AND $period_end
GROUP BY ALL
ORDER BY month, force_code, team;

-- name: stl_watch_black_cases
-- One row per case lost to its STL in the period (as stl_watch_black_by_team_month), optionally only one
-- force, team and month ($pick_force / $pick_team / $pick_month, NULL = all), the first lost offence's
-- arithmetic; most recent first, at most $limit rows, with the total. The first lost offence (earliest
-- STL, then offence number, then first in the extract) is found by row id, and only the rows listed
-- are joined back for their details.
WITH lost AS (
    SELECT force_code, urn, defendant_id,
           arg_min(rowid, {'s': stl_date, 'seq': offence_seq, 'row': src_row}) AS rid,
           min(stl_date) AS stl_date,
           min(team) AS team
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(created_date, $as_of) <= $as_of
      -- BLACK needs an STL before the as-of date (core.stl.band_for): a cheap test first.
      AND stl_date < $as_of
      AND stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                   $red_unsub, $red_unch, $amber_unsub) = 'BLACK'
    GROUP BY ALL
), picked AS (
    SELECT *, CAST(date_trunc('month', stl_date) AS DATE) AS month
    FROM lost
    WHERE stl_date BETWEEN $period_start AND $period_end
      AND (CAST($pick_force AS VARCHAR) IS NULL OR force_code = CAST($pick_force AS VARCHAR))
      AND (CAST($pick_team AS VARCHAR) IS NULL OR team IS NOT DISTINCT FROM CAST($pick_team AS VARCHAR))
), listed AS (
    SELECT *, count(*) OVER () AS total_rows
    FROM picked
    WHERE CAST($pick_month AS DATE) IS NULL OR month = CAST($pick_month AS DATE)
    ORDER BY stl_date DESC, force_code, urn, defendant_id
    LIMIT $limit
)
SELECT 'BLACK' AS band, l.month, l.stl_date, o.stl_last_working_day AS last_working_day,
       CAST($as_of - l.stl_date AS INTEGER) AS days_since,
       l.force_code, l.team, l.urn, l.defendant_id, {{> offence_arithmetic}},
       o.oic_id, o.oic_name, o.supervisor_name, o.file_stage, o.file_status,
       l.total_rows
FROM listed l
JOIN case_offences o ON o.rowid = l.rid
ORDER BY l.stl_date DESC, l.force_code, l.urn, l.defendant_id;

-- name: stl_watch_custody_missed_target
-- One row per custody record whose file target date has passed by $as_of with no case file submitted to
-- CJS on or before $as_of: the rows and order of insight.sql's custody_missed_target (the same
-- fragment), at most $limit of them, with the total.
SELECT *, count(*) OVER () AS total_rows
FROM ({{> custody_missed_target_rows}})
ORDER BY file_target_date, force_code, custody_record_id
LIMIT $limit;
