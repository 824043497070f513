-- GDP deflator per year: GDP at current prices / GDP at chained prices (NAN1, B1GQK).
with gdp as (
    select year, price_unit_code, value_mio_dkk
    from {{ ref('stg_dst__nan1') }}
    where transaction_code = 'B1GQK'
      and price_unit_code in ('V_M', 'LAN_M')
),

by_year as (
    select
        year,
        max(value_mio_dkk) filter (where price_unit_code = 'V_M') as gdp_current_mio_dkk,
        max(value_mio_dkk) filter (where price_unit_code = 'LAN_M') as gdp_chained_mio_dkk
    from gdp
    group by year
)

select
    year,
    gdp_current_mio_dkk,
    gdp_chained_mio_dkk,
    gdp_current_mio_dkk / nullif(gdp_chained_mio_dkk, 0) as deflator
from by_year
