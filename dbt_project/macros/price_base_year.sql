{#- The fixed-price base year asked for: dbt var price_base_year (the pipeline passes
    KLYNGE_PRICE_BASE_YEAR), else none (the model then picks the latest year with data). -#}
{% macro requested_price_base_year() -%}
    {%- set chosen = var('price_base_year', '') | string | trim -%}
    {%- if chosen and not chosen.isdigit() -%}
        {{ exceptions.raise_compiler_error("price_base_year must be a year such as 2024, not '" ~ chosen ~ "'") }}
    {%- endif -%}
    {{ chosen if chosen else 'null' }}
{%- endmacro %}
