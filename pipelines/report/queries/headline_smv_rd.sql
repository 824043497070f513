-- The latest complete year of SMV vs. large-enterprise own R&D (smv_rd_share_summary).
select year,
       year - 10                         as compare_year,
       smv_share_pct,
       smv_share_change_10y_pp,
       smv_rd_fixed_mio_dkk / 1000       as smv_rd_fixed_bn_dkk,
       large_rd_fixed_mio_dkk / 1000     as large_rd_fixed_bn_dkk,
       smv_rd_fixed_change_10y_pct,
       large_rd_fixed_change_10y_pct,
       price_base_year
from smv_rd_share_summary
where is_complete
order by year desc
limit 1
