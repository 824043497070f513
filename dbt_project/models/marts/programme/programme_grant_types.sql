-- Cluster funding by grant type: one row per generation and declared grant type
-- (int_programme__grant_types), plus one row per generation for its projects without a grant
-- type. Each generation counts the projects starting in its own period (as cluster_programme_
-- totals does), so its rows add up to its cluster funding there. Ids are unique only within a
-- generation: every join is on (programme, id).
-- Whether a generation reports grant_type is its declaration (int_programme__generations.
-- reports_grant_type, from the contract's absent fields), never the data. A generation that
-- declares the field absent (2021-2024) puts all its projects in the row 'not_reported', and
-- its declared grant types' projects and funding are NULL (not known), not 0. In a generation
-- that reports it, an empty grant_type means the project draws on several grant types: the
-- row 'several', even when every project's grant_type is empty (its declared types count 0).
{% set without_grant_type = {
    'not_reported': ('Tilskudstype ikke indberettet', 'Grant type not reported'),
    'several': ('Flere tilskudstyper', 'Several grant types'),
} %}
with generations as (
    select * from {{ ref('int_programme__generations') }}
),

grant_types as (
    select * from {{ ref('int_programme__grant_types') }}
),

projects as (
    {{ projects_in_generation_period() }}
),

-- grant_type NULL: the generation's projects without a grant type (all of them in a
-- generation that does not report it)
funding_by_grant_type as (
    select
        projects.programme,
        case when generations.reports_grant_type then projects.grant_type end as grant_type,
        count(*) as projects,
        sum(projects.cluster_funding_dkk) as cluster_funding_dkk
    from projects
    inner join generations on generations.programme = projects.programme
    group by projects.programme, 2
),

generation_funding as (
    select programme, sum(cluster_funding_dkk) as cluster_funding_dkk
    from projects
    group by programme
),

sample_flags as (
    select
        generations.programme,
        coalesce(bool_or(clusters.is_sample), false) as is_sample
    from generations
    left join {{ ref('stg_programme__clusters') }} as clusters
        on clusters.programme = generations.programme
    group by generations.programme
),

declared_grant_type_rows as (
    select
        grant_types.programme,
        grant_types.grant_type,
        grant_types.grant_type_order,
        grant_types.funder,
        grant_types.name_da,
        grant_types.name_en,
        grant_types.amount_dkk as declared_amount_dkk,
        case when generations.reports_grant_type then coalesce(funding.projects, 0) end
            as projects,
        case when generations.reports_grant_type then coalesce(funding.cluster_funding_dkk, 0) end
            as cluster_funding_dkk
    from grant_types
    inner join generations on generations.programme = grant_types.programme
    left join funding_by_grant_type as funding
        on funding.programme = grant_types.programme
        and funding.grant_type = grant_types.grant_type
),

without_grant_type_rows as (
    select
        generations.programme,
        labels.grant_type,
        -- after the declared grant types of every generation
        (select count(*) from grant_types) + 1 as grant_type_order,
        null as funder,
        labels.name_da,
        labels.name_en,
        null as declared_amount_dkk,
        coalesce(funding.projects, 0) as projects,
        coalesce(funding.cluster_funding_dkk, 0) as cluster_funding_dkk
    from generations
    inner join (values
        {% for id, names in without_grant_type.items() %}
        (
            '{{ id }}', '{{ names[0] }}', '{{ names[1] }}',
            {{ 'true' if id == 'several' else 'false' }}
        ){{ "," if not loop.last }}
        {% endfor %}
    ) as labels (grant_type, name_da, name_en, reports_grant_type)
        on labels.reports_grant_type = generations.reports_grant_type
    left join funding_by_grant_type as funding
        on funding.programme = generations.programme
        and funding.grant_type is null
),

grant_type_rows as (
    select * from declared_grant_type_rows
    union all by name
    select * from without_grant_type_rows
)

select
    cast(grant_type_rows.programme as varchar) as programme,
    cast(grant_type_rows.grant_type as varchar) as grant_type,
    cast(grant_type_rows.funder as varchar) as funder,
    cast(grant_type_rows.name_da as varchar) as grant_type_name_da,
    cast(grant_type_rows.name_en as varchar) as grant_type_name_en,
    cast(grant_type_rows.declared_amount_dkk as decimal(18, 2)) as declared_amount_dkk,
    cast(grant_type_rows.projects as integer) as projects,
    cast(grant_type_rows.cluster_funding_dkk as decimal(18, 2)) as cluster_funding_dkk,
    cast(
        100 * grant_type_rows.cluster_funding_dkk
        / nullif(generation_funding.cluster_funding_dkk, 0) as double
    ) as share_of_cluster_funding_pct,
    cast(sample_flags.is_sample as boolean) as is_sample
from grant_type_rows
inner join sample_flags on sample_flags.programme = grant_type_rows.programme
left join generation_funding on generation_funding.programme = grant_type_rows.programme
order by grant_type_rows.programme, grant_type_rows.grant_type_order
