-- Case-building quality (pages/quality.py, run through core.quality; definitions in its docstring).
--
-- Every query starts from the fragment quality_cases: one row per case (force_code, urn) in the
-- viewer's scope. Case-level columns are repeated on every offence row (the extract contract);
-- where a case's rows disagree, the earliest date, the worse outcome (REJECTED, ACTION_PLAN), the
-- most resubmissions and the lowest collar number (with its own team and name, as My Team
-- attributes files) are taken. A case's reasons are the distinct reasons over all its rows (two
-- defendants' files can carry different ones); it "had an action plan" if any row has action-plan
-- reasons.
--
-- As of $as_of: an event dated after $as_of has not happened yet. The measurement window is
-- $win_start..$win_end inclusive ($win_end is already the earlier of the period end and $as_of).
-- Cohorts: the CJS triage cohort is the cases triaged in the window; the CPS cohort is the charging
-- requests sent to the CPS in the window and decided by $as_of.
--
-- The cohort rules are SQL macros (core.quality.MACROS: quality_cjs_in, quality_cps_sent_in, ...),
-- applied to a case's columns here and to a row's own columns for the reasons (quality_hits), so the
-- two can never drift apart.
--
-- Speed: unless $all_cases, only rows dated in the window (submitted, triaged or sent to the CPS)
-- are read. Every measure but the reconciliation (quality_cohorts) concerns only such cases, and
-- since a case's dates are on every row, this reads whole cases: a third of the rows of a year's
-- extract for a twelve-week period, which keeps the per-case aggregation cheap at a million rows.

-- fragment: quality_cases
cases AS (
    SELECT force_code, urn,
           -- The lowest collar number, with that row's team and name (each aggregate is skipped
           -- by DuckDB when a query does not use it).
           min(oic_id) AS oic_id,
           arg_min(team, oic_id) AS team,
           arg_min(oic_name, oic_id) AS oic_name,
           min(arrest_date) AS arrest_date,
           min(submitted_to_cjs_date) AS submitted_on,
           min(cjs_triage_date) AS triaged_on,
           max(cjs_triage_outcome) AS triage_outcome,
           max(resubmission_count) AS resubmissions,
           min(sent_to_cps_date) AS sent_on,
           min(cps_decision_date) AS decided_on,
           CASE WHEN bool_or(cps_decision = 'ACTION_PLAN') THEN 'ACTION_PLAN' ELSE min(cps_decision) END AS decision,
           min(commenced_date) AS commenced_on,
           coalesce(bool_or(len(action_plan_reasons) > 0), false) AS had_action_plan
    FROM case_offences
    WHERE {{scope}}
      AND ($all_cases OR submitted_to_cjs_date BETWEEN $win_start AND $win_end
           OR cjs_triage_date BETWEEN $win_start AND $win_end OR sent_to_cps_date BETWEEN $win_start AND $win_end)
    GROUP BY force_code, urn
), dated AS (
    SELECT force_code, urn, oic_id, team, oic_name, arrest_date, submitted_on, triaged_on, triage_outcome, resubmissions, sent_on, decided_on, decision,
           commenced_on, had_action_plan,
           coalesce(submitted_on <= $as_of, false) AS submitted,
           coalesce(triaged_on <= $as_of AND triage_outcome IS NOT NULL, false) AS triaged,
           coalesce(sent_on <= $as_of, false) AS sent,
           quality_decided(decided_on, decision, $as_of) AS decided,
           quality_cps_request(decision, sent_on, commenced_on) AS cps_request
    FROM cases
), keyed AS (
    SELECT *,
           submitted AND submitted_on BETWEEN $win_start AND $win_end AS submitted_in,
           quality_cjs_in(triaged_on, triage_outcome, $as_of, $win_start, $win_end) AS cjs_in,
           quality_cjs_in(triaged_on, triage_outcome, $as_of, $win_start, $win_end)
               AND quality_cjs_first_time(triage_outcome, resubmissions) AS cjs_first_time,
           quality_cps_sent_in(sent_on, decision, commenced_on, $as_of, $win_start, $win_end) AS cps_sent_in,
           quality_cps_sent_in(sent_on, decision, commenced_on, $as_of, $win_start, $win_end)
               AND quality_decided(decided_on, decision, $as_of) AS cps_in,
           quality_cps_sent_in(sent_on, decision, commenced_on, $as_of, $win_start, $win_end)
               AND quality_decided(decided_on, decision, $as_of)
               AND quality_cps_first_time(decision, had_action_plan) AS cps_first_time,
           force_code || '/' || urn AS case_key,
           coalesce(team, $no_group) AS team_key,
           coalesce(oic_id, $no_group) AS oic_key,
           -- The grouping the page asked for ($level): force, team or officer (collar number).
           CASE WHEN $level = 'team' THEN coalesce(team, $no_group) END AS g_team,
           CASE WHEN $level = 'officer' THEN coalesce(oic_id, $no_group) END AS g_oic
    FROM dated
)

