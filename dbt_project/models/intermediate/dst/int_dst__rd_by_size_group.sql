-- Own R&D expenditure in total (FUI08 10) by size group, current and fixed prices.
-- size_group 'all' is DST's own total (FUI01 3000).
with rd as (
    select *
    from {{ ref('stg_dst__forsk01') }}
    where expenditure_type_code = '10'
),

size_groups as (
    select * from {{ ref('dst_size_groups') }}
),

deflator as (
    select year, deflator from {{ ref('int_dst__gdp_deflator') }}
),

price_base as (
    select * from {{ ref('int_dst__price_base') }}
)

select
    rd.year,
    size_groups.size_group,
    rd.breakdown_label_da as size_group_label_da,
    size_groups.is_smv,
    size_groups.sort_order,
    rd.rd_mio_dkk as rd_current_mio_dkk,
    rd.rd_mio_dkk * price_base.base_deflator / deflator.deflator as rd_fixed_mio_dkk,
    price_base.price_base_year,
    rd.is_suppressed,
    rd.source_mode,
    rd.dst_updated,
    rd.is_synthetic
from rd
inner join size_groups on size_groups.code = rd.breakdown_code
left join deflator on deflator.year = rd.year
cross join price_base
