-- Firms, full-time employees and turnover by firm size class (GF13, all industries), with
-- each one's share of the all-sizes total.
with cells as (
    select
        gf13.year,
        size_classes.size_class,
        gf13.firm_size_label_da,
        size_classes.is_smv,
        size_classes.sort_order,
        gf13.measure_code,
        gf13.value,
        gf13.is_suppressed,
        gf13.source_mode,
        gf13.dst_updated,
        gf13.is_synthetic
    from {{ ref('stg_dst__gf13') }} as gf13
    inner join {{ ref('gf13_firm_size_classes') }} as size_classes
        on size_classes.code = gf13.firm_size_code
    where gf13.industry_code = 'TOT'
),

by_size_class as (
    select
        year,
        size_class,
        any_value(firm_size_label_da) as size_class_label_da,
        any_value(is_smv) as is_smv,
        any_value(sort_order) as sort_order,
        max(value) filter (where measure_code = 'AFI') as firms,
        max(value) filter (where measure_code = 'AFU') as full_time_employees,
        max(value) filter (where measure_code = 'OMS') as turnover_mio_dkk,
        bool_or(is_suppressed) as is_suppressed,
        any_value(source_mode) as source_mode,
        any_value(dst_updated) as dst_updated,
        bool_or(is_synthetic) as is_synthetic
    from cells
    group by year, size_class
),

all_sizes as (
    select year, firms, full_time_employees, turnover_mio_dkk
    from by_size_class
    where size_class = 'total'
)

select
    cast(s.year as integer) as year,
    cast(s.size_class as varchar) as size_class,
    cast(s.size_class_label_da as varchar) as size_class_label_da,
    cast(s.is_smv as boolean) as is_smv,
    cast(s.firms as bigint) as firms,
    cast(s.full_time_employees as double) as full_time_employees,
    cast(s.turnover_mio_dkk as double) as turnover_mio_dkk,
    cast(100 * s.firms / nullif(a.firms, 0) as double) as firms_share_pct,
    cast(100 * s.full_time_employees / nullif(a.full_time_employees, 0) as double)
        as full_time_employees_share_pct,
    cast(100 * s.turnover_mio_dkk / nullif(a.turnover_mio_dkk, 0) as double)
        as turnover_share_pct,
    cast(s.is_suppressed as boolean) as is_suppressed,
    {{ dst_provenance_columns('s') }}
from by_size_class as s
left join all_sizes as a on a.year = s.year
where s.size_class <> 'total'
order by year, s.sort_order