-- fragment: quality_hits
hits AS (
    -- One row per case and distinct reason: rejection reasons of the CJS cohort, action-plan reasons
    -- of the CPS cohort, read from the rows that carry them (the cohort macros applied to the row's
    -- own dates), each dated by its cohort's date (triage; sent to the CPS). A case is attributed to
    -- the lowest collar number among those rows, with its team and name. The theme is the force's
    -- mapping ($theme_keys -> $theme_values, matched in upper case), else the text before ' - ',
    -- else $other_theme.
    SELECT force_code, urn, force_code || '/' || urn AS case_key, kind, reason, on_date,
           coalesce(($theme_values)[list_position($theme_keys, upper(reason))],
                    CASE WHEN contains(reason, ' - ') THEN trim(split_part(reason, ' - ', 1)) END,
                    $other_theme) AS theme,
           coalesce(who.team, $no_group) AS team_key,
           coalesce(who.oic_id, $no_group) AS oic_key,
           who.oic_name AS oic_name,
           CASE WHEN $level = 'team' THEN coalesce(who.team, $no_group) END AS g_team,
           CASE WHEN $level = 'officer' THEN coalesce(who.oic_id, $no_group) END AS g_oic
    FROM (
        SELECT force_code, urn, kind, reason, min(on_date) AS on_date,
               min({'oic_id': oic_id, 'team': team, 'oic_name': oic_name}) AS who
        FROM (
            SELECT force_code, urn, team, oic_id, oic_name, 'rejection' AS kind,
                   trim(unnest(rejection_reasons)) AS reason, cjs_triage_date AS on_date
            FROM case_offences
            WHERE {{scope}} AND len(rejection_reasons) > 0
              AND quality_cjs_in(cjs_triage_date, cjs_triage_outcome, $as_of, $win_start, $win_end)
            UNION ALL
            SELECT force_code, urn, team, oic_id, oic_name, 'action_plan' AS kind,
                   trim(unnest(action_plan_reasons)) AS reason, sent_to_cps_date AS on_date
            FROM case_offences
            WHERE {{scope}} AND len(action_plan_reasons) > 0
              AND quality_cps_sent_in(sent_to_cps_date, cps_decision, commenced_date, $as_of, $win_start, $win_end)
              AND quality_decided(cps_decision_date, cps_decision, $as_of)
        )
        WHERE coalesce(reason, '') <> ''
        GROUP BY force_code, urn, kind, reason
    )
)

-- name: quality_ftr
-- First-time right in one pass, three grains: 'group' (one row per force, team or officer, $level,
-- with a case in either cohort; officers carry their name and the team(s) of their cases), 'cjs'
-- (one row per week or month, $grain, of the triage date) and 'cps' (per week or month of the date
-- sent). Counts: cases triaged in the window and accepted first time; charging requests sent in the
-- window and decided by $as_of, those decided without an action plan, and those still awaiting a
-- decision.
WITH
{{> quality_cases}}
, timed AS (
    SELECT *,
           CASE WHEN cjs_in THEN CAST(date_trunc($grain, triaged_on) AS DATE) END AS cjs_bucket,
           CASE WHEN cps_sent_in THEN CAST(date_trunc($grain, sent_on) AS DATE) END AS cps_bucket
    FROM keyed
    WHERE cjs_in OR cps_sent_in
)
SELECT CASE WHEN grouping(force_code) = 0 THEN 'group' WHEN grouping(cjs_bucket) = 0 THEN 'cjs' ELSE 'cps' END
           AS grain,
       force_code,
       CASE WHEN grouping(force_code) = 1 THEN NULL
            WHEN $level = 'team' THEN g_team
            WHEN $level = 'officer' THEN string_agg(DISTINCT team_key, '; ' ORDER BY team_key) FILTER (WHERE $level = 'officer') END AS team,
       g_oic AS oic_id,
       CASE WHEN grouping(force_code) = 0 AND $level = 'officer' THEN min(oic_name) END AS oic_name,
       coalesce(cjs_bucket, cps_bucket) AS bucket,
       count(*) FILTER (WHERE cjs_in) AS cjs_triaged,
       count(*) FILTER (WHERE cjs_first_time) AS cjs_first_time,
       count(*) FILTER (WHERE cps_in) AS cps_decided,
       count(*) FILTER (WHERE cps_first_time) AS cps_first_time,
       count(*) FILTER (WHERE cps_sent_in AND NOT decided) AS cps_awaiting
