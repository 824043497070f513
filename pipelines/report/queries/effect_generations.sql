-- The generations with effect estimates, and whether their panel is synthetic or their
-- participants the generated sample.
select programme,
       bool_or(is_synthetic) as is_synthetic,
       bool_or(is_sample)    as is_sample,
       count(*)              as estimates
from effect_estimates
group by programme
order by programme
