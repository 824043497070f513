{#- A programme generation counts what happens in its own period. Both macros join to the
    model's `generations` CTE (a select from int_programme__generations). -#}

{#- The join condition: `alias`'s `year_column` within its generation's first and last year. -#}
{% macro in_generation_period(alias, year_column) -%}
generations.programme = {{ alias }}.programme
        and {{ alias }}.{{ year_column }} between generations.first_year and generations.last_year
{%- endmacro %}

{#- The projects that start in their generation's period (the projects every programme measure
    counts). -#}
{% macro projects_in_generation_period() -%}
    select projects.*
    from {{ ref('stg_programme__projects') }} as projects
    inner join generations
        on {{ in_generation_period('projects', 'start_year') }}
{%- endmacro %}
