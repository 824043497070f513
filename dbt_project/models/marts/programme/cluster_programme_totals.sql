-- What each cluster organisation did with its grant over its generation to date: one row per
-- generation and cluster. Distinct counts (SMEs funded, SMEs new to R&D, institutions) are
-- counted over the whole period from the participants, never summed over cluster_outcomes'
-- years.
{% set rules = ['smv_funding_rate_above_max', 'overhead_share_above_norm',
                'public_funding_above_grant'] %}
with measures as (
    select * from {{ ref('int_programme__measures') }}
    where grain = 'cluster'
),

generations as (
    select * from {{ ref('int_programme__generations') }}
),

-- breaches only: a rule not in force in a generation has a 'not_checked' row, no cluster
findings as (
    select
        programme,
        cluster_id,
        {% for rule in rules %}
        count(*) filter (where rule = '{{ rule }}') as findings_{{ rule }},
        {% endfor %}
        count(*) as findings_total
    from {{ ref('quality_findings') }}
    where severity = 'warning'
    group by programme, cluster_id
)

select
    cast(measures.programme as varchar) as programme,
    cast(measures.cluster_id as varchar) as cluster_id,
    cast(measures.cluster_name as varchar) as cluster_name,
    cast(generations.first_year as integer) as first_year,
    cast(generations.last_year as integer) as last_year,
    {{ programme_measure_columns('measures') }},
    cast(measures.smv_participations as integer) as smv_participations,
    cast(measures.knowledge_institutions as integer) as knowledge_institutions,
    cast(measures.distinct_university as integer) as universities,
    cast(measures.distinct_gts as integer) as gts_institutes,
    cast(measures.distinct_erhvervsakademi as integer) as erhvervsakademier,
    cast(measures.distinct_professionshoejskole as integer) as professionshoejskoler,
    cast(measures.budget_dkk as decimal(18, 2)) as project_budget_dkk,
    cast(100 * measures.private_cofinancing_dkk / nullif(measures.budget_dkk, 0) as double)
        as private_cofinancing_share_pct,
    cast(100 * measures.public_funding_drawn_dkk / nullif(measures.grant_dkk, 0) as double)
        as grant_drawn_pct,
    {% for rule in rules %}
    cast(coalesce(findings.findings_{{ rule }}, 0) as integer) as findings_{{ rule }},
    {% endfor %}
    cast(coalesce(findings.findings_total, 0) as integer) as findings_total
from measures
inner join generations on generations.programme = measures.programme
left join findings
    on findings.programme = measures.programme
    and findings.cluster_id = measures.cluster_id
order by programme, cluster_id
