-- Rule breaches that do not invalidate the reported data but must stay visible.
-- (Breaches that do invalidate it, e.g. a project ending before it starts, reject the file.)
with participations as (
    select * from {{ ref('int_programme__participations') }}
),

smv_funding_rate as (
    select
        'smv_funding_rate_above_max' as rule,
        cluster_id,
        project_id,
        cvr,
        year,
        cast(100 * funding_received_dkk / (funding_received_dkk + own_contribution_dkk)
             as double) as observed_value,
        cast({{ var('max_smv_funding_rate_pct') }} as double) as threshold,
        'SME funding rate above the programme maximum of {{ var("max_smv_funding_rate_pct") }} %'
            as message,
        source_file,
        source_row,
        is_sample
    from participations
    where is_smv
      and funding_received_dkk + own_contribution_dkk > 0
      and 100 * funding_received_dkk / (funding_received_dkk + own_contribution_dkk)
          > {{ var('max_smv_funding_rate_pct') }}
),

overhead as (
    select
        'overhead_share_above_norm' as rule,
        cluster_id,
        project_id,
        cast(null as varchar) as cvr,
        start_year as year,
        cast(100 * overhead_dkk / cluster_funding_dkk as double) as observed_value,
        cast({{ var('overhead_norm_pct') }} as double) as threshold,
        'Overhead above {{ var("overhead_norm_pct") }} % of the project''s cluster funding'
            as message,
        source_file,
        source_row,
        is_sample
    from {{ ref('stg_programme__projects') }}
    where cluster_funding_dkk > 0
      and 100 * overhead_dkk / cluster_funding_dkk > {{ var('overhead_norm_pct') }}
),

grant_exceeded as (
    select
        'public_funding_above_grant' as rule,
        finances.cluster_id,
        cast(null as varchar) as project_id,
        cast(null as varchar) as cvr,
        cast(null as integer) as year,
        cast(sum(finances.public_funding_drawn_dkk) as double) as observed_value,
        cast(any_value(clusters.grant_2025_2028_dkk) as double) as threshold,
        'Public funding drawn {{ var("programme_first_year") }}-{{ var("programme_last_year") }}'
            || ' exceeds the cluster''s grant' as message,
        any_value(finances.source_file) as source_file,
        cast(null as integer) as source_row,
        bool_or(finances.is_sample) as is_sample
    from {{ ref('stg_programme__cluster_finances') }} as finances
    inner join {{ ref('stg_programme__clusters') }} as clusters
        on clusters.cluster_id = finances.cluster_id
    group by finances.cluster_id
    having sum(finances.public_funding_drawn_dkk) > any_value(clusters.grant_2025_2028_dkk)
),

findings as (
    select * from smv_funding_rate
    union all
    select * from overhead
    union all
    select * from grant_exceeded
)

select
    cast(md5(concat_ws('|', rule, cluster_id, project_id, cvr, year)) as varchar) as finding_id,
    cast(rule as varchar) as rule,
    cast('warning' as varchar) as severity,
    cast(cluster_id as varchar) as cluster_id,
    cast(project_id as varchar) as project_id,
    cast(cvr as varchar) as cvr,
    cast(year as integer) as year,
    cast(observed_value as double) as observed_value,
    cast(threshold as double) as threshold,
    cast(message as varchar) as message,
    cast(source_file as varchar) as source_file,
    cast(source_row as integer) as source_row,
    cast(is_sample as boolean) as is_sample
from findings
order by rule, cluster_id, project_id, cvr
