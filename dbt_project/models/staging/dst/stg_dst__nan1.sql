with source as (
    select * from {{ source('raw', 'dst_nan1') }}
),

labels as (
    select * from {{ source('raw', 'dst_nan1_labels') }}
),

latest_load as (
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', 'dst_nan1_provenance') }}
),

renamed as (
    select
        source.transakt::varchar as transaction_code,
        transakt_label.label as transaction_label_da,
        source.prisenhed::varchar as price_unit_code,
        prisenhed_label.label as price_unit_label_da,
        cast(source.tid::varchar as integer) as year,
        source.value as value_mio_dkk,
        source.is_suppressed,
        latest_load.source_mode,
        latest_load.dst_updated,
        latest_load.is_synthetic
    from source
    {{ dst_label_join('TRANSAKT', 'transakt') }}
    {{ dst_label_join('PRISENHED', 'prisenhed') }}
    left join latest_load on true
)

select * from renamed
