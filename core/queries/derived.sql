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
