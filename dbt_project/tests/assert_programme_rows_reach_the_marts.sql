-- Every loaded programme row is counted in the marts, per programme generation: the raw tables
-- and each generation's totals they feed must agree. A row that loads but falls outside what
-- the marts count (a project dated outside its generation's period, a participant of a project
-- that is not counted, a row of a generation that is not declared) fails the build here
-- instead of vanishing silently. One row per generation and measure that disagrees.
with raw_totals as (
    select programme, 'projects' as measure, count(*)::decimal(38, 2) as raw_value
    from {{ source('raw', 'programme_projects') }}
    group by programme
    union all
    select programme, 'cluster_funding_dkk', coalesce(sum(cluster_funding_dkk), 0)
    from {{ source('raw', 'programme_projects') }}
    group by programme
    union all
    select programme, 'smv_funding_dkk', coalesce(sum(funding_received_dkk), 0)
    from {{ source('raw', 'programme_participants') }}
    where participant_type = 'smv'
    group by programme
    union all
    select programme, 'public_funding_drawn_dkk', coalesce(sum(public_funding_drawn_dkk), 0)
    from {{ source('raw', 'programme_cluster_finances') }}
    group by programme
    union all
    select programme, 'clusters', count(*)
    from {{ source('raw', 'programme_clusters') }}
    group by programme
),

programme_total as (
    select * from {{ ref('cluster_programme_summary') }}
    where period = 'total'
),

mart_totals as (
    select programme, 'projects' as measure, projects_started::decimal(38, 2) as mart_value
    from programme_total
    union all
    select programme, 'cluster_funding_dkk', cluster_funding_dkk from programme_total
    union all
    select programme, 'smv_funding_dkk', smv_funding_dkk from programme_total
    union all
    select programme, 'public_funding_drawn_dkk', public_funding_drawn_dkk from programme_total
    union all
    select programme, 'clusters', count(distinct cluster_id)
    from {{ ref('cluster_outcomes') }}
    group by programme
)

select
    raw_totals.programme,
    raw_totals.measure,
    raw_totals.raw_value,
    coalesce(mart_totals.mart_value, 0) as mart_value
from raw_totals
left join mart_totals
    on mart_totals.programme = raw_totals.programme
    and mart_totals.measure = raw_totals.measure
where abs(raw_totals.raw_value - coalesce(mart_totals.mart_value, 0))
    > {{ var('reconciliation_tolerance_dkk') }}
