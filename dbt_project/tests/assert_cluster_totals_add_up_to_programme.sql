-- Per programme generation, the additive columns of cluster_programme_totals add up to the
-- generation's total (cluster_programme_summary, period 'total'), and each cluster's breach
-- count equals its smv_funding_rate_above_max findings: the two tables and quality_findings
-- tell one story. One row per generation and measure that disagrees.
{% set additive = ['grant_dkk', 'projects_started', 'smv_funding_dkk',
                   'smv_own_contribution_dkk', 'smv_funding_rate_breaches', 'cluster_funding_dkk',
                   'overhead_dkk', 'private_cofinancing_dkk', 'public_funding_drawn_dkk',
                   'private_financing_attracted_dkk'] %}
with clusters as (
    select
        programme,
        {% for c in additive %}sum({{ c }}) as {{ c }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ ref('cluster_programme_totals') }}
    group by programme
),

programme as (
    select * from {{ ref('cluster_programme_summary') }} where period = 'total'
)

{% for c in additive %}
select
    coalesce(clusters.programme, programme.programme) as programme,
    '{{ c }}' as measure,
    clusters.{{ c }} as sum_over_clusters,
    programme.{{ c }} as programme_total
from clusters
full outer join programme on programme.programme = clusters.programme
where clusters.{{ c }} is distinct from programme.{{ c }}
union all
{% endfor %}
select programme, 'smv_funding_rate_breaches of ' || cluster_id, smv_funding_rate_breaches,
       findings_smv_funding_rate_above_max
from {{ ref('cluster_programme_totals') }}
where coalesce(smv_funding_rate_breaches, 0) <> findings_smv_funding_rate_above_max
