-- Figure 1: own R&D by size group, bn. kr., fixed prices of the base year, with the break.
select year, size_group, size_group_label_da, rd_fixed_mio_dkk / 1000 as rd_fixed_bn_dkk,
       series_break, price_base_year
from smv_rd_share
order by size_group, year
