-- Quality findings (rule breaches kept visible) counted by rule, with the worst value.
select rule, count(*) as findings, count(distinct cluster_id) as clusters,
       max(observed_value) as max_observed, max(threshold) as threshold
from quality_findings
group by rule
order by rule
