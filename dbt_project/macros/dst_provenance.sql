{#- The provenance columns every DST mart ends with, typed for their contracts: where the DST
    data came from (live or snapshot), DST's version of the table and whether it is the
    synthetic demo snapshot. `rel` is the relation alias carrying them from the staging model
    (none: unqualified). -#}
{% macro dst_provenance_columns(rel=none) -%}
    {%- set prefix = rel ~ '.' if rel else '' -%}
    cast({{ prefix }}source_mode as varchar) as source_mode,
    cast({{ prefix }}dst_updated as varchar) as dst_updated,
    cast({{ prefix }}is_synthetic as boolean) as is_synthetic
{%- endmacro %}
