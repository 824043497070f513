-- The limits the quality rules applied (the SME funding cap, the overhead norm), as recorded with the
-- findings in quality_findings; a rule with no finding in this release has no row.
select rule, max(threshold) as threshold
from quality_findings
group by rule
