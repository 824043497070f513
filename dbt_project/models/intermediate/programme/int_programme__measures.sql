-- Programme measures at four grains in one pass (GROUPING SETS), so cluster, year and
-- programme totals are computed the same way and distinct SMEs are counted, never summed:
--   grain 'cluster_year' (cluster_id, year), 'cluster' (cluster_id, whole programme to date),
--   'year' (year), 'total' (whole programme).
-- Participants' funding counts in the year their project starts; a project is active in every
-- year from its start to its end.
{% set first = var('programme_first_year') %}
{% set last = var('programme_last_year') %}
{% set knowledge_types = ['university', 'gts', 'erhvervsakademi', 'professionshoejskole'] %}
{% set grains = '(cluster_id, year), (cluster_id), (year), ()' %}
{% set max_rate = var('max_smv_funding_rate_pct') %}

with participations as (
    select
        *,
        -- the participation's funding rate; NULL when it has neither funding nor contribution
        100 * funding_received_dkk / nullif(funding_received_dkk + own_contribution_dkk, 0)
            as funding_rate_pct
    from {{ ref('int_programme__participations') }}
    where year between {{ first }} and {{ last }}
),

projects as (
    select * from {{ ref('stg_programme__projects') }}
    where start_year between {{ first }} and {{ last }}
),

project_partners as (
    select
        project_id,
        bool_or(is_knowledge_institution) as has_knowledge_institution,
        {% for t in knowledge_types %}
        bool_or(participant_type = '{{ t }}') as has_{{ t }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ ref('stg_programme__participants') }}
    group by project_id
),

project_years as (
    select projects.project_id, projects.cluster_id, years.year
    from projects
    inner join range({{ first }}, {{ last }} + 1) as years (year)
        on years.year between projects.start_year and projects.end_year
),

participant_measures as (
    select
        cluster_id,
        year,
        grouping(cluster_id, year) as grain_id,
        count(distinct cvr) filter (where is_smv and funding_received_dkk > 0) as smv_funded,
        sum(funding_received_dkk) filter (where is_smv) as smv_funding_dkk,
        sum(own_contribution_dkk) filter (where is_smv) as smv_own_contribution_dkk,
        count(distinct cvr) filter (where is_smv and new_to_rd) as smv_new_to_rd,
        count(*) filter (where is_smv and funding_received_dkk > 0) as smv_participations,
        median(funding_rate_pct) filter (where is_smv) as smv_funding_rate_median_pct,
        max(funding_rate_pct) filter (where is_smv) as smv_funding_rate_max_pct,
        count(*) filter (where is_smv and funding_rate_pct > {{ max_rate }})
            as smv_funding_rate_breaches,
        max(funding_rate_pct) filter (where is_smv and funding_rate_pct > {{ max_rate }})
            as smv_funding_rate_breach_max_pct,
        count(distinct cvr) filter (where is_knowledge_institution) as knowledge_institutions,
        {% for t in knowledge_types %}
        count(distinct cvr) filter (where participant_type = '{{ t }}')
            as distinct_{{ t }}{{ "," if not loop.last }}
        {% endfor %}
    from participations
    group by grouping sets ({{ grains }})
),

project_measures as (
    select
        projects.cluster_id,
        projects.start_year as year,
        grouping(projects.cluster_id, projects.start_year) as grain_id,
        count(*) as projects_started,
        sum(projects.cluster_funding_dkk) as cluster_funding_dkk,
        sum(projects.overhead_dkk) as overhead_dkk,
        sum(projects.budget_dkk) as budget_dkk,
        sum(projects.private_cofinancing_dkk) as private_cofinancing_dkk,
        count(*) filter (where partners.has_knowledge_institution)
            as projects_with_knowledge_institution,
        {% for t in knowledge_types %}
        count(*) filter (where partners.has_{{ t }}) as projects_with_{{ t }}{{ "," if not loop.last }}
        {% endfor %}
    from projects
    left join project_partners as partners on partners.project_id = projects.project_id
    group by grouping sets (
        (projects.cluster_id, projects.start_year), (projects.cluster_id), (projects.start_year), ()
    )
),

