with source as (
    select * from {{ source('raw', 'dst_nan1') }}
),

renamed as (
    select
        transakt as transaction_code,
        transakt_label as transaction_label_da,
        prisenhed as price_unit_code,
        prisenhed_label as price_unit_label_da,
        cast(tid as integer) as year,
        value as value_mio_dkk,
        is_suppressed,
        _source_mode as source_mode,
        _dst_updated as dst_updated,
        _is_synthetic as is_synthetic
    from source
)

select * from renamed
