-- Business own R&D by size group and year: current and fixed prices, share of the total.
with size_groups as (
    select * from {{ ref('int_dst__rd_by_size_group') }}
    where size_group <> 'all'
),

totals as (
    select year, rd_current_mio_dkk as total_rd_current_mio_dkk
    from {{ ref('int_dst__rd_by_size_group') }}
    where size_group = 'all'
),

with_history as (
    select
        this_year.*,
        last_year.rd_fixed_mio_dkk as rd_fixed_last_year,
        ten_years_ago.rd_fixed_mio_dkk as rd_fixed_10y_ago
    from size_groups as this_year
    left join size_groups as last_year
        on last_year.size_group = this_year.size_group and last_year.year = this_year.year - 1
    left join size_groups as ten_years_ago
        on ten_years_ago.size_group = this_year.size_group
        and ten_years_ago.year = this_year.year - 10
)

select
    cast(with_history.year as integer) as year,
    cast(with_history.size_group as varchar) as size_group,
    cast(with_history.size_group_label_da as varchar) as size_group_label_da,
    cast(with_history.is_smv as boolean) as is_smv,
    cast(with_history.rd_current_mio_dkk as double) as rd_current_mio_dkk,
    cast(with_history.rd_fixed_mio_dkk as double) as rd_fixed_mio_dkk,
    cast(with_history.price_base_year as integer) as price_base_year,
    cast(100 * with_history.rd_current_mio_dkk / nullif(totals.total_rd_current_mio_dkk, 0)
        as double) as share_of_total_pct,
    cast(100 * (with_history.rd_fixed_mio_dkk / nullif(with_history.rd_fixed_last_year, 0) - 1)
        as double) as rd_fixed_yoy_change_pct,
    cast(100 * (with_history.rd_fixed_mio_dkk / nullif(with_history.rd_fixed_10y_ago, 0) - 1)
        as double) as rd_fixed_change_10y_pct,
    cast(100 * (pow(with_history.rd_fixed_mio_dkk / nullif(with_history.rd_fixed_10y_ago, 0),
                    0.1) - 1) as double) as rd_fixed_cagr_10y_pct,
    cast(with_history.is_suppressed as boolean) as is_suppressed,
    cast(with_history.year = {{ var('rd_series_break_year') }} as boolean) as series_break,
    {{ dst_provenance_columns('with_history') }}
from with_history
left join totals on totals.year = with_history.year
order by year, with_history.sort_order
