with source as (
    select * from {{ source('raw', 'programme_clusters') }}
),

renamed as (
    select
        programme,
        cluster_id,
        name as cluster_name,
        business_area,
        cvr,
        region,
        grant_dkk,
        _source_file as source_file,
        _source_row as source_row,
        _is_sample as is_sample
    from source
)

select * from renamed
