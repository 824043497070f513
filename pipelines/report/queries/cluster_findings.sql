-- One cluster's quality findings, every one listed.
select rule, project_id, cvr, year, observed_value, threshold, message, source_file, source_row
from quality_findings
where cluster_id = $cluster_id
order by rule, year, project_id, cvr
