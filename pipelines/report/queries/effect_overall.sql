-- The overall effect (mean of event times 0..+3) of all participating firms, per generation
-- and outcome, in per cent for log outcomes (100 x (exp(x) - 1)) and in percentage points for
-- shares (100 x x); the MDE likewise (an effect smaller than it could go unseen). The uniform
-- band belongs to the event times: band_excludes_zero lists the published event times after
-- entry (t+0..t+3) at which it excludes 0 (empty: it covers 0 at all of them).
-- significant: the CI excludes 0; pretrend_flag: pre-entry trends diverge (p < 0.05).
-- Withheld cells carry no numbers, only their reason.
with band as (
    select programme, outcome,
           coalesce(string_agg(period, ', ' order by event_time)
               filter (where not suppressed and (band_lower > 0 or band_upper < 0)), '')
               as band_excludes_zero,
           count(*) filter (where not suppressed and band_lower is not null) as band_published
    from effect_estimates
    where group_type = 'overall' and group_value = 'all' and event_time >= 0
    group by programme, outcome
)

select e.programme, e.outcome, e.suppressed, e.suppression_reason,
       case when e.outcome like 'log_%' then 'pct' else 'pp' end as scale,
       case when e.suppressed then null
            when e.outcome like 'log_%' then 100 * (exp(e.estimate) - 1) else 100 * e.estimate end
           as estimate,
       case when e.suppressed then null
            when e.outcome like 'log_%' then 100 * (exp(e.ci_lower) - 1) else 100 * e.ci_lower end
           as ci_lower,
       case when e.suppressed then null
            when e.outcome like 'log_%' then 100 * (exp(e.ci_upper) - 1) else 100 * e.ci_upper end
           as ci_upper,
       band.band_excludes_zero,
       coalesce(band.band_published, 0) as band_published,
       case when e.suppressed then null
            when e.outcome like 'log_%' then 100 * (exp(e.mde) - 1) else 100 * e.mde end
           as mde,
       case when e.suppressed then null else e.pretrend_p_value end as pretrend_p_value,
       case when e.suppressed then null else e.firms_treated end as firms_treated,
       not e.suppressed and (e.ci_lower > 0 or e.ci_upper < 0) as significant,
       not e.suppressed and e.pretrend_p_value < 0.05 as pretrend_flag
from effect_estimates as e
left join band on band.programme = e.programme and band.outcome = e.outcome
where e.group_type = 'overall' and e.group_value = 'all' and e.period = 'overall'
order by e.programme, e.outcome
