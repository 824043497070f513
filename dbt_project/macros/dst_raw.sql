{#- Pieces of the DST staging models. The raw DST tables are narrow (codes, value,
    is_suppressed); a code's label lives in raw.<table>_labels and where the load came from in
    raw._dst_loads (shown per table by the view raw.<table>_provenance), so staging joins them
    back. -#}

{#- Left join of the label lookup `labels` for one variable, aliased as the variable's column. -#}
{% macro dst_label_join(variable, column) %}
    left join labels as {{ column }}_label
        on {{ column }}_label.variable = '{{ variable }}'
        and {{ column }}_label.code = source.{{ column }}::varchar
{% endmacro %}
