with source as (
    select * from {{ source('raw', 'programme_projects') }}
),

renamed as (
    select
        programme,
        project_id,
        cluster_id,
        title,
        start_date,
        end_date,
        year(start_date) as start_year,
        year(end_date) as end_year,
        budget_dkk,
        cluster_funding_dkk,
        overhead_dkk,
        private_cofinancing_dkk,
        project_type,
        grant_type,
        _source_file as source_file,
        _source_row as source_row,
        _is_sample as is_sample
    from source
)

select * from renamed
