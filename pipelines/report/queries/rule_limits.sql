-- The limits the quality rules applied in the current generation (the SME funding cap, the overhead
-- norm), as recorded with its findings in quality_findings; a rule with no finding in this release
-- (or not in force then: a not_checked row without a limit) has no row.
select rule, max(threshold) as threshold
from quality_findings
where severity = 'warning'
  and programme = (select any_value(programme) from programme_generations where is_current_programme)
group by rule
