{{ config(materialized='table') }}
-- The fixed-price base year and its deflator: one row. A base year without a deflator stops
-- the build with a message instead of leaving every fixed-price column NULL.
with rd_years as (
    select distinct year
    from {{ ref('stg_dst__forsk01') }}
    where breakdown_code = '3000' and expenditure_type_code = '10'
),

deflator_years as (
    select year, deflator
    from {{ ref('int_dst__gdp_deflator') }}
    where deflator is not null
),

chosen as (
    select coalesce(
        cast({{ requested_price_base_year() }} as integer),
        (select max(r.year) from rd_years as r inner join deflator_years as d on d.year = r.year)
    ) as price_base_year
)

select
    chosen.price_base_year,
    case
        when d.deflator is null then error(
            'price_base_year ' || coalesce(cast(chosen.price_base_year as varchar), '(none)')
            || ' has no GDP deflator in NAN1; years with a deflator: '
            || coalesce((select min(year) || '-' || max(year) from deflator_years), 'none')
        )
        else d.deflator
    end as base_deflator
from chosen
left join deflator_years as d on d.year = chosen.price_base_year
