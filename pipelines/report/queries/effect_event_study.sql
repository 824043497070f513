-- The event study of all participating firms (group 'all'), per generation and outcome: event
-- times t-3..t+3 with the estimate, its pointwise 95 % CI and the uniform 95 % band, shown in
-- per cent for log outcomes (100 x (exp(x) - 1): a difference of x log points) and in
-- percentage points for shares (100 x x). Withheld cells carry no numbers.
select programme, outcome, period, event_time, suppressed, suppression_reason,
       case when outcome like 'log_%' then 'pct' else 'pp' end as scale,
       case when suppressed then null
            when outcome like 'log_%' then 100 * (exp(estimate) - 1) else 100 * estimate end
           as estimate,
       case when suppressed then null
            when outcome like 'log_%' then 100 * (exp(ci_lower) - 1) else 100 * ci_lower end
           as ci_lower,
       case when suppressed then null
            when outcome like 'log_%' then 100 * (exp(ci_upper) - 1) else 100 * ci_upper end
           as ci_upper,
       case when suppressed then null
            when outcome like 'log_%' then 100 * (exp(band_lower) - 1) else 100 * band_lower end
           as band_lower,
       case when suppressed then null
            when outcome like 'log_%' then 100 * (exp(band_upper) - 1) else 100 * band_upper end
           as band_upper,
       case when suppressed then null else firms_treated end as firms_treated
from effect_estimates
where group_type = 'overall' and group_value = 'all' and event_time is not null
order by programme, outcome, event_time
