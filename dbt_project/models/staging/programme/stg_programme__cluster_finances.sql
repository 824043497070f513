with source as (
    select * from {{ source('raw', 'programme_cluster_finances') }}
),

renamed as (
    select
        programme,
        cluster_id,
        year,
        public_funding_drawn_dkk,
        private_financing_attracted_dkk,
        _source_file as source_file,
        _source_row as source_row,
        _is_sample as is_sample
    from source
)

select * from renamed
