-- Submission queue (pages/submission_queue.py). The rules (where a file stands on a day, when it
-- finished, whose court its waiting time was in) are the queue_* macros below, explained in
-- core/queue.py; every query here uses them, so the list, the counts and the history agree.
-- A "file" is one URN: the contract repeats case-level columns on every offence row, so a file
-- stands where its first row in the extract (lowest src_row) stands and takes its dates from it.
-- Queries that need only some files first pick the URNs with a qualifying row ("candidates"),
-- then read every row of those URNs, so the file-level answer is exact and only a few rows are read.

-- name: queue_macros
-- Not a query: the submission-queue rule macros. core.queue installs them on each cursor
-- (statements separated by ";" at the end of a line) before it runs the queries below.
CREATE OR REPLACE TEMP MACRO queue_finished_on(status, stage, submitted, triaged, sent, decided_on, decision, commenced) AS
    -- Finished = proceedings commenced (R6), or a final CPS decision (anything but an action plan),
    -- or closed/decided with no dated finishing event: then the last dated event on the file
    -- stands in for the undated police decision or closure (an approximation, see core.queue).
    coalesce(
        least(commenced, CASE WHEN decision <> 'ACTION_PLAN' THEN decided_on END),
        CASE WHEN status IN ('DECIDED', 'CLOSED') OR stage = 'CLOSED'
             THEN greatest(submitted, triaged, sent, decided_on) END);

CREATE OR REPLACE TEMP MACRO queue_stage_from_dates(d, triaged, triage_outcome, sent, decided_on, decision) AS
    -- The stage on day d read from the dated events only (used when the current status is from later than d).
    CASE WHEN decision = 'ACTION_PLAN' AND decided_on <= d THEN 'ACTION_PLAN'
         WHEN sent <= d THEN 'SENT_TO_CPS'
         WHEN triaged <= d AND triage_outcome = 'REJECTED' THEN 'REJECTED'
         WHEN triaged <= d THEN 'ACCEPTED'
         ELSE 'AWAITING_TRIAGE' END;

CREATE OR REPLACE TEMP MACRO queue_position(d, status, stage, created, submitted, triaged, triage_outcome, sent, decided_on, decision, commenced) AS
    -- Where a file stands at the end of day d: NOT_SUBMITTED, FINISHED, one of the five queue
    -- stages, or REJECTED (returned to the police, awaiting resubmission: not in the CJS queue).
    -- The extract's status is used when no dated event on the file falls after d; otherwise the
    -- stage is read from the dates.
    CASE
        WHEN submitted IS NULL OR submitted > d THEN 'NOT_SUBMITTED'
        WHEN queue_finished_on(status, stage, submitted, triaged, sent, decided_on, decision, commenced) <= d THEN 'FINISHED'
        WHEN greatest(created, submitted, triaged, sent, decided_on, commenced) <= d
             AND status IN ('AWAITING_TRIAGE', 'ACCEPTED', 'SENT_TO_CPS', 'ACTION_PLAN', 'RESUBMITTED') THEN status
        WHEN greatest(created, submitted, triaged, sent, decided_on, commenced) <= d
             AND status IN ('REJECTED', 'IN_PROGRESS') THEN 'REJECTED'
        ELSE queue_stage_from_dates(d, triaged, triage_outcome, sent, decided_on, decision)
    END;

CREATE OR REPLACE TEMP MACRO queue_triaged_by(d, submitted, triaged) AS
    CASE WHEN triaged <= d THEN greatest(triaged, submitted) END;

CREATE OR REPLACE TEMP MACRO queue_sent_by(d, submitted, triaged, sent) AS
    CASE WHEN sent <= d THEN greatest(sent, coalesce(queue_triaged_by(d, submitted, triaged), submitted)) END;

CREATE OR REPLACE TEMP MACRO queue_plan_by(d, submitted, triaged, sent, decided_on, decision) AS
    CASE WHEN decision = 'ACTION_PLAN' AND decided_on <= d AND sent <= d
         THEN greatest(decided_on, queue_sent_by(d, submitted, triaged, sent)) END;

