with source as (
    select * from {{ source('raw', 'dst_forsk01') }}
),

labels as (
    select * from {{ source('raw', 'dst_forsk01_labels') }}
),

latest_load as (
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', 'dst_forsk01_provenance') }}
),

renamed as (
    select
        source.fui01::varchar as breakdown_code,
        fui01_label.label as breakdown_label_da,
        source.fui08::varchar as expenditure_type_code,
        fui08_label.label as expenditure_type_label_da,
        cast(source.tid::varchar as integer) as year,
        source.value as rd_mio_dkk,
        source.is_suppressed,
        latest_load.source_mode,
        latest_load.dst_updated,
        latest_load.is_synthetic
    from source
    {{ dst_label_join('FUI01', 'fui01') }}
    {{ dst_label_join('FUI08', 'fui08') }}
    left join latest_load on true
)

select * from renamed
