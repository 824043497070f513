with source as (
    select * from {{ source('raw', 'dst_gf13') }}
),

renamed as (
    select
        enhed as measure_code,
        enhed_label as measure_label_da,
        firmstr as firm_size_code,
        firmstr_label as firm_size_label_da,
        branchedb0738 as industry_code,
        branchedb0738_label as industry_label_da,
        cast(tid as integer) as year,
        value,
        is_suppressed,
        _source_mode as source_mode,
        _dst_updated as dst_updated,
        _is_synthetic as is_synthetic
    from source
)

select * from renamed
