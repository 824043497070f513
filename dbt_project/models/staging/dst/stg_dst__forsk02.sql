with source as (
    select * from {{ source('raw', 'dst_forsk02') }}
),

renamed as (
    select
        fui01 as size_group_code,
        fui01_label as size_group_label_da,
        levrtyp as supplier_type_code,
        levrtyp_label as supplier_type_label_da,
        cast(tid as integer) as year,
        value as purchased_rd_mio_dkk,
        is_suppressed,
        _source_mode as source_mode,
        _dst_updated as dst_updated,
        _is_synthetic as is_synthetic
    from source
)

select * from renamed