FROM timed
GROUP BY GROUPING SETS ((force_code, g_team, g_oic), (cjs_bucket), (cps_bucket))
HAVING grouping(force_code) = 0 OR coalesce(cjs_bucket, cps_bucket) IS NOT NULL
ORDER BY grain, force_code, team, oic_id, bucket;

-- name: quality_cohorts
-- How every case in scope falls for each measure (one row per measure and category), for the
-- page's reconciliation. 'cjs': counted (triaged in the window), not_triaged (by $as_of), before,
-- after the window. 'cps': counted (a charging request sent in the window, decided by $as_of),
-- awaiting (sent in the window, no decision by $as_of), post_charge (sent after charge with no
-- CPS decision), not_sent (by $as_of), before, after the window. Reads every row ($all_cases).
WITH
{{> quality_cases}}
, categorised AS (
    SELECT CASE WHEN NOT triaged THEN 'not_triaged'
                WHEN triaged_on < $win_start THEN 'before'
                WHEN triaged_on > $win_end THEN 'after'
                ELSE 'counted' END AS cjs,
           CASE WHEN NOT sent THEN 'not_sent'
                WHEN NOT cps_request THEN 'post_charge'
                WHEN sent_on < $win_start THEN 'before'
                WHEN sent_on > $win_end THEN 'after'
                WHEN decided THEN 'counted'
                ELSE 'awaiting' END AS cps
    FROM keyed
)
SELECT CASE WHEN grouping(cjs) = 0 THEN 'cjs' ELSE 'cps' END AS measure,
       coalesce(cjs, cps) AS category,
       count(*) AS cases
FROM categorised
GROUP BY GROUPING SETS ((cjs), (cps))
ORDER BY measure, category;

-- name: quality_reasons
-- Cases with each reason of one $kind ('rejection' or 'action_plan'), counted once per case at
-- every level (a case with two reasons of one theme counts once for the theme), in one pass over
-- the hits: grain 'theme', 'reason' (theme and reason), 'group_theme' and 'group_reason' (per
-- force, team or officer, $level), 'bucket_theme' and 'bucket_reason' (per week or month, $grain).
WITH
{{> quality_hits}}
, by_reason AS (
    SELECT *, CAST(date_trunc($grain, on_date) AS DATE) AS bucket FROM hits WHERE kind = $kind
), by_theme AS (
    -- One row per case and theme: the theme-level counts need no DISTINCT.
    SELECT DISTINCT case_key, force_code, g_team, g_oic, team_key, oic_name, theme, bucket FROM by_reason
)
SELECT CASE WHEN grouping(force_code) = 0 THEN 'group_reason'
            WHEN grouping(bucket) = 0 THEN 'bucket_reason' ELSE 'reason' END AS grain,
       theme, reason, force_code,
       CASE WHEN grouping(force_code) = 1 THEN NULL
            WHEN $level = 'team' THEN g_team
            WHEN $level = 'officer' THEN string_agg(DISTINCT team_key, '; ' ORDER BY team_key) FILTER (WHERE $level = 'officer') END AS team,
       g_oic AS oic_id,
       CASE WHEN grouping(force_code) = 0 AND $level = 'officer' THEN min(oic_name) END AS oic_name,
       bucket,
       count(*) AS cases
