-- The SMV share of business own R&D over time (current prices; the same in fixed prices).
select year, smv_share_pct, series_break
from smv_rd_share_summary
order by year
