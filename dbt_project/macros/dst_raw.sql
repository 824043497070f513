{#- Pieces of the DST staging models. The raw DST tables are narrow (codes, value,
    is_suppressed); a code's label lives in raw.<table>_labels and where the load came from in
    raw._dst_loads, so staging joins them back. -#}

{#- The latest load of one raw table: its source mode, DST `updated` and synthetic flag. -#}
{% macro dst_latest_load(raw_table) %}
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', '_dst_loads') }}
    where raw_table = '{{ raw_table }}'
    qualify row_number() over (order by loaded_at desc) = 1
{% endmacro %}

{#- Left join of the label lookup `labels` for one variable, aliased as the variable's column. -#}
{% macro dst_label_join(variable, column) %}
    left join labels as {{ column }}_label
        on {{ column }}_label.variable = '{{ variable }}'
        and {{ column }}_label.code = source.{{ column }}::varchar
{% endmacro %}
