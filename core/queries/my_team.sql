-- Queries of the My Team page (pages/my_team.py, core/my_team.py). Definitions are in the
-- docstring of core/my_team.py; "open case file" is the Overview's stl_band_counts population and
-- "open investigation" its review_counts population, so the numbers agree with the Overview.

-- name: my_team_workload
-- One row per drill level as of $as_of: the whole scope (level 'scope'), each force, each team and
-- each officer (teams capped at $max_teams, officers at $max_officers, busiest first; rows_in_level
-- counts them before the cap). Main columns count items attributed to a recorded officer;
-- no_officer_* count the rest; *_in_scope and the state columns reconcile every file and URN.
WITH offence_rows AS (
    SELECT force_code, urn, defendant_id, team, oic_id, oic_name,
           -- A review dated after the as-of date has not happened yet (looking back).
           CASE WHEN last_review_date <= $as_of THEN last_review_date END AS last_review_date, created_date,
           stl_date, stl_last_working_day, commenced_date, upgrade_file_due_date,
           list_position($band_order, stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                                               $red_unsub, $red_unch, $amber_unsub)) AS band_pos,
           anticipated_plea = 'NGAP' AND list_contains(['FIRST_HEARING_NGAP', 'UPGRADE_NG'], file_stage) AS ngap_stage,
           -- Case file state: 0 open, 1 closed, 2 created after the as-of date (stl_band_counts).
           CASE WHEN coalesce(created_date, $as_of) > $as_of THEN 2
                WHEN coalesce(file_status, '') = 'CLOSED' OR coalesce(file_stage, '') = 'CLOSED' THEN 1
                ELSE 0 END AS file_state,
           -- Investigation state: 0 open (review_counts), 1 closed or decided, 2 charged or past
           -- the pre-charge stage, 3 created after the as-of date.
           CASE WHEN coalesce(created_date, $as_of) > $as_of THEN 3
                WHEN list_contains(['CLOSED', 'DECIDED'], coalesce(file_status, ''))
                     OR coalesce(file_stage, '') = 'CLOSED' THEN 1
                WHEN coalesce(file_stage, '') <> 'PRE_CHARGE' OR commenced_date <= $as_of THEN 2
                ELSE 0 END AS inv_state
    FROM case_offences
    WHERE {{scope}}
), files AS (
    -- One row per case file (URN + defendant) in the most open state of its rows, attributed to
    -- the lowest collar number on its rows; band, next STL and upgrade from its open rows.
    SELECT force_code, urn, defendant_id,
           min(file_state) AS state,
           -- Structs compare field by field with NULLs last: the lowest recorded collar number,
           -- with its own team and name (one aggregate keeps the three together).
           min({'oic_id': oic_id, 'team': team, 'oic_name': oic_name}) AS who,
           $band_order[min(band_pos) FILTER (WHERE file_state = 0)] AS band,
           min(stl_date) FILTER (WHERE file_state = 0 AND stl_date >= $as_of
                                 AND (commenced_date IS NULL OR commenced_date > $as_of)) AS next_stl,
           -- The last working day only moves forward with the STL date, so its minimum is the
           -- next STL's last working day.
           min(stl_last_working_day) FILTER (WHERE file_state = 0 AND stl_date >= $as_of
                                 AND (commenced_date IS NULL OR commenced_date > $as_of)) AS next_lwd,
           min(upgrade_file_due_date) FILTER (WHERE file_state = 0 AND ngap_stage) AS upgrade_due,
           min(inv_state) AS inv_state,
           max(last_review_date) FILTER (WHERE inv_state = 0) AS last_review_date,
           min(created_date) FILTER (WHERE inv_state = 0) AS started
    FROM offence_rows
    GROUP BY force_code, urn, defendant_id
), investigations AS (
    -- One row per URN in its most open investigation state, attributed like a case file; the
    -- review from its open rows, exactly as review_counts (max and min of the files' own).
    SELECT force_code, urn,
           min(inv_state) AS state,
           min({'oic_id': who.oic_id, 'team': who.team}) AS who,
           review_status(review_due(max(last_review_date), min(started), $review_days), $as_of, $review_soon) AS review
    FROM files
    GROUP BY force_code, urn
), custody_candidates AS (
    -- Custody records in scope whose file target is past or due soon ...
    SELECT c.force_code, c.urn, c.team, c.oic_id, c.oic_name, c.file_target_date AS due
    FROM custody c
    WHERE {{scope c}}
      AND c.file_target_date <= $as_of + CAST($ngap_soon AS INTEGER)
      AND CAST(c.arrest_datetime AS DATE) <= $as_of
), custody_submitted AS (
    -- ... of those, the URNs with a case file (in any team) submitted to CJS on or before $as_of.
    SELECT f.force_code, f.urn
    FROM case_file f
    SEMI JOIN custody_candidates k ON k.force_code = f.force_code AND k.urn = f.urn
    WHERE f.submitted_on <= $as_of
), custody_due AS (
    -- ... leaving the files still due (the Insight report's custody_missed_target definition).
    SELECT k.* FROM custody_candidates k
    ANTI JOIN custody_submitted s ON s.force_code = k.force_code AND s.urn = k.urn
), per_officer AS (
    -- Each source counted per (force, team, officer); the officer may be NULL (none recorded).
    SELECT force_code, who.team AS team, who.oic_id AS oic_id, max(who.oic_name) AS oic_name,
           count(*) FILTER (WHERE state = 0) AS files,
           count(*) FILTER (WHERE state = 0 AND band = 'RED') AS red,
           count(*) FILTER (WHERE state = 0 AND band = 'BLACK') AS black,
           count(*) FILTER (WHERE state = 0 AND band = 'AMBER') AS amber,
           min(next_stl) AS next_stl,
           min(next_lwd) AS next_lwd,
           count(*) AS files_in_scope,
           count(*) FILTER (WHERE state = 1) AS files_closed,
           count(*) FILTER (WHERE state = 2) AS files_not_created,
           count(*) FILTER (WHERE state = 0 AND upgrade_due < $as_of) AS upgrade_overdue,
           count(*) FILTER (WHERE state = 0 AND upgrade_due >= $as_of
                            AND upgrade_due <= $as_of + CAST($ngap_soon AS INTEGER)) AS upgrade_due_soon
    FROM files
    GROUP BY ALL
    UNION ALL BY NAME
    -- (Every open investigation row is an open case file row, so names come from the files.)
    SELECT force_code, who.team AS team, who.oic_id AS oic_id,
           count(*) FILTER (WHERE state = 0) AS investigations,
           count(*) FILTER (WHERE state = 0 AND review = 'OVERDUE') AS reviews_overdue,
           count(*) FILTER (WHERE state = 0 AND review = 'DUE') AS reviews_due,
           count(*) AS investigations_in_scope,
           count(*) FILTER (WHERE state = 1) AS investigations_closed,
           count(*) FILTER (WHERE state = 2) AS investigations_charged,
           count(*) FILTER (WHERE state = 3) AS investigations_not_created
    FROM investigations
    GROUP BY ALL
    UNION ALL BY NAME
    SELECT force_code, team, oic_id, max(oic_name) AS oic_name,
           count(*) FILTER (WHERE due < $as_of) AS custody_overdue,
           count(*) FILTER (WHERE due >= $as_of) AS custody_due_soon
    FROM custody_due
    GROUP BY ALL
), officers AS (
    SELECT force_code, team, oic_id, max(oic_name) AS oic_name,
           coalesce(sum(files), 0) AS files,
           coalesce(sum(red), 0) AS red,
           coalesce(sum(black), 0) AS black,
           coalesce(sum(amber), 0) AS amber,
           min(next_stl) AS next_stl,
           min(next_lwd) AS next_lwd,
           coalesce(sum(investigations), 0) AS investigations,
           coalesce(sum(reviews_overdue), 0) AS reviews_overdue,
           coalesce(sum(reviews_due), 0) AS reviews_due,
           coalesce(sum(custody_overdue), 0) AS custody_overdue,
           coalesce(sum(custody_due_soon), 0) AS custody_due_soon,
           coalesce(sum(upgrade_overdue), 0) AS upgrade_overdue,
           coalesce(sum(upgrade_due_soon), 0) AS upgrade_due_soon,
           coalesce(sum(files_in_scope), 0) AS files_in_scope,
           coalesce(sum(files_closed), 0) AS files_closed,
           coalesce(sum(files_not_created), 0) AS files_not_created,
           coalesce(sum(investigations_in_scope), 0) AS investigations_in_scope,
           coalesce(sum(investigations_closed), 0) AS investigations_closed,
           coalesce(sum(investigations_charged), 0) AS investigations_charged,
           coalesce(sum(investigations_not_created), 0) AS investigations_not_created
    FROM per_officer
    GROUP BY ALL
), grouped AS (
    SELECT CASE WHEN grouping(force_code) = 1 THEN 'scope'
                WHEN grouping(team) = 1 THEN 'force'
                WHEN grouping(oic_id) = 1 THEN 'team'
                ELSE 'officer' END AS level,
           force_code, team, oic_id,
           CASE WHEN grouping(oic_id) = 0 THEN max(oic_name) END AS oic_name,
           count(*) FILTER (WHERE oic_id IS NOT NULL AND files + investigations + custody_overdue + custody_due_soon
                                                         + upgrade_overdue + upgrade_due_soon > 0) AS officers,
           CAST(sum(investigations) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS investigations,
           CAST(sum(files) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS files,
           CAST(sum(files * $w_case + red * $w_red + black * $w_black + amber * $w_amber)
                FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS load_score,
           CAST(sum(red) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS red,
           CAST(sum(black) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS black,
           CAST(sum(amber) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS amber,
           min(next_stl) FILTER (WHERE oic_id IS NOT NULL) AS next_stl,
           min(next_lwd) FILTER (WHERE oic_id IS NOT NULL) AS next_stl_last_working_day,
           CAST(sum(reviews_overdue) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS reviews_overdue,
           CAST(sum(reviews_due) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS reviews_due,
           CAST(sum(custody_overdue + upgrade_overdue) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS files_overdue,
           CAST(sum(custody_due_soon + upgrade_due_soon) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS files_due_soon,
           CAST(sum(custody_overdue) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS custody_overdue,
           CAST(sum(upgrade_overdue) FILTER (WHERE oic_id IS NOT NULL) AS BIGINT) AS upgrade_overdue,
           -- Items with no officer recorded.
           CAST(sum(investigations) FILTER (WHERE oic_id IS NULL) AS BIGINT) AS no_officer_investigations,
           CAST(sum(files) FILTER (WHERE oic_id IS NULL) AS BIGINT) AS no_officer_files,
           CAST(sum(reviews_overdue) FILTER (WHERE oic_id IS NULL) AS BIGINT) AS no_officer_reviews_overdue,
           CAST(sum(reviews_due) FILTER (WHERE oic_id IS NULL) AS BIGINT) AS no_officer_reviews_due,
           CAST(sum(custody_overdue + upgrade_overdue) FILTER (WHERE oic_id IS NULL) AS BIGINT)
               AS no_officer_files_overdue,
           CAST(sum(custody_due_soon + upgrade_due_soon) FILTER (WHERE oic_id IS NULL) AS BIGINT)
               AS no_officer_files_due_soon,
           -- Reconciliation: every case file and every URN of the scope is in exactly one state.
           CAST(sum(files_in_scope) AS BIGINT) AS files_in_scope,
           CAST(sum(files_closed) AS BIGINT) AS files_closed,
           CAST(sum(files_not_created) AS BIGINT) AS files_not_created,
           CAST(sum(investigations_in_scope) AS BIGINT) AS investigations_in_scope,
           CAST(sum(investigations_closed) AS BIGINT) AS investigations_closed,
           CAST(sum(investigations_charged) AS BIGINT) AS investigations_charged,
           CAST(sum(investigations_not_created) AS BIGINT) AS investigations_not_created
    FROM officers
    GROUP BY GROUPING SETS ((), (force_code), (force_code, team), (force_code, team, oic_id))
)
SELECT * REPLACE (
           -- An empty scope still has its one 'scope' row, with zeros rather than NULLs.
           coalesce(investigations, 0) AS investigations, coalesce(files, 0) AS files,
           coalesce(load_score, 0) AS load_score, coalesce(red, 0) AS red, coalesce(black, 0) AS black,
           coalesce(amber, 0) AS amber, coalesce(reviews_overdue, 0) AS reviews_overdue,
           coalesce(reviews_due, 0) AS reviews_due, coalesce(files_overdue, 0) AS files_overdue,
           coalesce(files_due_soon, 0) AS files_due_soon, coalesce(custody_overdue, 0) AS custody_overdue,
           coalesce(upgrade_overdue, 0) AS upgrade_overdue,
           coalesce(no_officer_investigations, 0) AS no_officer_investigations,
           coalesce(no_officer_files, 0) AS no_officer_files,
           coalesce(no_officer_reviews_overdue, 0) AS no_officer_reviews_overdue,
           coalesce(no_officer_reviews_due, 0) AS no_officer_reviews_due,
           coalesce(no_officer_files_overdue, 0) AS no_officer_files_overdue,
           coalesce(no_officer_files_due_soon, 0) AS no_officer_files_due_soon,
           coalesce(files_in_scope, 0) AS files_in_scope, coalesce(files_closed, 0) AS files_closed,
           coalesce(files_not_created, 0) AS files_not_created,
           coalesce(investigations_in_scope, 0) AS investigations_in_scope,
           coalesce(investigations_closed, 0) AS investigations_closed,
           coalesce(investigations_charged, 0) AS investigations_charged,
           coalesce(investigations_not_created, 0) AS investigations_not_created),
       count(*) OVER (PARTITION BY level) AS rows_in_level
FROM grouped
WHERE NOT (level = 'officer' AND oic_id IS NULL)
QUALIFY row_number() OVER (PARTITION BY level ORDER BY load_score DESC, reviews_overdue DESC, files DESC,
                                                      force_code, team, oic_id)
        <= CASE level WHEN 'team' THEN $max_teams WHEN 'officer' THEN $max_officers ELSE 1000000 END
ORDER BY list_position(['scope', 'force', 'team', 'officer'], level), load_score DESC, reviews_overdue DESC,
         files DESC, force_code, team, oic_id;

-- name: my_team_cases
-- One row per open case file (URN + defendant) of the scope as of $as_of, and one per custody
-- record in scope past its file target with no case file submitted and no open case file in
-- scope; with the reasons it needs action. $needs_action keeps rows with a reason (the today
-- list). Sorted by the last working day before the STL where the STL is at risk, then by the
-- earliest due date; capped at $max_cases (total_rows counts them before the cap).
WITH open_rows AS (
    SELECT force_code, urn, defendant_id, defendant_name, team, oic_id, oic_name, offence_seq, src_row,
           stl_date, stl_last_working_day, stl_rule, commenced_date, submitted_to_cjs_date, file_stage, file_status,
           anticipated_plea, upgrade_file_due_date, ngap_allocated_officer_id,
           CASE WHEN last_review_date <= $as_of THEN last_review_date END AS last_review_date, created_date,
           stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                    $red_unsub, $red_unch, $amber_unsub) AS band,
           -- The row belongs to an open investigation (review_counts; closure and creation
           -- are already checked below).
           file_stage = 'PRE_CHARGE' AND NOT list_contains(['CLOSED', 'DECIDED'], coalesce(file_status, ''))
               AND (commenced_date IS NULL OR commenced_date > $as_of) AS investigating
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED'
      AND coalesce(created_date, $as_of) <= $as_of
), files AS (
    SELECT force_code, urn, defendant_id,
           any_value(defendant_name) AS defendant_name,
           -- The lowest recorded collar number with its team and name, as in my_team_workload.
           min({'oic_id': oic_id, 'team': team, 'oic_name': oic_name}) AS who,
           $band_order[min(list_position($band_order, band))] AS band,
           -- The governing offence: the earliest STL not yet commenced (ties by offence number).
           arg_min({'stl_date': stl_date, 'lwd': stl_last_working_day, 'rule': stl_rule},
                   {'d': stl_date, 'seq': offence_seq, 'row': src_row})
               FILTER (WHERE stl_date IS NOT NULL AND (commenced_date IS NULL OR commenced_date > $as_of)) AS g,
           bool_or(commenced_date <= $as_of) AS commenced,
           min(submitted_to_cjs_date) FILTER (WHERE submitted_to_cjs_date <= $as_of) AS submitted_on,
           any_value(file_stage) AS file_stage,
           any_value(file_status) AS file_status,
           bool_or(investigating) AS investigating,
           bool_or(anticipated_plea = 'NGAP'
                   AND list_contains(['FIRST_HEARING_NGAP', 'UPGRADE_NG'], file_stage)) AS awaiting_upgrade,
           min(upgrade_file_due_date) AS upgrade_due,
           any_value(ngap_allocated_officer_id) AS ngap_officer
    FROM open_rows
    GROUP BY force_code, urn, defendant_id
), investigations AS (
    SELECT force_code, urn,
           review_due(max(last_review_date), min(created_date), $review_days) AS review_due
    FROM open_rows
    WHERE investigating
    GROUP BY force_code, urn
), custody_candidates AS (
    -- Custody records in scope with a file target ...
    SELECT c.force_code, c.urn, c.custody_record_id, c.file_target_date, c.team, c.oic_id, c.oic_name
    FROM custody c
    WHERE {{scope c}}
      AND c.file_target_date IS NOT NULL
      AND CAST(c.arrest_datetime AS DATE) <= $as_of
), custody_submitted AS (
    -- ... of those, the URNs with a case file (in any team) submitted to CJS on or before $as_of ...
    SELECT f.force_code, f.urn
    FROM case_file f
    SEMI JOIN custody_candidates k ON k.force_code = f.force_code AND k.urn = f.urn
    WHERE f.submitted_on <= $as_of
), custody_pending AS (
    -- ... leaving the files still to be submitted (the Insight report's definition).
    SELECT k.* FROM custody_candidates k
    ANTI JOIN custody_submitted s ON s.force_code = k.force_code AND s.urn = k.urn
), custody_by_urn AS (
    SELECT force_code, urn,
           min(file_target_date) AS custody_target,
           arg_min(custody_record_id, {'d': file_target_date, 'id': custody_record_id}) AS custody_record_id
    FROM custody_pending
    WHERE urn IS NOT NULL
    GROUP BY ALL
), file_cases AS (
    SELECT f.force_code, f.urn, f.defendant_id, f.defendant_name, f.who.team AS team, f.who.oic_id AS oic_id,
           f.who.oic_name AS oic_name,
           f.band, f.g.stl_date AS stl_date, f.g.lwd AS last_working_day, f.g.rule AS stl_rule,
           f.commenced, f.submitted_on, f.file_stage, f.file_status,
           i.review_due,
           CASE WHEN i.urn IS NOT NULL THEN review_status(i.review_due, $as_of, $review_soon) END AS review_status,
           CASE WHEN f.awaiting_upgrade THEN f.upgrade_due END AS upgrade_due,
           CASE WHEN f.awaiting_upgrade THEN f.ngap_officer END AS ngap_officer,
           cu.custody_target, cu.custody_record_id,
           false AS custody_only
    FROM files f
    LEFT JOIN investigations i ON f.investigating AND i.force_code = f.force_code AND i.urn = f.urn
    LEFT JOIN custody_by_urn cu ON cu.force_code = f.force_code AND cu.urn = f.urn
), custody_cases AS (
    SELECT c.force_code, c.urn, c.team, c.oic_id, c.oic_name,
           c.file_target_date AS custody_target, c.custody_record_id,
           true AS custody_only
    FROM custody_pending c
    WHERE c.file_target_date < $as_of
      AND NOT EXISTS (SELECT 1 FROM files f WHERE f.force_code = c.force_code AND f.urn = c.urn)
), all_cases AS (
    SELECT * FROM file_cases
    UNION ALL BY NAME
    SELECT * FROM custody_cases
), reasoned AS (
    SELECT *,
           list_filter([
               CASE review_status
                   WHEN 'OVERDUE' THEN '28-day review overdue (was due ' || strftime(review_due, '%d/%m/%Y') || ')'
                   WHEN 'DUE' THEN '28-day review due ' || strftime(review_due, '%d/%m/%Y') END,
               CASE WHEN NOT coalesce(commenced, false) THEN
                   CASE band
                       WHEN 'BLACK' THEN 'STL passed ' || strftime(stl_date, '%d/%m/%Y')
                                         || ', proceedings not commenced'
                       WHEN 'RED' THEN 'STL RED: last working day ' || strftime(last_working_day, '%d/%m/%Y')
                                       || CASE WHEN submitted_on IS NULL THEN ', file not submitted'
                                               ELSE ', submitted but not charged' END
                       WHEN 'AMBER' THEN 'STL AMBER: last working day ' || strftime(last_working_day, '%d/%m/%Y')
                                         || ', file not submitted' END END,
               CASE WHEN upgrade_due < $as_of
                        THEN 'NGAP upgrade file overdue (was due ' || strftime(upgrade_due, '%d/%m/%Y') || ')'
                    WHEN upgrade_due - $as_of <= CAST($ngap_soon AS INTEGER)
                        THEN 'NGAP upgrade file due ' || strftime(upgrade_due, '%d/%m/%Y') END,
               CASE WHEN custody_target < $as_of
                        THEN 'Custody file target passed ' || strftime(custody_target, '%d/%m/%Y')
                             || ' (custody record ' || custody_record_id || ')'
                             || CASE WHEN custody_only THEN ', no open case file' ELSE '' END END
           ], lambda x: x IS NOT NULL) AS reasons,
           least(review_due, upgrade_due, custody_target) AS due_date,
           -- The STL is itself a reason to act: RED, BLACK or AMBER and not yet charged.
           coalesce(band IN ('BLACK', 'RED', 'AMBER') AND NOT coalesce(commenced, false), false) AS stl_at_risk
    FROM all_cases
)
SELECT force_code, urn, defendant_id, defendant_name, team, oic_id, oic_name,
       array_to_string(reasons, '; ') AS reason_text, reasons,
       band, stl_date, last_working_day, stl_days_remaining(stl_date, $as_of) AS days_remaining, stl_rule,
       due_date, review_status, review_due, upgrade_due, ngap_officer, custody_target, custody_record_id,
       submitted_on, file_stage, file_status, custody_only, stl_at_risk,
       count(*) OVER () AS total_rows
FROM reasoned
WHERE NOT $needs_action OR len(reasons) > 0
-- Cases whose STL is at risk first, by the last working day before it (the day the file must be
-- in by); then every other case by its earliest due date (review, upgrade file, custody target).
ORDER BY CASE WHEN stl_at_risk THEN last_working_day END NULLS LAST, due_date NULLS LAST,
         last_working_day NULLS LAST, force_code, urn, defendant_id NULLS LAST, custody_record_id
LIMIT $max_cases;
