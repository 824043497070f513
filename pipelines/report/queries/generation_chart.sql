-- The generations page's figure: funding per SME (mean and median) in thousand kr., and the
-- SMEs and other firms funded, per generation (programme_generations).
select programme, measure,
       case when unit = 'dkk' then value / 1e3 else value end as value_chart,
       unit
from programme_generations
where measure in ('funding_per_smv_mean_dkk', 'funding_per_smv_median_dkk',
                  'smv_funded', 'other_firms_funded')
order by measure_order, programme
