-- The base year of every fixed-price figure and the deflator's source (price_index).
select price_base_year, source_table, dst_updated, base_year_deflator
from price_index
where is_base_year
