-- NGAP allocations tracker (pages/ngap_tracker.py, run through core.ngap).
--
-- Every query below starts with the same population block, the fragment ngap_population, included
-- with {{> ngap_population}}. The population is exactly the Overview's (home.sql ngap_light_counts): cases
-- (force, URN, defendant) with an offence row that is NGAP, at FIRST_HEARING_NGAP or UPGRADE_NG and
-- not CLOSED (both read the rows pre-aggregated at load, table ngap_part); the light takes the same inputs (any_value(officer), min(allocation date),
-- min(upgrade due date)) through the same ngap_light macro, so the two pages always agree.
--
-- Allocation details are shown as of $as_of: an allocation dated after $as_of has not happened
-- yet (the light says UNALLOCATED), so its officer, section leader and date are shown blank too.

-- fragment: ngap_population
ngap AS (
    -- The population's rows come pre-aggregated per case, team and officer (ngap_part, built at
    -- load: core/queries/derived.sql); the scope filters them as it filtered the offence rows.
    SELECT force_code, urn, defendant_id,
           any_value(officer) AS officer,
           min(allocated_on) AS allocated_on,
           min(due) AS due,
           min(officer_id) AS officer_id,
           arg_min(officer_name, officer_id) AS officer_name,
           min(section_recorded) AS section_recorded,
           min(team) AS team,
           min(oic_id) AS oic_id,
           arg_min(oic_name, oic_id) AS oic_name,
           min(first_hearing_date) AS first_hearing_date,
           min(commenced_date) AS commenced_date,
           min(trial_date) AS trial_date,
           min(file_stage) AS file_stage,
           min(file_status) AS file_status,
           sum(offences) AS offences,
           min(list_min(list_transform(stl_inputs, lambda x: list_position($band_order,
               stl_band(x.stl_date, x.stl_rule, $as_of, x.submitted, x.commenced,
                        $red_unsub, $red_unch, $amber_unsub))))) AS worst
    FROM ngap_part
    WHERE {{scope}}
    GROUP BY ALL
), cases AS (
    SELECT *,
           ngap_light(officer, allocated_on, due, $as_of, $ngap_soon) AS light,
           $band_order[worst] AS stl_band,
           CASE WHEN allocated_on > $as_of THEN NULL ELSE officer_id END AS allocated_officer_id,
           CASE WHEN allocated_on > $as_of THEN NULL ELSE officer_name END AS allocated_officer_name,
           CASE WHEN allocated_on > $as_of THEN NULL ELSE section_recorded END AS section_leader,
           CASE WHEN allocated_on > $as_of THEN NULL ELSE allocated_on END AS allocation_date,
           CAST(due - $as_of AS INTEGER) AS days_to_due
    FROM ngap
), keyed AS (
    SELECT *,
           coalesce(CASE WHEN $group_by = 'team' THEN team ELSE section_leader END, $no_group) AS group_name,
           force_code || '/' || coalesce(CASE WHEN $group_by = 'team' THEN team ELSE section_leader END,
                                         $no_group) AS group_key,
           force_code || '/' || allocated_officer_id AS officer_key
    FROM cases
)

-- name: ngap_case_counts
-- One row per NGAP light present: cases in scope, and how many of them match the drill-down
-- (sections/teams in $drill_groups and officers in $drill_officers; an empty list means no drill-down).
WITH
{{> ngap_population}}
SELECT light,
       count(*) AS cases,
       count(*) FILTER (WHERE (len($drill_groups) = 0 OR list_contains($drill_groups, group_key))
                          AND (len($drill_officers) = 0 OR list_contains($drill_officers, officer_key))) AS in_drill
FROM keyed
GROUP BY light
ORDER BY list_position($light_order, light);

-- name: ngap_cases
-- One row per NGAP case whose light is in $lights and that matches the drill-down, most urgent
-- light first, then earliest upgrade file due date; at most $cap rows.
WITH
{{> ngap_population}}
SELECT light, stl_band, force_code, urn, defendant_id,
       allocated_officer_id, allocated_officer_name, section_leader, allocation_date,
       due AS upgrade_file_due_date, days_to_due, first_hearing_date, trial_date,
       oic_id, oic_name, team, file_stage, file_status, offences
