-- One row per cluster of the current generation over its period to date
-- (cluster_programme_totals), amounts in mio. kr.
-- Distinct counts come from that table as published, never summed over years here.
select cluster_id, cluster_name, first_year, last_year,
       grant_dkk / 1e6                        as grant_mio_dkk,
       public_funding_drawn_dkk / 1e6         as drawn_mio_dkk,
       grant_drawn_pct,
       projects_started, projects_active,
       projects_with_knowledge_institution, projects_with_university, projects_with_gts,
       projects_with_erhvervsakademi, projects_with_professionshoejskole,
       smv_funded, smv_new_to_rd, smv_participations,
       smv_funding_dkk / 1e6                  as smv_funding_mio_dkk,
       avg_funding_per_smv_dkk / 1e3          as avg_funding_per_smv_tdkk,
       smv_funding_rate_pct, smv_funding_rate_median_pct, smv_funding_rate_max_pct,
       smv_funding_rate_breaches, smv_funding_rate_breach_max_pct,
       overhead_share_pct,
       knowledge_institutions, universities, gts_institutes, erhvervsakademier,
       professionshoejskoler,
       private_cofinancing_dkk / 1e6          as private_cofinancing_mio_dkk,
       private_cofinancing_share_pct,
       private_financing_attracted_dkk / 1e6  as private_financing_mio_dkk,
       private_financing_share_pct,
       findings_smv_funding_rate_above_max, findings_overhead_share_above_norm,
       findings_public_funding_above_grant, findings_total
from cluster_programme_totals
where programme = (select any_value(programme) from programme_generations where is_current_programme)
order by cluster_id
