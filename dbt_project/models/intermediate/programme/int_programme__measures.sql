-- Programme measures at four grains per generation in one pass (GROUPING SETS), so cluster,
-- year and generation totals are computed the same way and distinct SMEs are counted, never
-- summed:
--   grain 'cluster_year' (programme, cluster_id, year), 'cluster' (programme, cluster_id, the
--   generation to date), 'year' (programme, year), 'total' (programme: the whole generation).
-- Ids are unique only within a generation: every join is on (programme, id). Each generation
-- counts the years of its own period and applies its own rules (int_programme__generations);
-- a rule that was not in force then gives NULL breach counts, not 0.
-- Participants' funding counts in the year their project starts; a project is active in every
-- year from its start to its end.
{% set knowledge_types = ['university', 'gts', 'erhvervsakademi', 'professionshoejskole'] %}
{% set grains = '(programme, cluster_id, year), (programme, cluster_id), (programme, year), (programme)' %}

with generations as (
    select * from {{ ref('int_programme__generations') }}
),

participations as (
    select
        participations.*,
        generations.smv_funding_cap_pct,
        -- the participation's funding rate; NULL when it has neither funding nor contribution
        100 * participations.funding_received_dkk
            / nullif(participations.funding_received_dkk + participations.own_contribution_dkk, 0)
            as funding_rate_pct
    from {{ ref('int_programme__participations') }} as participations
    inner join generations
        on {{ in_generation_period('participations', 'year') }}
),

projects as (
    {{ projects_in_generation_period() }}
),

-- whether a generation reported overhead at all: absent (all NULL) gives NULL, not 0
overhead_reported as (
    select programme, bool_or(overhead_dkk is not null) as reports_overhead
    from projects
    group by programme
),

project_partners as (
    select
        programme,
        project_id,
        bool_or(is_knowledge_institution) as has_knowledge_institution,
        {% for t in knowledge_types %}
        bool_or(participant_type = '{{ t }}') as has_{{ t }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ ref('stg_programme__participants') }}
    group by programme, project_id
),

project_years as (
    select projects.programme, projects.project_id, projects.cluster_id, years.year
    from projects
    inner join generations on generations.programme = projects.programme
    inner join range(
        (select min(first_year) from generations), (select max(last_year) from generations) + 1
    ) as years (year)
        on years.year between projects.start_year and projects.end_year
        and years.year between generations.first_year and generations.last_year
),

participant_measures as (
    select
        programme,
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
        count(*) filter (where is_smv and funding_rate_pct > smv_funding_cap_pct)
            as smv_funding_rate_breaches,
        max(funding_rate_pct) filter (where is_smv and funding_rate_pct > smv_funding_cap_pct)
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
        projects.programme,
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
    left join project_partners as partners
        on partners.programme = projects.programme
        and partners.project_id = projects.project_id
    group by grouping sets (
        (projects.programme, projects.cluster_id, projects.start_year),
        (projects.programme, projects.cluster_id),
        (projects.programme, projects.start_year),
        (projects.programme)
    )
),

active_measures as (
    select
        programme,
        cluster_id,
        year,
        grouping(cluster_id, year) as grain_id,
        count(distinct project_id) as projects_active
    from project_years
    group by grouping sets ({{ grains }})
),

finance_measures as (
    select
        finances.programme,
        finances.cluster_id,
        finances.year,
        grouping(finances.cluster_id, finances.year) as grain_id,
        sum(finances.public_funding_drawn_dkk) as public_funding_drawn_dkk,
        sum(finances.private_financing_attracted_dkk) as private_financing_attracted_dkk
    from {{ ref('stg_programme__cluster_finances') }} as finances
    inner join generations
        on {{ in_generation_period('finances', 'year') }}
    group by grouping sets (
        (finances.programme, finances.cluster_id, finances.year),
        (finances.programme, finances.cluster_id),
        (finances.programme, finances.year),
        (finances.programme)
    )
),

cluster_years as (
    select * from {{ ref('int_programme__cluster_years') }}
),

clusters as (
    select * from {{ ref('stg_programme__clusters') }}
),

spine as (
    select programme, cluster_id, cluster_name, year, 0 as grain_id, grant_dkk, is_sample
    from cluster_years
    union all
    select programme, cluster_id, cluster_name, null, 1, grant_dkk, is_sample
    from clusters
    union all
    select programme, null, null, year, 2, sum(grant_dkk), bool_or(is_sample)
    from cluster_years
    group by programme, year
    union all
    select programme, null, null, null, 3, sum(grant_dkk), bool_or(is_sample)
    from clusters
    group by programme
)

select
    case spine.grain_id
        when 0 then 'cluster_year' when 1 then 'cluster' when 2 then 'year' else 'total'
    end as grain,
    spine.programme,
    spine.cluster_id,
    spine.cluster_name,
    spine.year,
    spine.grant_dkk,
    coalesce(project_measures.projects_started, 0) as projects_started,
    coalesce(active_measures.projects_active, 0) as projects_active,
    coalesce(participant_measures.smv_funded, 0) as smv_funded,
    coalesce(participant_measures.smv_funding_dkk, 0) as smv_funding_dkk,
    coalesce(participant_measures.smv_own_contribution_dkk, 0) as smv_own_contribution_dkk,
    coalesce(participant_measures.smv_new_to_rd, 0) as smv_new_to_rd,
    coalesce(participant_measures.smv_participations, 0) as smv_participations,
    participant_measures.smv_funding_rate_median_pct,
    participant_measures.smv_funding_rate_max_pct,
    -- NULL where the generation had no cap: not checked, rather than "no breach"
    case when generations.smv_funding_cap_pct is not null
        then coalesce(participant_measures.smv_funding_rate_breaches, 0)
    end as smv_funding_rate_breaches,
    participant_measures.smv_funding_rate_breach_max_pct,
    coalesce(participant_measures.knowledge_institutions, 0) as knowledge_institutions,
    {% for t in knowledge_types %}
    coalesce(participant_measures.distinct_{{ t }}, 0) as distinct_{{ t }},
    {% endfor %}
    coalesce(project_measures.budget_dkk, 0) as budget_dkk,
    coalesce(project_measures.cluster_funding_dkk, 0) as cluster_funding_dkk,
    case when coalesce(overhead_reported.reports_overhead, true)
        then coalesce(project_measures.overhead_dkk, 0)
    end as overhead_dkk,
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
inner join generations on generations.programme = spine.programme
left join overhead_reported on overhead_reported.programme = spine.programme
{% for m in ['participant_measures', 'project_measures', 'active_measures', 'finance_measures'] %}
left join {{ m }}
    on {{ m }}.grain_id = spine.grain_id
    and {{ m }}.programme = spine.programme
    and {{ m }}.cluster_id is not distinct from spine.cluster_id
    and {{ m }}.year is not distinct from spine.year
{% endfor %}
