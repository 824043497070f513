with source as (
    select * from {{ source('raw', 'programme_participants') }}
),

renamed as (
    select
        programme,
        project_id,
        cvr,
        participant_name,
        participant_type,
        fte,
        funding_received_dkk,
        own_contribution_dkk,
        new_to_rd,
        participant_type = 'smv' as is_smv,
        participant_type in ('university', 'gts', 'erhvervsakademi', 'professionshoejskole')
            as is_knowledge_institution,
        _source_file as source_file,
        _source_row as source_row,
        _is_sample as is_sample
    from source
)

select * from renamed
