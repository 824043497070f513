-- SMEs' share of firms, full-time employees and turnover per year (sum of the SMV classes).
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
