-- SMEs' (is_smv size classes) share of all firms, full-time employees and turnover per year;
-- a suppressed class leaves the share NULL, never too low. The report's headline is the last row.
select year,
       case when bool_or(is_suppressed) then null else sum(firms_share_pct) end
           as firms_share_pct,
       case when bool_or(is_suppressed) then null else sum(full_time_employees_share_pct) end
           as full_time_employees_share_pct,
       case when bool_or(is_suppressed) then null else sum(turnover_share_pct) end
           as turnover_share_pct
from smv_business_share
where is_smv
group by year
order by year
