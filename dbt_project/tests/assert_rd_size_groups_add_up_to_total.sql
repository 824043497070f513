-- The four size groups add up to DST's total own R&D within DST's rounding:
-- 0.5 mio. kr. or 0.1 % of the total, whichever is larger. Years with a suppressed or missing
-- group are skipped (they are marked is_complete = false in the summary).
with groups as (
    select
        year,
        count(*) as n_groups,
        bool_or(is_suppressed) as any_suppressed,
        sum(rd_current_mio_dkk) as sum_of_groups
    from {{ ref('int_dst__rd_by_size_group') }}
    where size_group <> 'all'
    group by year
),

totals as (
    select year, rd_current_mio_dkk as total
    from {{ ref('int_dst__rd_by_size_group') }}
    where size_group = 'all' and not is_suppressed
)

select groups.year, groups.sum_of_groups, totals.total
from groups
inner join totals on totals.year = groups.year
where groups.n_groups = 4
  and not groups.any_suppressed
  and abs(groups.sum_of_groups - totals.total) > greatest(0.5, 0.001 * abs(totals.total))
