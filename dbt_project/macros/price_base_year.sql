{#- The fixed-price base year asked for: dbt var price_base_year, else the environment variable
    KLYNGE_PRICE_BASE_YEAR, else none (the model then picks the latest year with data). -#}
{% macro requested_price_base_year() -%}
    {%- set from_var = var('price_base_year', '') | string | trim -%}
    {%- set chosen = from_var if from_var else (env_var('KLYNGE_PRICE_BASE_YEAR', '') | trim) -%}
    {%- if chosen and not chosen.isdigit() -%}
        {{ exceptions.raise_compiler_error("price_base_year must be a year such as 2024, not '" ~ chosen ~ "'") }}
    {%- endif -%}
    {{ chosen if chosen else 'null' }}
{%- endmacro %}
