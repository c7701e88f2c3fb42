-- Tables the loader derives from the published extracts, once per load, so that pages read one
-- row per case file instead of regrouping every offence row on every query.

-- name: case_file_build
-- One row per case file (force_code, urn): the file-level columns of its first row in the extract
-- (lowest src_row; the contract repeats case-level columns on every offence row, and a file stands
-- where its first row stands), the earliest submission date on any of its rows (submitted_on),
-- whether any of its rows carries action-plan reasons, its offence count, and each offence's STL
-- date with its commencement date (an offence whose STL is still open on a day D has
-- stl_date >= D and no commencement by D). The loader stores this as table
-- case_file; a store written before that table existed gets it as a temporary view (core.derived).
SELECT force_code, urn, unnest(f),
       submitted_on, had_action_plan, offences, stls
FROM (
    SELECT force_code, urn,
           arg_min({'team': team, 'oic_id': oic_id, 'oic_name': oic_name, 'created_date': created_date,
                    'submitted_to_cjs_date': submitted_to_cjs_date, 'cjs_triage_date': cjs_triage_date,
                    'cjs_triage_outcome': cjs_triage_outcome, 'resubmission_count': resubmission_count,
                    'sent_to_cps_date': sent_to_cps_date, 'cps_decision_date': cps_decision_date,
                    'cps_decision': cps_decision, 'commenced_date': commenced_date, 'file_status': file_status,
                    'file_stage': file_stage, 'first_src_row': src_row}, src_row) AS f,
           min(submitted_to_cjs_date) AS submitted_on,
           bool_or(coalesce(len(action_plan_reasons), 0) > 0) AS had_action_plan,
           count(*) AS offences,
           list({'stl_date': stl_date, 'commenced_date': commenced_date}) FILTER (WHERE stl_date IS NOT NULL) AS stls
    FROM case_offences
    GROUP BY force_code, urn
)

-- name: ngap_part_build
-- The NGAP population's rows, pre-aggregated: one row per case (force_code, urn, defendant_id) and
-- team and officer in charge, over the offence rows that are NGAP, at FIRST_HEARING_NGAP or
-- UPGRADE_NG and not CLOSED (the population of core/queries/ngap.sql). Keyed by team and officer
-- too so that the viewer's scope still filters rows exactly as before; every aggregate here can be
-- aggregated again (min of mins, sum of counts, arg_min of the partial arg_mins), and each
-- offence's STL inputs are kept so its band can be worked out as of any day.
SELECT force_code, urn, defendant_id, team, oic_id,
       any_value(ngap_allocated_officer_id) AS officer,
       min(ngap_allocation_date) AS allocated_on,
       min(upgrade_file_due_date) AS due,
       min(ngap_allocated_officer_id) AS officer_id,
       arg_min(ngap_allocated_officer_name, ngap_allocated_officer_id) AS officer_name,
       min(ngap_section_leader) AS section_recorded,
       arg_min(oic_name, oic_id) AS oic_name,
       min(first_hearing_date) AS first_hearing_date,
       min(commenced_date) AS commenced_date,
       min(trial_date) AS trial_date,
       min(file_stage) AS file_stage,
       min(file_status) AS file_status,
       count(*) AS offences,
       list({'stl_date': stl_date, 'stl_rule': stl_rule, 'submitted': submitted_to_cjs_date,
             'commenced': commenced_date}) AS stl_inputs
FROM case_offences
WHERE anticipated_plea = 'NGAP'
  AND list_contains(['FIRST_HEARING_NGAP', 'UPGRADE_NG'], file_stage)
  AND coalesce(file_status, '') <> 'CLOSED'
GROUP BY ALL

-- name: officer_list_build
-- One row per force, team and officer in charge found in the case files or custody records, with
-- the officer's name (the greatest spelling seen): the sidebar's choices, filtered by scope.
SELECT force_code, team, oic_id, max(oic_name) AS oic_name
FROM (SELECT force_code, team, oic_id, oic_name FROM case_offences
      UNION ALL SELECT force_code, team, oic_id, oic_name FROM custody)
GROUP BY ALL
