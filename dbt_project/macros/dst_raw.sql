{#- Pieces of the DST staging models. The raw DST tables are narrow (codes, value,
    is_suppressed); a code's label lives in raw.<table>_labels and where the load came from in
    raw._dst_loads (shown per table by the view raw.<table>_provenance), so staging joins them
    back. -#}

{#- The staging model of DST table `table` (lower case, e.g. 'forsk01'): one row per cell with,
    for each variable in `variables` (an ordered mapping of DST variable id to column stem),
    <stem>_code and its Danish label <stem>_label_da; the year; the value named `value_as`;
    is_suppressed; and the load's source_mode, dst_updated and is_synthetic. -#}
{% macro dst_staging_model(table, variables, value_as) %}
with source as (
    select * from {{ source('raw', 'dst_' ~ table) }}
),

labels as (
    select * from {{ source('raw', 'dst_' ~ table ~ '_labels') }}
),

latest_load as (
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', 'dst_' ~ table ~ '_provenance') }}
),

renamed as (
    select
        {%- for variable, stem in variables.items() %}
        source.{{ variable | lower }}::varchar as {{ stem }}_code,
        {{ variable | lower }}_label.label as {{ stem }}_label_da,
        {%- endfor %}
        cast(source.tid::varchar as integer) as year,
        source.value as {{ value_as }},
        source.is_suppressed,
        latest_load.source_mode,
        latest_load.dst_updated,
        latest_load.is_synthetic
    from source
    {%- for variable in variables %}
    {{ dst_label_join(variable, variable | lower) }}
    {%- endfor %}
    left join latest_load on true
)

select * from renamed
{% endmacro %}

{#- Left join of the label lookup `labels` for one variable, aliased as the variable's column. -#}
{% macro dst_label_join(variable, column) %}
    left join labels as {{ column }}_label
        on {{ column }}_label.variable = '{{ variable }}'
        and {{ column }}_label.code = source.{{ column }}::varchar
{% endmacro %}
