{#- Generic data tests used across the marts (no dbt packages: this machine has no hub). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Every year between the first and the last is present (per group, if given). -#}
{% test no_year_gaps(model, column_name, group_by=none) %}
with years as (
    select {% if group_by %}{{ group_by }},{% endif %} {{ column_name }} as year
    from {{ model }}
    group by all
),
bounds as (
    select {% if group_by %}{{ group_by }},{% endif %} min(year) as first_year,
           max(year) as last_year, count(*) as n_years
    from years
    group by all
)
select *
from bounds
where n_years <> last_year - first_year + 1
{% endtest %}