FROM by_reason
GROUP BY GROUPING SETS ((theme, reason), (force_code, g_team, g_oic, theme, reason), (bucket, theme, reason))
UNION ALL
SELECT CASE WHEN grouping(force_code) = 0 THEN 'group_theme'
            WHEN grouping(bucket) = 0 THEN 'bucket_theme' ELSE 'theme' END,
       theme, NULL, force_code,
       CASE WHEN grouping(force_code) = 1 THEN NULL
            WHEN $level = 'team' THEN g_team
            WHEN $level = 'officer' THEN string_agg(DISTINCT team_key, '; ' ORDER BY team_key) FILTER (WHERE $level = 'officer') END,
       g_oic,
       CASE WHEN grouping(force_code) = 0 AND $level = 'officer' THEN min(oic_name) END,
       bucket,
       count(*)
FROM by_theme
GROUP BY GROUPING SETS ((theme), (force_code, g_team, g_oic, theme), (bucket, theme))
ORDER BY grain, cases DESC, theme, reason, force_code, team, oic_id, bucket;

-- name: quality_timeliness
-- Intervals in days, per measure (see core.quality.TIMELINESS): for the whole scope (grain 'all'),
-- per force and team (grain 'team') and per band of $edges (grain 'band': band i holds days in
-- (edges[i-1], edges[i]], band len(edges) the rest; band -1 the intervals whose dates are out of
-- order, which are counted as out_of_order and left out of every statistic).
WITH
{{> quality_cases}}
, intervals AS (
    SELECT 'arrest_to_submission' AS measure, force_code, team_key, submitted_on - arrest_date AS days
    FROM keyed WHERE submitted_in AND arrest_date IS NOT NULL
    UNION ALL
    SELECT 'submission_to_triage', force_code, team_key, triaged_on - submitted_on
    FROM keyed WHERE cjs_in AND submitted_on IS NOT NULL
    UNION ALL
    SELECT 'cps_decision', force_code, team_key, decided_on - sent_on
    FROM keyed WHERE cps_first_time
    UNION ALL
    SELECT 'cps_action_plan', force_code, team_key, decided_on - sent_on
    FROM keyed WHERE cps_in AND decision = 'ACTION_PLAN'
    UNION ALL
    SELECT 'cps_decision_after_plan', force_code, team_key, decided_on - sent_on
    FROM keyed WHERE cps_in AND decision <> 'ACTION_PLAN' AND had_action_plan
    UNION ALL
    SELECT 'action_plan_open', force_code, team_key, $as_of - decided_on
    FROM keyed WHERE cps_in AND decision = 'ACTION_PLAN'
), banded AS (
    SELECT *, CASE WHEN days < 0 THEN -1 ELSE len(list_filter($edges, lambda e: e < days)) END AS band
    FROM intervals
), stats AS (
    -- One sort per group for the four percentiles.
    SELECT CASE WHEN grouping(team_key) = 0 THEN 'team' ELSE 'all' END AS grain,
           measure, force_code, team_key AS team, CAST(NULL AS INTEGER) AS band,
           count(*) FILTER (WHERE days >= 0) AS cases,
           count(*) FILTER (WHERE days < 0) AS out_of_order,
           quantile_cont(days, [0.5, 0.25, 0.75, 0.9]) FILTER (WHERE days >= 0) AS q,
           max(days) FILTER (WHERE days >= 0) AS max_days
    FROM banded
    GROUP BY GROUPING SETS ((measure), (measure, force_code, team_key))
)
SELECT grain, measure, force_code, team, band, cases, out_of_order,
       q[1] AS median_days, q[2] AS p25_days, q[3] AS p75_days, q[4] AS p90_days, max_days
FROM stats
UNION ALL
SELECT 'band', measure, NULL, NULL, band, count(*) FILTER (WHERE days >= 0), count(*) FILTER (WHERE days < 0),
       NULL, NULL, NULL, NULL, NULL
FROM banded
GROUP BY measure, band
ORDER BY grain, measure, force_code, team, band;