active_measures as (
    select
        cluster_id,
        year,
        grouping(cluster_id, year) as grain_id,
        count(distinct project_id) as projects_active
    from project_years
    group by grouping sets ({{ grains }})
),

finance_measures as (
    select
        cluster_id,
        year,
        grouping(cluster_id, year) as grain_id,
        sum(public_funding_drawn_dkk) as public_funding_drawn_dkk,
        sum(private_financing_attracted_dkk) as private_financing_attracted_dkk
    from {{ ref('stg_programme__cluster_finances') }}
    where year between {{ first }} and {{ last }}
    group by grouping sets ({{ grains }})
),

cluster_years as (
    select * from {{ ref('int_programme__cluster_years') }}
),

spine as (
    select cluster_id, cluster_name, year, 0 as grain_id, grant_2025_2028_dkk, is_sample
    from cluster_years
    union all
    select cluster_id, cluster_name, null, 1, grant_2025_2028_dkk, is_sample
    from {{ ref('stg_programme__clusters') }}
    union all
    select null, null, year, 2, sum(grant_2025_2028_dkk), bool_or(is_sample)
    from cluster_years
    group by year
    union all
    select null, null, null, 3, sum(grant_2025_2028_dkk), bool_or(is_sample)
    from {{ ref('stg_programme__clusters') }}
)

select
    case spine.grain_id
        when 0 then 'cluster_year' when 1 then 'cluster' when 2 then 'year' else 'total'
    end as grain,
    spine.cluster_id,
    spine.cluster_name,
    spine.year,
    spine.grant_2025_2028_dkk,
    coalesce(project_measures.projects_started, 0) as projects_started,
    coalesce(active_measures.projects_active, 0) as projects_active,
    coalesce(participant_measures.smv_funded, 0) as smv_funded,
    coalesce(participant_measures.smv_funding_dkk, 0) as smv_funding_dkk,
    coalesce(participant_measures.smv_own_contribution_dkk, 0) as smv_own_contribution_dkk,
    coalesce(participant_measures.smv_new_to_rd, 0) as smv_new_to_rd,
    coalesce(participant_measures.smv_participations, 0) as smv_participations,
    participant_measures.smv_funding_rate_median_pct,
    participant_measures.smv_funding_rate_max_pct,
    coalesce(participant_measures.smv_funding_rate_breaches, 0) as smv_funding_rate_breaches,
    participant_measures.smv_funding_rate_breach_max_pct,
    coalesce(participant_measures.knowledge_institutions, 0) as knowledge_institutions,
    {% for t in knowledge_types %}
    coalesce(participant_measures.distinct_{{ t }}, 0) as distinct_{{ t }},
    {% endfor %}
    coalesce(project_measures.budget_dkk, 0) as budget_dkk,
    coalesce(project_measures.cluster_funding_dkk, 0) as cluster_funding_dkk,
    coalesce(project_measures.overhead_dkk, 0) as overhead_dkk,
    coalesce(project_measures.private_cofinancing_dkk, 0) as private_cofinancing_dkk,
    coalesce(project_measures.projects_with_knowledge_institution, 0)
        as projects_with_knowledge_institution,
    {% for t in knowledge_types %}
    coalesce(project_measures.projects_with_{{ t }}, 0) as projects_with_{{ t }},
    {% endfor %}
    coalesce(finance_measures.public_funding_drawn_dkk, 0) as public_funding_drawn_dkk,
    coalesce(finance_measures.private_financing_attracted_dkk, 0)
        as private_financing_attracted_dkk,
    spine.is_sample
from spine
{% for m in ['participant_measures', 'project_measures', 'active_measures', 'finance_measures'] %}
left join {{ m }}
    on {{ m }}.grain_id = spine.grain_id
    and {{ m }}.cluster_id is not distinct from spine.cluster_id
    and {{ m }}.year is not distinct from spine.year
{% endfor %}
