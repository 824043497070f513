-- Rule breaches that do not invalidate the reported data but must stay visible, per programme
-- generation and under that generation's own rules (int_programme__generations). A rule that
-- was not in force in a generation (its limit NULL) is not checked there: no breach rows, but one
-- 'not_checked' row per generation and rule saying so, so that its absence shows.
-- (Breaches that do invalidate the data, e.g. a project ending before it starts, reject the file.)
with generations as (
    select * from {{ ref('int_programme__generations') }}
),

participations as (
    select * from {{ ref('int_programme__participations') }}
),

smv_funding_rate as (
    select
        'smv_funding_rate_above_max' as rule,
        'warning' as severity,
        participations.programme,
        participations.cluster_id,
        participations.project_id,
        participations.cvr,
        participations.year,
        100 * participations.funding_received_dkk
            / (participations.funding_received_dkk + participations.own_contribution_dkk)
            as observed_value,
        generations.smv_funding_cap_pct as threshold,
        'SME funding rate above the programme maximum of '
            || regexp_replace(cast(generations.smv_funding_cap_pct as varchar), '\.0$', '')
            || ' %' as message,
        participations.source_file,
        participations.source_row,
        participations.is_sample
    from participations
    inner join generations on generations.programme = participations.programme
    where participations.is_smv
      and generations.smv_funding_cap_pct is not null
      and participations.funding_received_dkk + participations.own_contribution_dkk > 0
      and 100 * participations.funding_received_dkk
          / (participations.funding_received_dkk + participations.own_contribution_dkk)
          > generations.smv_funding_cap_pct
),

overhead as (
    select
        'overhead_share_above_norm' as rule,
        'warning' as severity,
        projects.programme,
        projects.cluster_id,
        projects.project_id,
        cast(null as varchar) as cvr,
        projects.start_year as year,
        100 * projects.overhead_dkk / projects.cluster_funding_dkk as observed_value,
        generations.overhead_norm_pct as threshold,
        'Overhead above '
            || regexp_replace(cast(generations.overhead_norm_pct as varchar), '\.0$', '')
            || ' % of the project''s cluster funding' as message,
        projects.source_file,
        projects.source_row,
        projects.is_sample
    from {{ ref('stg_programme__projects') }} as projects
    inner join generations on generations.programme = projects.programme
    where generations.overhead_norm_pct is not null
      and projects.cluster_funding_dkk > 0
      and 100 * projects.overhead_dkk / projects.cluster_funding_dkk
          > generations.overhead_norm_pct
),

grant_exceeded as (
    select
        'public_funding_above_grant' as rule,
        'warning' as severity,
        finances.programme,
        finances.cluster_id,
        cast(null as varchar) as project_id,
        cast(null as varchar) as cvr,
        cast(null as integer) as year,
        sum(finances.public_funding_drawn_dkk) as observed_value,
        any_value(clusters.grant_dkk) as threshold,
        'Public funding drawn ' || finances.programme || ' exceeds the cluster''s grant'
            as message,
        any_value(finances.source_file) as source_file,
        cast(null as integer) as source_row,
        bool_or(finances.is_sample) as is_sample
    from {{ ref('stg_programme__cluster_finances') }} as finances
    inner join {{ ref('stg_programme__clusters') }} as clusters
        on clusters.programme = finances.programme
        and clusters.cluster_id = finances.cluster_id
    group by finances.programme, finances.cluster_id
    having sum(finances.public_funding_drawn_dkk) > any_value(clusters.grant_dkk)
),

-- a rule that was not in force in a generation: one row saying it was not checked there
rules_not_in_force as (
    select
        rules.rule,
        'not_checked' as severity,
        generations.programme,
        cast(null as varchar) as cluster_id,
        cast(null as varchar) as project_id,
        cast(null as varchar) as cvr,
        cast(null as integer) as year,
        cast(null as double) as observed_value,
        cast(null as double) as threshold,
        'Not a rule in ' || generations.programme || ' (ikke en regel dengang): '
            || rules.rule_en || ' was not checked' as message,
        cast(null as varchar) as source_file,
        cast(null as integer) as source_row,
        bool_or(clusters.is_sample) as is_sample
    from generations
    inner join {{ ref('stg_programme__clusters') }} as clusters
        on clusters.programme = generations.programme
    inner join (
        values
            ('smv_funding_rate_above_max', 'the SME funding cap'),
            ('overhead_share_above_norm', 'the overhead norm')
    ) as rules (rule, rule_en)
        on (rules.rule = 'smv_funding_rate_above_max' and generations.smv_funding_cap_pct is null)
        or (rules.rule = 'overhead_share_above_norm' and generations.overhead_norm_pct is null)
    group by rules.rule, rules.rule_en, generations.programme
),

findings as (
    select * from smv_funding_rate
    union all
    select * from overhead
    union all
    select * from grant_exceeded
    union all
    select * from rules_not_in_force
)

select
    cast(md5(concat_ws('|', programme, rule, cluster_id, project_id, cvr, year)) as varchar)
        as finding_id,
    cast(programme as varchar) as programme,
    cast(rule as varchar) as rule,
    cast(severity as varchar) as severity,
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
order by programme, rule, cluster_id, project_id, cvr
