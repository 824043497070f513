-- One cluster's quality findings (breaches), every one listed; the current generation's cluster
-- only (a cluster id names another cluster in each generation).
select rule, project_id, cvr, year, observed_value, threshold, message, source_file, source_row
from quality_findings
where cluster_id = $cluster_id
  and severity = 'warning'
  and programme = (select any_value(programme) from programme_generations where is_current_programme)
order by rule, year, project_id, cvr
