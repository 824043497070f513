with source as (
    select * from {{ source('raw', 'dst_forsk01') }}
),

renamed as (
    select
        fui01 as breakdown_code,
        fui01_label as breakdown_label_da,
        fui08 as expenditure_type_code,
        fui08_label as expenditure_type_label_da,
        cast(tid as integer) as year,
        value as rd_mio_dkk,
        is_suppressed,
        _source_mode as source_mode,
        _dst_updated as dst_updated,
        _is_synthetic as is_synthetic
    from source
)

select * from renamed