CREATE OR REPLACE TEMP MACRO queue_held_split(d, position, triage_outcome, c, s, t, x, a) AS
    -- Days from creation (c) to d split at submission (s), first triage (t), sent to CPS (x) and
    -- action plan (a), points kept in order so the three parts always add up to d - c.
    CASE WHEN position IS NULL OR position IN ('NOT_SUBMITTED', 'FINISHED') THEN NULL ELSE {
        'police':
            (s - c)
            + CASE WHEN t IS NOT NULL AND triage_outcome = 'REJECTED' AND position = 'REJECTED' AND x IS NULL
                   THEN d - t ELSE 0 END
            + CASE WHEN a IS NOT NULL AND position = 'ACTION_PLAN' THEN d - a ELSE 0 END,
        'cjs':
            CASE WHEN t IS NULL AND x IS NULL AND position = 'REJECTED' THEN 0 ELSE coalesce(t, x, d) - s END
            + CASE WHEN t IS NOT NULL AND coalesce(triage_outcome, 'ACCEPTED') <> 'REJECTED'
                   THEN coalesce(x, d) - t ELSE 0 END
            + CASE WHEN x IS NOT NULL THEN coalesce(a, d) - x ELSE 0 END,
        'unattributed':
            CASE WHEN t IS NULL AND x IS NULL AND position = 'REJECTED' THEN d - s ELSE 0 END
            + CASE WHEN t IS NOT NULL AND triage_outcome = 'REJECTED' AND NOT (position = 'REJECTED' AND x IS NULL)
                   THEN coalesce(x, d) - t ELSE 0 END
            + CASE WHEN a IS NOT NULL AND position <> 'ACTION_PLAN' THEN d - a ELSE 0 END
    } END;

CREATE OR REPLACE TEMP MACRO queue_held(d, position, created, submitted, triaged, triage_outcome, sent, decided_on, decision) AS
    -- Ball in whose court: {police, cjs, unattributed} days for a file that is open on day d.
    queue_held_split(d, position, triage_outcome,
                     least(coalesce(created, submitted), submitted), submitted,
                     queue_triaged_by(d, submitted, triaged),
                     queue_sent_by(d, submitted, triaged, sent),
                     queue_plan_by(d, submitted, triaged, sent, decided_on, decision));

-- name: queue_count
-- The number of case files (URNs) in scope standing at one of $stages as of $as_of: the count of
-- queue_positions' rows at those stages, without the age, window and whose-court measures (the
-- Overview needs only the count).
SELECT count(*) AS files
FROM case_file
WHERE {{scope}}
  AND list_contains($stages, queue_position($as_of, file_status, file_stage, created_date, submitted_to_cjs_date,
                                            cjs_triage_date, cjs_triage_outcome, sent_to_cps_date,
                                            cps_decision_date, cps_decision, commenced_date));

-- name: queue_positions
-- One row per position and age band as of $as_of: case files (URNs) in scope by where they stand
-- (NOT_SUBMITTED, FINISHED, REJECTED or a queue stage), with, for the open ones (submitted and not
-- finished), their age band since submission, files whose STL falls in the CPS decision window,
-- the days held by the police, by CJS/CPS and not attributable, and the oldest age.
WITH files AS (
    -- One row per file (core/queries/derived.sql): where its first row stands; the next open STL
    -- of any of its offences.
    SELECT position,
           CASE WHEN position NOT IN ('NOT_SUBMITTED', 'FINISHED') THEN
               {'created': created_date, 'submitted': submitted_to_cjs_date, 'triaged': cjs_triage_date,
                'triage_outcome': cjs_triage_outcome, 'sent': sent_to_cps_date,
                'decided_on': cps_decision_date, 'decision': cps_decision} END AS f,
           CASE WHEN position NOT IN ('NOT_SUBMITTED', 'FINISHED') THEN
               list_min(list_transform(list_filter(stls, lambda x: x.stl_date >= $as_of
                                                   AND (x.commenced_date IS NULL OR x.commenced_date > $as_of)),
                                       lambda x: x.stl_date)) END AS next_stl
    FROM (
        SELECT *,
               queue_position($as_of, file_status, file_stage, created_date, submitted_to_cjs_date, cjs_triage_date,
                              cjs_triage_outcome, sent_to_cps_date, cps_decision_date, cps_decision,
                              commenced_date) AS position
        FROM case_file
        WHERE {{scope}}
    )
), measured AS (
    SELECT position,
           CASE WHEN position NOT IN ('NOT_SUBMITTED', 'FINISHED') THEN $as_of - f.submitted END AS age_days,
           coalesce(next_stl <= $as_of + CAST($window_days AS INTEGER), false) AS stl_in_window,
           queue_held($as_of, position, f.created, f.submitted, f.triaged, f.triage_outcome, f.sent,
                      f.decided_on, f.decision) AS held
    FROM files
)
SELECT position,
       CASE WHEN age_days IS NOT NULL THEN len(list_filter($age_edges, lambda e: age_days > e)) END AS age_bucket,
       count(*) AS files,
       count(*) FILTER (WHERE stl_in_window AND age_days IS NOT NULL) AS stl_in_window,
       coalesce(sum(held.police), 0) AS police_days,
       coalesce(sum(held.cjs), 0) AS cjs_days,
       coalesce(sum(held.unattributed), 0) AS unattributed_days,
       max(age_days) AS oldest_days
