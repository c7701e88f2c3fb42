-- name: stl_band_counts
-- One row per STL band: cases (URN + defendant) not closed as of $as_of, counted under the worst band of their offences.
WITH offences AS (
    SELECT force_code, urn, defendant_id,
           stl_band(stl_date, stl_rule, $as_of, submitted_to_cjs_date, commenced_date,
                    $red_unsub, $red_unch, $amber_unsub) AS band
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(file_status, '') <> 'CLOSED' AND coalesce(file_stage, '') <> 'CLOSED'
      AND coalesce(created_date, $as_of) <= $as_of
), cases AS (
    SELECT force_code, urn, defendant_id, min(list_position($band_order, band)) AS worst
    FROM offences
    GROUP BY ALL
)
SELECT $band_order[worst] AS band, count(*) AS cases
FROM cases
GROUP BY worst
ORDER BY worst;

-- name: review_counts
-- One row per review status (OVERDUE, DUE, OK, UNKNOWN): open investigations by their next 28-day review.
WITH investigations AS (
    SELECT force_code, urn,
           -- A review dated after the as-of date has not happened yet (looking back).
           max(last_review_date) FILTER (WHERE last_review_date <= $as_of) AS last_review_date,
           min(created_date) AS created_date
    FROM case_offences
    WHERE {{scope}}
      AND coalesce(file_stage, '') = 'PRE_CHARGE'
      AND NOT list_contains(['CLOSED', 'DECIDED'], coalesce(file_status, ''))
      AND (commenced_date IS NULL OR commenced_date > $as_of)
      AND coalesce(created_date, $as_of) <= $as_of
    GROUP BY ALL
)
SELECT review_status(review_due(last_review_date, created_date, $review_days), $as_of, $review_soon) AS status,
       count(*) AS investigations
FROM investigations
GROUP BY status
ORDER BY list_position(['OVERDUE', 'DUE', 'OK', 'UNKNOWN'], status);

-- name: ngap_light_counts
-- One row per NGAP traffic light: NGAP cases awaiting their upgrade file, by allocation and due date.
WITH ngap AS (
    -- NGAP offence rows pre-aggregated at load (table ngap_part, core/queries/derived.sql).
    SELECT force_code, urn, defendant_id,
           any_value(officer) AS officer,
           min(allocated_on) AS allocated_on,
           min(due) AS due
    FROM ngap_part
    WHERE {{scope}}
    GROUP BY ALL
)
SELECT ngap_light(officer, allocated_on, due, $as_of, $ngap_soon) AS light, count(*) AS cases
FROM ngap
GROUP BY light
ORDER BY list_position($light_order, light);

-- name: data_as_of
-- One row per file behind the published data: when it was loaded and what it held.
SELECT l.file_name, l.kind, l.forces, l.rows_read, l.rows_loaded, l.rows_quarantined, l.finished_at, l.sha256
FROM load_log l
WHERE l.load_id IN (SELECT DISTINCT load_id FROM case_offences UNION SELECT DISTINCT load_id FROM custody)
ORDER BY l.finished_at DESC, l.file_name;

-- name: forces_and_teams
-- One row per force, team and officer in the case files or custody records of the viewer's scope.
-- (Read from officer_list, built at load: core/queries/derived.sql.)
SELECT force_code, team, oic_id, oic_name
FROM officer_list
WHERE {{scope}} AND team IS NOT NULL
ORDER BY force_code, team, oic_id;

-- name: people
-- Every officer's, supervisor's and section leader's name and collar number in the store: the values
-- JOIM mode masks wherever they appear (core.pseudonym). Hundreds per force, not one per case.
SELECT DISTINCT v FROM (
    SELECT unnest([oic_id, oic_name, supervisor_id, supervisor_name, ngap_allocated_officer_id,
                   ngap_allocated_officer_name, ngap_section_leader]) AS v FROM case_offences
    UNION ALL
    SELECT unnest([oic_id, oic_name]) FROM custody
) WHERE v IS NOT NULL AND trim(v) <> ''
