-- The current generation's quality findings (rule breaches kept visible) counted by rule, with the
-- worst value.
select rule, count(*) as findings, count(distinct cluster_id) as clusters,
       max(observed_value) as max_observed, max(threshold) as threshold
from quality_findings
where severity = 'warning'
  and programme = (select any_value(programme) from programme_generations where is_current_programme)
group by rule
order by rule
