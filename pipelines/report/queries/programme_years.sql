-- The current generation as a whole per year and in total (cluster_programme_summary), amounts in
-- mio. kr.
select period, year, projects_started, smv_funded, smv_new_to_rd,
       smv_funding_dkk / 1e6 as smv_funding_mio_dkk, smv_funding_rate_pct, smv_funding_rate_breaches, overhead_share_pct,
       public_funding_drawn_dkk / 1e6 as drawn_mio_dkk,
       private_cofinancing_dkk / 1e6 as private_cofinancing_mio_dkk,
       private_financing_attracted_dkk / 1e6 as private_financing_mio_dkk,
       private_financing_share_pct
from cluster_programme_summary
where programme = (select any_value(programme) from programme_generations where is_current_programme)
order by year nulls last
