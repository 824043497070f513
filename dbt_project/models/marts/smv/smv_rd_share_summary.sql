-- One row per year: SMV (under 250 FTE) vs. large-firm own R&D, current and fixed prices.
-- A suppressed size group makes every aggregate that includes it NULL, and the year incomplete.
with size_groups as (
    select * from {{ ref('int_dst__rd_by_size_group') }}
    where size_group <> 'all'
),

totals as (
    select * from {{ ref('int_dst__rd_by_size_group') }}
    where size_group = 'all'
),

-- How many SME and large groups a complete year has: as many as the seed lists.
expected as (
    select
        count(*) filter (where is_smv) as smv_groups,
        count(*) filter (where not is_smv) as large_groups
    from {{ ref('dst_size_groups') }}
    where is_smv is not null
),

by_year as (
    select
        year,
        count(*) filter (where is_smv) as smv_groups,
        count(*) filter (where not is_smv) as large_groups,
        coalesce(bool_or(is_suppressed) filter (where is_smv), false) as smv_suppressed,
        coalesce(bool_or(is_suppressed) filter (where not is_smv), false) as large_suppressed,
        sum(rd_current_mio_dkk) filter (where is_smv) as smv_current,
        sum(rd_current_mio_dkk) filter (where not is_smv) as large_current,
        sum(rd_fixed_mio_dkk) filter (where is_smv) as smv_fixed,
        sum(rd_fixed_mio_dkk) filter (where not is_smv) as large_fixed,
        bool_or(is_synthetic) as any_synthetic
    from size_groups
    group by year
),

aggregates as (
    select
        coalesce(by_year.year, totals.year) as year,
        totals.rd_current_mio_dkk as total_current,
        totals.rd_fixed_mio_dkk as total_fixed,
        case when by_year.smv_groups = expected.smv_groups and not by_year.smv_suppressed
            then by_year.smv_current end as smv_current,
        case when by_year.large_groups = expected.large_groups and not by_year.large_suppressed
            then by_year.large_current end as large_current,
        case when by_year.smv_groups = expected.smv_groups and not by_year.smv_suppressed
            then by_year.smv_fixed end as smv_fixed,
        case when by_year.large_groups = expected.large_groups and not by_year.large_suppressed
            then by_year.large_fixed end as large_fixed,
        coalesce(by_year.smv_groups = expected.smv_groups
                 and by_year.large_groups = expected.large_groups
                 and not by_year.smv_suppressed and not by_year.large_suppressed
                 and not totals.is_suppressed, false) as is_complete,
        totals.price_base_year,
        totals.source_mode,
        totals.dst_updated,
        coalesce(by_year.any_synthetic, false) or coalesce(totals.is_synthetic, false)
            as is_synthetic
    from by_year
    full outer join totals on totals.year = by_year.year
    cross join expected
),

with_history as (
    select
        this_year.*,
        100 * this_year.smv_current / nullif(this_year.smv_current + this_year.large_current, 0)
            as smv_share,
        last_year.smv_fixed as smv_fixed_last_year,
        last_year.large_fixed as large_fixed_last_year,
        ten_years_ago.smv_fixed as smv_fixed_10y_ago,
        ten_years_ago.large_fixed as large_fixed_10y_ago,
        100 * ten_years_ago.smv_current
            / nullif(ten_years_ago.smv_current + ten_years_ago.large_current, 0)
            as smv_share_10y_ago
    from aggregates as this_year
    left join aggregates as last_year on last_year.year = this_year.year - 1
    left join aggregates as ten_years_ago on ten_years_ago.year = this_year.year - 10
)

select
    cast(year as integer) as year,
    cast(total_current as double) as total_rd_current_mio_dkk,
    cast(smv_current as double) as smv_rd_current_mio_dkk,
    cast(large_current as double) as large_rd_current_mio_dkk,
    cast(total_fixed as double) as total_rd_fixed_mio_dkk,
    cast(smv_fixed as double) as smv_rd_fixed_mio_dkk,
    cast(large_fixed as double) as large_rd_fixed_mio_dkk,
    cast(smv_share as double) as smv_share_pct,
    cast(price_base_year as integer) as price_base_year,
    cast(is_complete as boolean) as is_complete,
    cast(year = {{ var('rd_series_break_year') }} as boolean) as series_break,
    cast(100 * (smv_fixed / nullif(smv_fixed_last_year, 0) - 1) as double)
        as smv_rd_fixed_yoy_change_pct,
    cast(100 * (large_fixed / nullif(large_fixed_last_year, 0) - 1) as double)
        as large_rd_fixed_yoy_change_pct,
    cast(100 * (smv_fixed / nullif(smv_fixed_10y_ago, 0) - 1) as double)
        as smv_rd_fixed_change_10y_pct,
    cast(100 * (large_fixed / nullif(large_fixed_10y_ago, 0) - 1) as double)
        as large_rd_fixed_change_10y_pct,
    cast(100 * (pow(smv_fixed / nullif(smv_fixed_10y_ago, 0), 0.1) - 1) as double)
        as smv_rd_fixed_cagr_10y_pct,
    cast(100 * (pow(large_fixed / nullif(large_fixed_10y_ago, 0), 0.1) - 1) as double)
        as large_rd_fixed_cagr_10y_pct,
    cast(smv_share - smv_share_10y_ago as double) as smv_share_change_10y_pp,
    {{ dst_provenance_columns() }}
from with_history
order by year
