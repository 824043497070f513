-- Purchased R&D by size group and supplier type (FORSK02), with each supplier type's share of
-- the size group's total purchases. Universities and GTS institutes are marked.
with cells as (
    select
        forsk02.year,
        size_groups.size_group,
        forsk02.size_group_label_da,
        size_groups.is_smv,
        size_groups.sort_order,
        coalesce(supplier_types.supplier_type, 'levrtyp_' || forsk02.supplier_type_code)
            as supplier_type,
        forsk02.supplier_type_code,
        forsk02.supplier_type_label_da,
        supplier_types.knowledge_institution_type,
        coalesce(supplier_types.is_total, false) as is_total,
        forsk02.purchased_rd_mio_dkk,
        forsk02.is_suppressed,
        forsk02.source_mode,
        forsk02.dst_updated,
        forsk02.is_synthetic
    from {{ ref('stg_dst__forsk02') }} as forsk02
    inner join {{ ref('dst_size_groups') }} as size_groups
        on size_groups.code = forsk02.size_group_code
    left join {{ ref('forsk02_supplier_types') }} as supplier_types
        on supplier_types.code = forsk02.supplier_type_code
),

size_group_totals as (
    select year, size_group, purchased_rd_mio_dkk as size_group_total
    from cells
    where is_total
)

select
    cast(cells.year as integer) as year,
    cast(cells.size_group as varchar) as size_group,
    cast(cells.size_group_label_da as varchar) as size_group_label_da,
    cast(cells.is_smv as boolean) as is_smv,
    cast(cells.supplier_type as varchar) as supplier_type,
    cast(cells.supplier_type_code as varchar) as supplier_type_code,
    cast(cells.supplier_type_label_da as varchar) as supplier_type_label_da,
    cast(cells.knowledge_institution_type as varchar) as knowledge_institution_type,
    cast(cells.knowledge_institution_type is not null as boolean) as is_knowledge_institution,
    cast(cells.is_total as boolean) as is_total,
    cast(cells.purchased_rd_mio_dkk as double) as purchased_rd_mio_dkk,
    cast(100 * cells.purchased_rd_mio_dkk / nullif(totals.size_group_total, 0) as double)
        as share_of_size_group_pct,
    cast(cells.is_suppressed as boolean) as is_suppressed,
    {{ dst_provenance_columns('cells') }}
from cells
left join size_group_totals as totals
    on totals.year = cells.year and totals.size_group = cells.size_group
order by year, cells.sort_order, cells.is_total desc, supplier_type_code
