{{ config(severity='warn') }}
-- GF13 size classes add up to the all-sizes total (0.1 % tolerance for rounding). A warning,
-- not an error: DST may publish firms of unknown size that no size class holds.
select year,
       sum(firms_share_pct) as firms_pct,
       sum(full_time_employees_share_pct) as fte_pct,
       sum(turnover_share_pct) as turnover_pct
from {{ ref('smv_business_share') }}
group by year
having abs(sum(firms_share_pct) - 100) > 0.1
    or abs(sum(full_time_employees_share_pct) - 100) > 0.1
    or abs(sum(turnover_share_pct) - 100) > 0.1
