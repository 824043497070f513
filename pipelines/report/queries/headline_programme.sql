-- The current generation to date: its 'total' row of cluster_programme_summary, amounts in
-- mio. kr.
with current_programme as (
    select programme from programme_generations where is_current_programme limit 1
),

totals as (
    select * from cluster_programme_totals
    where programme = (select programme from current_programme)
)

select (select programme from current_programme)                 as programme,
       (select count(*) from totals)                             as clusters,
       (select min(first_year) from totals)                      as first_year,
       (select max(last_year) from totals)                       as last_year,
       grant_dkk / 1e6                        as grant_mio_dkk,
       public_funding_drawn_dkk / 1e6         as drawn_mio_dkk,
       projects_started,
       smv_funded,
       smv_new_to_rd,
       smv_funding_rate_pct,
       smv_funding_rate_median_pct,
       smv_funding_rate_max_pct,
       smv_funding_rate_breaches,
       private_cofinancing_dkk / 1e6          as private_cofinancing_mio_dkk,
       private_financing_attracted_dkk / 1e6  as private_financing_mio_dkk,
       private_financing_share_pct
from cluster_programme_summary
where period = 'total'
  and programme = (select programme from current_programme)
