with source as (
    select * from {{ source('raw', 'dst_gf13') }}
),

labels as (
    select * from {{ source('raw', 'dst_gf13_labels') }}
),

latest_load as (
    select source_mode, dst_updated, synthetic as is_synthetic
    from {{ source('raw', 'dst_gf13_provenance') }}
),

renamed as (
    select
        source.enhed::varchar as measure_code,
        enhed_label.label as measure_label_da,
        source.firmstr::varchar as firm_size_code,
        firmstr_label.label as firm_size_label_da,
        source.branchedb0738::varchar as industry_code,
        branchedb0738_label.label as industry_label_da,
        cast(source.tid::varchar as integer) as year,
        source.value,
        source.is_suppressed,
        latest_load.source_mode,
        latest_load.dst_updated,
        latest_load.is_synthetic
    from source
    {{ dst_label_join('ENHED', 'enhed') }}
    {{ dst_label_join('FIRMSTR', 'firmstr') }}
    {{ dst_label_join('BRANCHEDB0738', 'branchedb0738') }}
    left join latest_load on true
)

select * from renamed
