-- The grant types each programme generation declares, one row per generation and grant type,
-- from the dbt var programme_grant_types (written in pipelines/config/generations/<id>.yaml,
-- passed by pipelines.constants.dbt_vars): who pays, its names and, where the call declares
-- it, its amount (NULL: not declared). grant_type_order keeps the declaration's order.
{% set grant_types = var('programme_grant_types') %}
with declared_grant_types as (
    {% for t in grant_types %}
    select
        '{{ t.programme }}' as programme,
        '{{ t.grant_type }}' as grant_type,
        {{ loop.index }} as grant_type_order,
        '{{ t.funder }}' as funder,
        '{{ t.name_da | replace("'", "''") }}' as name_da,
        '{{ t.name_en | replace("'", "''") }}' as name_en,
        {{ 'null' if t.amount_dkk is none else t.amount_dkk }} as amount_dkk
    {% if not loop.last %}union all{% endif %}
    {% else %}
    -- no generation declares a grant type: no rows, the same columns
    select
        null as programme, null as grant_type, null as grant_type_order, null as funder,
        null as name_da, null as name_en, null as amount_dkk
    where false
    {% endfor %}
)

select
    cast(programme as varchar) as programme,
    cast(grant_type as varchar) as grant_type,
    cast(grant_type_order as integer) as grant_type_order,
    cast(funder as varchar) as funder,
    cast(name_da as varchar) as name_da,
    cast(name_en as varchar) as name_en,
    cast(amount_dkk as decimal(18, 2)) as amount_dkk
from declared_grant_types
