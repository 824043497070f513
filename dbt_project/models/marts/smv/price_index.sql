-- The GDP deflator behind every fixed-price column, published so that fixed prices can be
-- checked (and re-based) with the release alone: fixed = current x deflator(base) / deflator(year).
with deflator as (
    select * from {{ ref('int_dst__gdp_deflator') }}
),

price_base as (
    select * from {{ ref('int_dst__price_base') }}
),

provenance as (
    select
        year,
        any_value(source_mode) as source_mode,
        max(dst_updated) as dst_updated,
        bool_or(is_synthetic) as is_synthetic
    from {{ ref('stg_dst__nan1') }}
    where transaction_code = 'B1GQK'
    group by year
)

select
    cast(deflator.year as integer) as year,
    cast(deflator.gdp_current_mio_dkk as double) as gdp_current_mio_dkk,
    cast(deflator.gdp_chained_mio_dkk as double) as gdp_chained_mio_dkk,
    cast(deflator.deflator as double) as deflator,
    cast(100 * deflator.deflator / price_base.base_deflator as double) as price_index_base_100,
    cast(price_base.price_base_year as integer) as price_base_year,
    cast(price_base.base_deflator as double) as base_year_deflator,
    cast(deflator.year = price_base.price_base_year as boolean) as is_base_year,
    cast('NAN1' as varchar) as source_table,
    cast(provenance.source_mode as varchar) as source_mode,
    cast(provenance.dst_updated as varchar) as dst_updated,
    cast(coalesce(provenance.is_synthetic, false) as boolean) as is_synthetic
from deflator
cross join price_base
left join provenance on provenance.year = deflator.year
order by year