FROM measured
GROUP BY ALL
ORDER BY ALL;

-- name: queue_list
-- One row per case file (URN) in scope standing at one of $stages as of $as_of (and in age band
-- $age_bucket unless it is -1) that is among the first $limit in priority order (flags in the
-- order $factor_positions, most important first, then the oldest submission) or among the
-- $oldest_limit oldest submissions; priority_row and age_row give its place in each list, and
-- matching_files counts every file that matched.
WITH candidates AS (
    -- Files whose first row stands at a chosen stage (core/queries/derived.sql); their offence
    -- rows are read below for the flags, bands and counts.
    SELECT force_code, urn
    FROM case_file
    WHERE {{scope}}
      AND submitted_to_cjs_date <= $as_of
      AND list_contains($stages, queue_position($as_of, file_status, file_stage, created_date, submitted_to_cjs_date,
                                                cjs_triage_date, cjs_triage_outcome, sent_to_cps_date,
                                                cps_decision_date, cps_decision, commenced_date))
), offences AS (
    SELECT o.*,
           stl_band(o.stl_date, o.stl_rule, $as_of, o.submitted_to_cjs_date, o.commenced_date,
                    $red_unsub, $red_unch, $amber_unsub) AS band
    FROM case_offences o
    SEMI JOIN candidates c ON c.force_code = o.force_code AND c.urn = o.urn
    WHERE {{scope o}}
), files AS (
    SELECT force_code, urn,
           arg_min({'created': created_date, 'submitted': submitted_to_cjs_date, 'triaged': cjs_triage_date,
                    'triage_outcome': cjs_triage_outcome, 'resubmissions': resubmission_count,
                    'sent': sent_to_cps_date, 'decided_on': cps_decision_date, 'decision': cps_decision,
                    'commenced': commenced_date, 'status': file_status, 'stage': file_stage,
                    'team': team, 'oic_id': oic_id, 'oic_name': oic_name}, src_row) AS f,
           min(stl_date) FILTER (WHERE stl_date >= $as_of
                                   AND (commenced_date IS NULL OR commenced_date > $as_of)) AS next_stl,
           $band_order[min(list_position($band_order, band))] AS band,
           bool_or(coalesce(list_contains($custody_statuses, bail_status), false)) AS in_custody,
           bool_or(coalesce(da_flag, false)) AS domestic_abuse,
           bool_or(coalesce(vulnerable_victim_flag, false)) AS vulnerable_victim,
           count(DISTINCT defendant_id) AS defendants,
           count(*) AS offences
    FROM offences
    GROUP BY force_code, urn
), flat AS (
    SELECT * EXCLUDE (f), unnest(f) FROM files
), placed AS (
    SELECT *,
           queue_position($as_of, status, stage, created, submitted, triaged, triage_outcome, sent,
                          decided_on, decision, commenced) AS position,
           $as_of - submitted AS age_days
    FROM flat
), queued AS (
    SELECT *,
           len(list_filter($age_edges, lambda e: age_days > e)) AS age_bucket,
           coalesce(next_stl <= $as_of + CAST($window_days AS INTEGER), false) AS stl_in_window,
           queue_held($as_of, position, created, submitted, triaged, triage_outcome, sent, decided_on, decision) AS held
    FROM placed
    WHERE list_contains($stages, position)
), ranked AS (
    SELECT *,
           -- The flags in the order of core.queue.FACTORS, picked in the configured priority order.
           list_select([stl_in_window, in_custody, domestic_abuse, vulnerable_victim], $factor_positions) AS priority_flags
    FROM queued
    WHERE $age_bucket < 0 OR age_bucket = $age_bucket
), numbered AS (
    SELECT *,
           count(*) OVER () AS matching_files,
           row_number() OVER (ORDER BY priority_flags DESC, submitted, force_code, urn) AS priority_row,
           row_number() OVER (ORDER BY submitted, force_code, urn) AS age_row
    FROM ranked
)
SELECT force_code, urn, position AS stage,
       coalesce(list_position(priority_flags, true), len(priority_flags) + 1) AS priority_rank,
       priority_flags, priority_row, age_row,
       submitted AS submitted_to_cjs_date, age_days, age_bucket,
       next_stl AS stl_date, CAST(next_stl - $as_of AS INTEGER) AS stl_days_remaining, band,
       stl_in_window, in_custody, domestic_abuse, vulnerable_victim,
       held.police AS police_days, held.cjs AS cjs_days, held.unattributed AS unattributed_days,
       created AS created_date, triaged AS cjs_triage_date, triage_outcome AS cjs_triage_outcome,
       resubmissions AS resubmission_count, sent AS sent_to_cps_date,
       CASE WHEN decided_on <= $as_of THEN decided_on END AS cps_decision_date,
       CASE WHEN decided_on <= $as_of THEN decision END AS cps_decision,
       status AS file_status_in_extract,
       team, oic_id, oic_name, defendants, offences, matching_files
