-- The programme to date: the 'total' row of cluster_programme_summary, amounts in mio. kr.
select (select count(distinct cluster_id) from cluster_outcomes) as clusters,
       (select min(year) from cluster_outcomes)                  as first_year,
       (select max(year) from cluster_outcomes)                  as last_year,
       grant_2025_2028_dkk / 1e6              as grant_mio_dkk,
       public_funding_drawn_dkk / 1e6         as drawn_mio_dkk,
       projects_started,
       smv_funded,
       smv_new_to_rd,
       smv_funding_rate_pct,
       private_financing_attracted_dkk / 1e6  as private_financing_mio_dkk,
       private_financing_share_pct
from cluster_programme_summary
where period = 'total'
