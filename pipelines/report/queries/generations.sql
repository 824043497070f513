-- The programme's generations in the release (programme_generations), oldest first, with
-- whether each is the current one and whether its programme data is the generated sample.
select programme,
       bool_or(is_current_programme) as is_current_programme,
       bool_or(is_sample)            as is_sample
from programme_generations
group by programme
order by programme
