-- One cluster of the current generation year by year (cluster_outcomes), amounts in mio. kr.
select year, projects_started, projects_active, smv_funded, smv_new_to_rd,
       smv_funding_dkk / 1e6 as smv_funding_mio_dkk, smv_funding_rate_pct,
       overhead_share_pct, projects_with_knowledge_institution,
       public_funding_drawn_dkk / 1e6 as drawn_mio_dkk,
       private_financing_attracted_dkk / 1e6 as private_financing_mio_dkk,
       private_financing_share_pct
from cluster_outcomes
where cluster_id = $cluster_id
  and programme = (select any_value(programme) from programme_generations where is_current_programme)
order by year