FROM keyed
WHERE list_contains($lights, light)
  AND (len($drill_groups) = 0 OR list_contains($drill_groups, group_key))
  AND (len($drill_officers) = 0 OR list_contains($drill_officers, officer_key))
ORDER BY list_position($light_order, light), due NULLS LAST, force_code, urn, defendant_id
LIMIT $cap;

-- name: ngap_backlog
-- One row per force and section leader (or team, when $group_by = 'team'): NGAP cases by light.
-- Cases with no section leader as of $as_of (usually the unallocated ones) share the row $no_group.
-- Largest backlog (unallocated + overdue) first.
WITH
{{> ngap_population}}
SELECT force_code, group_name, group_key,
       count(*) FILTER (WHERE light = 'UNALLOCATED') AS unallocated,
       count(*) FILTER (WHERE light = 'OVERDUE') AS overdue,
       count(*) FILTER (WHERE light = 'DUE_SOON') AS due_soon,
       count(*) FILTER (WHERE light = 'NO_DUE_DATE') AS no_due_date,
       count(*) FILTER (WHERE light = 'ON_TRACK') AS on_track,
       count(*) AS cases
FROM keyed
GROUP BY force_code, group_name, group_key
ORDER BY unallocated + overdue DESC, cases DESC, group_name, force_code;

-- name: ngap_workload
-- One row per force and allocated officer (as of $as_of): their NGAP cases by light. Unallocated
-- cases have no officer and are not here (they are on the backlog chart). Most overdue first.
WITH
{{> ngap_population}}
SELECT force_code, allocated_officer_id AS officer_id, officer_key,
       min(allocated_officer_name) AS officer_name,
       string_agg(DISTINCT section_leader, '; ' ORDER BY section_leader) AS section_leaders,
       count(*) FILTER (WHERE light = 'OVERDUE') AS overdue,
       count(*) FILTER (WHERE light = 'DUE_SOON') AS due_soon,
       count(*) FILTER (WHERE light = 'NO_DUE_DATE') AS no_due_date,
       count(*) FILTER (WHERE light = 'ON_TRACK') AS on_track,
       count(*) AS cases
FROM keyed
WHERE light <> 'UNALLOCATED' AND allocated_officer_id IS NOT NULL
GROUP BY force_code, allocated_officer_id, officer_key
ORDER BY overdue DESC, due_soon DESC, cases DESC, officer_id, force_code;

-- name: ngap_trend
-- One row per week-ending day d, from min($period_end, $as_of) back in steps of $step days while
-- d >= $period_start (oldest first): the cases of today's NGAP population that had reached their
-- first hearing by d (first_hearing_date, else commenced_date), and how many of them were
-- UNALLOCATED or OVERDUE on d by the same light rule evaluated as of d.
WITH
{{> ngap_population}}
, days AS (
    SELECT CAST(unnest(generate_series(CAST(least($period_end, $as_of) AS TIMESTAMP),
                                       CAST($period_start AS TIMESTAMP),
                                       -to_days(CAST($step AS INTEGER)))) AS DATE) AS week_ending
), reached AS (
    SELECT officer, allocated_on, due, coalesce(first_hearing_date, commenced_date) AS reached_on
    FROM keyed
)
SELECT d.week_ending,
       count(r.reached_on) FILTER (
           WHERE ngap_light(r.officer, r.allocated_on, r.due, d.week_ending, $ngap_soon) = 'UNALLOCATED'
       ) AS unallocated,
       count(r.reached_on) FILTER (
           WHERE ngap_light(r.officer, r.allocated_on, r.due, d.week_ending, $ngap_soon) = 'OVERDUE'
       ) AS overdue,
       count(r.reached_on) AS after_first_hearing
FROM days d
LEFT JOIN reached r ON r.reached_on <= d.week_ending
GROUP BY d.week_ending
ORDER BY d.week_ending;