FROM numbered
WHERE priority_row <= $limit OR age_row <= $oldest_limit
ORDER BY priority_row;

-- name: queue_weekly
-- One row per week ending $last_week_end - 7k (k = 0 .. $weeks - 1): case files (URNs) in scope
-- at each open position at the end of the week, files that arrived in the queue during the week
-- (submitted, not already finished) and files that completed during it (finished after submission).
WITH flat AS (
    -- One row per file (core/queries/derived.sql), its first row's dates.
    SELECT force_code, urn, created_date AS created, submitted_to_cjs_date AS submitted,
           cjs_triage_date AS triaged, cjs_triage_outcome AS triage_outcome, sent_to_cps_date AS sent,
           cps_decision_date AS decided_on, cps_decision AS decision, commenced_date AS commenced,
           file_status AS status, file_stage AS stage
    FROM case_file
    WHERE {{scope}}
), relevant AS (
    SELECT *, queue_finished_on(status, stage, submitted, triaged, sent, decided_on, decision, commenced) AS finished_on
    FROM flat
    WHERE submitted <= $last_week_end
      AND coalesce(queue_finished_on(status, stage, submitted, triaged, sent, decided_on, decision, commenced)
                   > greatest(submitted, CAST($last_week_end AS DATE) - CAST(7 * $weeks AS INTEGER)), true)
), weeks AS (
    SELECT CAST($last_week_end AS DATE) - CAST(7 * k AS INTEGER) AS week_end
    FROM range(0, $weeks) AS t(k)
), grid AS (
    SELECT w.week_end, r.submitted, r.finished_on,
           queue_position(w.week_end, r.status, r.stage, r.created, r.submitted, r.triaged, r.triage_outcome,
                          r.sent, r.decided_on, r.decision, r.commenced) AS position
    FROM weeks w
    LEFT JOIN relevant r ON r.submitted <= w.week_end
)
SELECT week_end,
       count(*) FILTER (WHERE position = 'AWAITING_TRIAGE') AS "AWAITING_TRIAGE",
       count(*) FILTER (WHERE position = 'ACCEPTED') AS "ACCEPTED",
       count(*) FILTER (WHERE position = 'SENT_TO_CPS') AS "SENT_TO_CPS",
       count(*) FILTER (WHERE position = 'ACTION_PLAN') AS "ACTION_PLAN",
       count(*) FILTER (WHERE position = 'RESUBMITTED') AS "RESUBMITTED",
       count(*) FILTER (WHERE position = 'REJECTED') AS "REJECTED",
       count(*) FILTER (WHERE submitted > week_end - 7
                          AND (finished_on IS NULL OR finished_on > submitted)) AS arrived,
       count(*) FILTER (WHERE finished_on > week_end - 7 AND finished_on <= week_end
                          AND finished_on > submitted) AS completed
FROM grid
GROUP BY week_end
ORDER BY week_end;

