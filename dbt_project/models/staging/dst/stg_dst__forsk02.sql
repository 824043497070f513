with source as (
    select * from {{ source('raw', 'dst_forsk02') }}
),

labels as (
    select * from {{ source('raw', 'dst_forsk02_labels') }}
),

latest_load as (
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', 'dst_forsk02_provenance') }}
),

renamed as (
    select
        source.fui01::varchar as size_group_code,
        fui01_label.label as size_group_label_da,
        source.levrtyp::varchar as supplier_type_code,
        levrtyp_label.label as supplier_type_label_da,
        cast(source.tid::varchar as integer) as year,
        source.value as purchased_rd_mio_dkk,
        source.is_suppressed,
        latest_load.source_mode,
        latest_load.dst_updated,
        latest_load.is_synthetic
    from source
    {{ dst_label_join('FUI01', 'fui01') }}
    {{ dst_label_join('LEVRTYP', 'levrtyp') }}
    left join latest_load on true
)

select * from renamed
