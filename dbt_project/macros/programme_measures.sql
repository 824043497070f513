{#- The measure columns shared by cluster_outcomes, cluster_programme_summary and
    cluster_programme_totals, typed for their contracts; `m` is a relation alias over
    int_programme__measures (the generation, column programme, is each model's own key). -#}
{% macro programme_measure_columns(m) -%}
    cast({{ m }}.grant_dkk as decimal(18, 2)) as grant_dkk,
    cast({{ m }}.projects_started as integer) as projects_started,
    cast({{ m }}.projects_active as integer) as projects_active,
    cast({{ m }}.smv_funded as integer) as smv_funded,
    cast({{ m }}.smv_funding_dkk as decimal(18, 2)) as smv_funding_dkk,
    cast({{ m }}.smv_own_contribution_dkk as decimal(18, 2)) as smv_own_contribution_dkk,
    cast(100 * {{ m }}.smv_funding_dkk
         / nullif({{ m }}.smv_funding_dkk + {{ m }}.smv_own_contribution_dkk, 0) as double)
        as smv_funding_rate_pct,
    cast({{ m }}.smv_funding_dkk / nullif({{ m }}.smv_funded, 0) as double)
        as avg_funding_per_smv_dkk,
    cast({{ m }}.smv_funding_rate_median_pct as double) as smv_funding_rate_median_pct,
    cast({{ m }}.smv_funding_rate_max_pct as double) as smv_funding_rate_max_pct,
    cast({{ m }}.smv_funding_rate_breaches as integer) as smv_funding_rate_breaches,
    cast({{ m }}.smv_funding_rate_breach_max_pct as double) as smv_funding_rate_breach_max_pct,
    cast({{ m }}.cluster_funding_dkk as decimal(18, 2)) as cluster_funding_dkk,
    cast({{ m }}.overhead_dkk as decimal(18, 2)) as overhead_dkk,
    cast(100 * {{ m }}.overhead_dkk / nullif({{ m }}.cluster_funding_dkk, 0) as double)
        as overhead_share_pct,
    cast({{ m }}.projects_with_knowledge_institution as integer)
        as projects_with_knowledge_institution,
    cast({{ m }}.projects_with_university as integer) as projects_with_university,
    cast({{ m }}.projects_with_gts as integer) as projects_with_gts,
    cast({{ m }}.projects_with_erhvervsakademi as integer) as projects_with_erhvervsakademi,
    cast({{ m }}.projects_with_professionshoejskole as integer)
        as projects_with_professionshoejskole,
    cast({{ m }}.smv_new_to_rd as integer) as smv_new_to_rd,
    cast({{ m }}.private_cofinancing_dkk as decimal(18, 2)) as private_cofinancing_dkk,
    cast({{ m }}.public_funding_drawn_dkk as decimal(18, 2)) as public_funding_drawn_dkk,
    cast({{ m }}.private_financing_attracted_dkk as decimal(18, 2))
        as private_financing_attracted_dkk,
    cast(100 * {{ m }}.private_financing_attracted_dkk
         / nullif({{ m }}.private_financing_attracted_dkk + {{ m }}.public_funding_drawn_dkk, 0)
         as double) as private_financing_share_pct,
    cast({{ m }}.is_sample as boolean) as is_sample
{%- endmacro %}
