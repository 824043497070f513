-- Every loaded programme row is counted in the marts: the raw tables and the programme totals
-- they feed must agree. A row that loads but falls outside what the marts count (a project
-- dated outside the programme period, a participant of a project that is not counted) fails
-- the build here instead of vanishing silently. One row per measure that disagrees.
with raw_totals as (
    select 'projects' as measure, count(*)::decimal(38, 2) as raw_value
    from {{ source('raw', 'programme_projects') }}
    union all
    select 'cluster_funding_dkk', coalesce(sum(cluster_funding_dkk), 0)
    from {{ source('raw', 'programme_projects') }}
    union all
    select 'smv_funding_dkk', coalesce(sum(funding_received_dkk), 0)
    from {{ source('raw', 'programme_participants') }}
    where participant_type = 'smv'
    union all
    select 'public_funding_drawn_dkk', coalesce(sum(public_funding_drawn_dkk), 0)
    from {{ source('raw', 'programme_cluster_finances') }}
    union all
    select 'clusters', count(*)
    from {{ source('raw', 'programme_clusters') }}
),

programme_total as (
    select * from {{ ref('cluster_programme_summary') }}
    where period = 'total'
),

mart_totals as (
    select 'projects' as measure, coalesce(max(projects_started), 0)::decimal(38, 2) as mart_value
    from programme_total
    union all
    select 'cluster_funding_dkk', coalesce(max(cluster_funding_dkk), 0) from programme_total
    union all
    select 'smv_funding_dkk', coalesce(max(smv_funding_dkk), 0) from programme_total
    union all
    select 'public_funding_drawn_dkk', coalesce(max(public_funding_drawn_dkk), 0)
    from programme_total
    union all
    select 'clusters', count(distinct cluster_id) from {{ ref('cluster_outcomes') }}
)

select raw_totals.measure, raw_totals.raw_value, mart_totals.mart_value
from raw_totals
inner join mart_totals on mart_totals.measure = raw_totals.measure
where abs(raw_totals.raw_value - mart_totals.mart_value) > {{ var('reconciliation_tolerance_dkk') }}
