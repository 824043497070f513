-- Purchased R&D from universities in Denmark and GTS institutes by size group, latest year.
select year, size_group, size_group_label_da, supplier_type, supplier_type_label_da,
       purchased_rd_mio_dkk
from rd_purchased_by_supplier
where supplier_type in ('university_dk', 'gts') and size_group <> 'all'
  and year = (select max(year) from rd_purchased_by_supplier)
order by size_group, supplier_type