-- name: queue_stage_times
-- One row per stage transition that ended between $start and $end: case files (URNs) in scope that
-- entered the queue (submitted before they finished), how many made the transition, and the median
-- and 90th percentile of the days it took (dates as in the extract; see core.queue.TRANSITIONS).
WITH flat AS (
    -- One row per file (core/queries/derived.sql), its first row's dates.
    SELECT force_code, urn, had_action_plan, created_date AS created, submitted_to_cjs_date AS submitted,
           cjs_triage_date AS triaged, cjs_triage_outcome AS triage_outcome, sent_to_cps_date AS sent,
           cps_decision_date AS decided_on, cps_decision AS decision, commenced_date AS commenced,
           file_status AS status, file_stage AS stage
    FROM case_file
    WHERE {{scope}}
), timed AS (
    SELECT *,
           queue_finished_on(status, stage, submitted, triaged, sent, decided_on, decision, commenced) AS finished_on,
           least(commenced, CASE WHEN decision <> 'ACTION_PLAN' THEN decided_on END) AS dated_finish,
           -- Sent to the CPS before charge (for a charging decision); a police-charged file's
           -- post-charge file goes to the CPS on or after the charge.
           coalesce(sent IS NOT NULL AND (commenced IS NULL OR sent < commenced), false) AS cps_route
    FROM flat
    WHERE submitted <= $end
), queued AS (
    SELECT * FROM timed WHERE finished_on IS NULL OR finished_on > submitted
), spans AS (
    SELECT 'BUILD' AS transition, submitted AS ended, submitted - created AS days
    FROM queued WHERE created <= submitted
    UNION ALL
    SELECT 'TRIAGE', triaged, triaged - submitted
    FROM queued WHERE triaged >= submitted
    UNION ALL
    SELECT 'ACCEPTED_TO_CPS', sent, sent - triaged
    FROM queued WHERE cps_route AND triage_outcome = 'ACCEPTED' AND sent >= triaged
    UNION ALL
    SELECT 'REJECTED_TO_CPS', sent, sent - triaged
    FROM queued WHERE cps_route AND triage_outcome = 'REJECTED' AND sent >= triaged
    UNION ALL
    SELECT 'ACCEPTED_TO_POLICE_CHARGE', commenced, commenced - triaged
    FROM queued WHERE NOT cps_route AND triage_outcome = 'ACCEPTED' AND commenced >= triaged
    UNION ALL
    SELECT 'CPS_DECISION', decided_on, decided_on - sent
    FROM queued WHERE cps_route AND decision <> 'ACTION_PLAN' AND NOT had_action_plan AND decided_on >= sent
    UNION ALL
    SELECT 'CPS_ACTION_PLAN', decided_on, decided_on - sent
    FROM queued WHERE cps_route AND decision = 'ACTION_PLAN' AND decided_on >= sent
    UNION ALL
    SELECT 'CPS_DECISION_AFTER_PLAN', decided_on, decided_on - sent
    FROM queued WHERE cps_route AND decision <> 'ACTION_PLAN' AND had_action_plan AND decided_on >= sent
    UNION ALL
    SELECT 'DECISION_TO_CHARGE', commenced, commenced - decided_on
    FROM queued WHERE cps_route AND decision = 'CHARGE' AND commenced >= decided_on
    UNION ALL
    SELECT 'SUBMITTED_TO_FINISHED', dated_finish, dated_finish - submitted
    FROM queued WHERE dated_finish > submitted
)
SELECT transition, count(*) AS files, median(days) AS median_days, quantile_cont(days, 0.9) AS p90_days
FROM spans
WHERE ended >= $start AND ended <= $end
GROUP BY transition
ORDER BY transition;

-- name: queue_file_offences
-- One row per offence on case file $urn of force $force_code (within the viewer's scope), with its
-- STL, rule and band as of $as_of.
SELECT defendant_id, offence_seq, offence_code, coalesce(offence_title, offence_title_ref) AS offence_title,
       mode_of_trial_resolved AS mode_of_trial, offence_start_date, stl_date, stl_rule,
       stl_days_remaining(stl_date, $as_of) AS days_remaining,
       stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                $red_unsub, $red_unch, $amber_unsub) AS band,
       bail_status
FROM case_offences
WHERE {{scope}}
  AND force_code = $force_code AND urn = $urn
ORDER BY defendant_id, offence_seq, src_row;
