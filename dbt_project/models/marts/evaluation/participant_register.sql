-- The participant register: one row per programme generation x firm x cluster, treatment year
-- = the year of the firm's first project start in that cluster within the generation's period.
-- A cluster id names another cluster in each generation, so the generation is part of the key.
with participations as (
    select * from {{ ref('int_evaluation__firm_participations') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by programme, cvr, cluster_id order by start_date, project_id
        ) as project_order
    from participations
),

firms as (
    select
        programme,
        cvr,
        cluster_id,
        min(start_date) as first_project_start,
        count(*) as projects,
        sum(funding_received_dkk) as funding_received_dkk,
        sum(own_contribution_dkk) as own_contribution_dkk,
        bool_or(is_innovation_project) as any_innovation_project,
        bool_or(new_to_rd) filter (where project_order = 1) as new_to_rd,
        -- the type reported in the first project; a firm growing past 250 FTE later stays
        -- in the size group it entered with
        arg_min(participant_type, project_order) as size_group_at_entry,
        any_value(programme_first_year) as programme_first_year,
        any_value(programme_last_year) as programme_last_year,
        bool_or(is_sample) as is_sample
    from ranked
    group by programme, cvr, cluster_id
)

select
    cast(programme as varchar) as programme,
    cast(cvr as varchar) as cvr,
    cast(cluster_id as varchar) as cluster_id,
    cast(year(first_project_start) as integer) as treatment_year,
    cast(first_project_start as date) as first_project_start,
    cast(projects as integer) as projects,
    cast(funding_received_dkk as decimal(18, 2)) as funding_received_dkk,
    cast(own_contribution_dkk as decimal(18, 2)) as own_contribution_dkk,
    cast(case when any_innovation_project then 'innovation_project' else 'other_activity' end
         as varchar) as participation_kind,
    cast(new_to_rd as boolean) as new_to_rd,
    cast(size_group_at_entry as varchar) as size_group_at_entry,
    cast(programme_first_year as integer) as programme_first_year,
    cast(programme_last_year as integer) as programme_last_year,
    cast(is_sample as boolean) as is_sample
from firms
order by programme, cluster_id, cvr
