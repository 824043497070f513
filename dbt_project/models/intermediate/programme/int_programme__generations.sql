-- The programme's generations, one row each, from the dbt var programme_generations (written
-- in pipelines/config/generations/<id>.yaml, passed by pipelines.constants.dbt_vars): each
-- generation's period, clusters, allocation, the rules in force then (NULL: not a rule then) and
-- whether its contract reports the projects' grant type (the declaration, not the data).
{% set generations = var('programme_generations') %}
with generations as (
    {% for g in generations %}
    select
        '{{ g.programme }}' as programme,
        {{ g.first_year }} as first_year,
        {{ g.last_year }} as last_year,
        {{ g.clusters }} as clusters,
        {{ g.allocation_dkk }} as allocation_dkk,
        {{ 'null' if g.smv_funding_cap_pct is none else g.smv_funding_cap_pct }}
            as smv_funding_cap_pct,
        {{ 'null' if g.overhead_norm_pct is none else g.overhead_norm_pct }} as overhead_norm_pct,
        {%- if g.reports_grant_type is not boolean %}
        {{ exceptions.raise_compiler_error(
            "programme_generations: " ~ g.programme ~ " has no boolean reports_grant_type"
        ) }}
        {%- endif %}
        {{ 'true' if g.reports_grant_type else 'false' }} as reports_grant_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    cast(programme as varchar) as programme,
    cast(first_year as integer) as first_year,
    cast(last_year as integer) as last_year,
    cast(clusters as integer) as clusters,
    cast(allocation_dkk as decimal(18, 2)) as allocation_dkk,
    cast(smv_funding_cap_pct as double) as smv_funding_cap_pct,
    cast(overhead_norm_pct as double) as overhead_norm_pct,
    cast(reports_grant_type as boolean) as reports_grant_type,
    programme = '{{ var("current_programme") }}' as is_current_programme
from generations
