-- One row per participant in a project, with the project's cluster and start year. Funding is
-- counted in the year the project starts (when the cluster commits it). Ids are unique only
-- within a generation: participants meet their project on (programme, project_id).
with participants as (
    select * from {{ ref('stg_programme__participants') }}
),

projects as (
    select programme, project_id, cluster_id, start_year
    from {{ ref('stg_programme__projects') }}
)

select
    participants.programme,
    projects.cluster_id,
    projects.start_year as year,
    participants.project_id,
    participants.cvr,
    participants.participant_type,
    participants.is_smv,
    participants.is_knowledge_institution,
    participants.funding_received_dkk,
    participants.own_contribution_dkk,
    participants.new_to_rd,
    participants.source_file,
    participants.source_row,
    participants.is_sample
from participants
inner join projects
    on projects.programme = participants.programme
    and projects.project_id = participants.project_id