-- name: quality_training_needs
-- Teams and officers with repeated reasons of the same kind in the window: one row per who (a team,
-- or an officer by collar number), kind and item (the theme, or the reason when $need_by =
-- 'reason') with at least $min_team (teams) or $min_officer (officers) distinct cases. Each row
-- carries its share of that team's or officer's cohort (cases triaged, or charging requests
-- decided), the reasons behind it with their counts, and its weekly case counts across the window
-- (Monday weeks, oldest first; zeros included). Most cases first.
WITH
{{> quality_hits}}
, who AS (
    SELECT h.*, w.who_level,
           CASE WHEN w.who_level = 'team' THEN h.team_key ELSE h.oic_key END AS who,
           CASE WHEN $need_by = 'reason' THEN h.reason ELSE h.theme END AS item
    FROM hits h CROSS JOIN (VALUES ('team'), ('officer')) w(who_level)
), per_case AS (
    -- One row per who, kind, item and case (a case with two reasons of one theme counts once).
    SELECT DISTINCT who_level, force_code, who, kind, item, case_key, on_date FROM who
), needs AS (
    SELECT who_level, force_code, who, kind, item,
           count(*) AS cases,
           min(on_date) AS first_seen,
           max(on_date) AS last_seen
    FROM per_case
    GROUP BY ALL
    HAVING count(*) >= CASE WHEN who_level = 'team' THEN $min_team ELSE $min_officer END
), names AS (
    -- The team(s) and name of each who with a need (an officer's cases can span teams).
    SELECT w.who_level, w.force_code, w.who,
           string_agg(DISTINCT w.team_key, '; ' ORDER BY w.team_key) AS teams,
           min(w.oic_name) AS oic_name
    FROM who w SEMI JOIN needs n USING (who_level, force_code, who)
    GROUP BY ALL
), detail AS (
    SELECT who_level, force_code, who, kind, item,
           string_agg(reason || ' (' || n || ')', '; ' ORDER BY n DESC, reason) AS reasons
    FROM (SELECT w.who_level, w.force_code, w.who, w.kind, w.item, w.reason, count(*) AS n
          FROM who w SEMI JOIN needs n USING (who_level, force_code, who, kind, item)
          GROUP BY ALL)
    GROUP BY ALL
), weeks AS (
    SELECT CAST(unnest(generate_series(CAST(date_trunc('week', $win_start) AS TIMESTAMP),
                                       CAST(date_trunc('week', $win_end) AS TIMESTAMP),
                                       INTERVAL 7 DAY)) AS DATE) AS week
), weekly AS (
    SELECT p.who_level, p.force_code, p.who, p.kind, p.item, CAST(date_trunc('week', p.on_date) AS DATE) AS week,
           count(*) AS n
    FROM per_case p SEMI JOIN needs n USING (who_level, force_code, who, kind, item)
    GROUP BY ALL
), trend AS (
    SELECT n.who_level, n.force_code, n.who, n.kind, n.item,
           list(coalesce(w.n, 0) ORDER BY k.week) AS weekly
    FROM needs n
    CROSS JOIN weeks k
    LEFT JOIN weekly w ON w.who_level = n.who_level AND w.force_code = n.force_code AND w.who = n.who
                      AND w.kind = n.kind AND w.item = n.item AND w.week = k.week
    GROUP BY ALL
), cohort_rows AS (
    -- The cohorts' cases per team and officer, read from the rows dated in the window with the same
    -- macros (one row per case and who: no per-case aggregation needed for a count).
    SELECT DISTINCT force_code, force_code || '/' || urn AS case_key,
           coalesce(team, $no_group) AS team_key, coalesce(oic_id, $no_group) AS oic_key,
           quality_cjs_in(cjs_triage_date, cjs_triage_outcome, $as_of, $win_start, $win_end) AS cjs_in,
           quality_cps_sent_in(sent_to_cps_date, cps_decision, commenced_date, $as_of, $win_start, $win_end)
               AND quality_decided(cps_decision_date, cps_decision, $as_of) AS cps_in
    FROM case_offences
    WHERE {{scope}}
      AND (cjs_triage_date BETWEEN $win_start AND $win_end OR sent_to_cps_date BETWEEN $win_start AND $win_end)
), cohort AS (
    SELECT w.who_level, c.force_code,
           CASE WHEN w.who_level = 'team' THEN c.team_key ELSE c.oic_key END AS who,
           count(*) FILTER (WHERE c.cjs_in) AS rejection,
           count(*) FILTER (WHERE c.cps_in) AS action_plan
    FROM cohort_rows c CROSS JOIN (VALUES ('team'), ('officer')) w(who_level)
    WHERE c.cjs_in OR c.cps_in
    GROUP BY ALL
)
SELECT n.who_level, n.force_code,
       CASE WHEN n.who_level = 'team' THEN n.who ELSE m.teams END AS team,
       CASE WHEN n.who_level = 'officer' THEN n.who END AS oic_id,
       CASE WHEN n.who_level = 'officer' THEN m.oic_name END AS oic_name,
       n.kind, n.item, n.cases,
       CASE WHEN n.kind = 'rejection' THEN c.rejection ELSE c.action_plan END AS cohort_cases,
       round(100.0 * n.cases / nullif(CASE WHEN n.kind = 'rejection' THEN c.rejection ELSE c.action_plan END, 0), 1)
           AS share,
       d.reasons, n.first_seen, n.last_seen, t.weekly
FROM needs n
JOIN names m USING (who_level, force_code, who)
JOIN detail d USING (who_level, force_code, who, kind, item)
JOIN trend t USING (who_level, force_code, who, kind, item)
LEFT JOIN cohort c USING (who_level, force_code, who)
ORDER BY n.cases DESC, share DESC, n.who_level, n.kind, n.item, n.force_code, n.who;

-- name: quality_cases_behind
-- The cases behind a training need or a ranked reason: cases of the cohort of $kind with a reason
-- matching $item ($match_by 'theme' or 'reason'; 'any' for every case with a reason of that kind),
-- of the force/team/officer chosen ($who_level 'all', 'force', 'team' or 'officer' with $who_force
-- and $who), most recent first, at most $cap rows; matching_cases counts them all before the cap.
-- Dates and outcomes after $as_of are blank: they had not happened yet.
WITH
{{> quality_cases}},
{{> quality_hits}}
, matched AS (
    SELECT force_code, urn, min(on_date) AS on_date,
           string_agg(DISTINCT reason, '; ' ORDER BY reason) AS matching_reasons
    FROM hits
    WHERE kind = $kind
      AND ($match_by = 'any' OR (CASE WHEN $match_by = 'reason' THEN reason ELSE theme END) = $item)
      AND ($who_level = 'all' OR force_code = $who_force)
      AND (CASE $who_level WHEN 'team' THEN team_key = $who WHEN 'officer' THEN oic_key = $who ELSE true END)
    GROUP BY force_code, urn
), every_reason AS (
    -- All reasons of the listed cases, for context (shown only once their triage or decision happened).
    SELECT o.force_code, o.urn,
           list_sort(list_distinct(flatten(list(o.rejection_reasons)))) AS rejection_list,
           list_sort(list_distinct(flatten(list(o.action_plan_reasons)))) AS action_plan_list
    FROM case_offences o
    SEMI JOIN matched m ON m.force_code = o.force_code AND m.urn = o.urn
    WHERE {{scope o}}
    GROUP BY o.force_code, o.urn
)
SELECT m.force_code, m.urn, k.team, k.oic_id, k.oic_name,
       k.arrest_date,
       CASE WHEN k.submitted THEN k.submitted_on END AS submitted_on,
       CASE WHEN k.triaged THEN k.triaged_on END AS triaged_on,
       CASE WHEN k.triaged THEN k.triage_outcome END AS triage_outcome,
       CASE WHEN k.triaged THEN k.resubmissions END AS resubmissions,
       CASE WHEN k.triaged THEN nullif(array_to_string(r.rejection_list, '; '), '') END AS rejection_reasons,
       CASE WHEN k.sent THEN k.sent_on END AS sent_on,
       CASE WHEN k.decided THEN k.decided_on END AS decided_on,
       CASE WHEN k.decided THEN k.decision END AS decision,
       CASE WHEN k.decided THEN nullif(array_to_string(r.action_plan_list, '; '), '') END AS action_plan_reasons,
       m.matching_reasons,
       count(*) OVER () AS matching_cases
FROM matched m
JOIN keyed k ON k.force_code = m.force_code AND k.urn = m.urn
LEFT JOIN every_reason r ON r.force_code = m.force_code AND r.urn = m.urn
ORDER BY m.on_date DESC, m.force_code, m.urn
LIMIT $cap;
