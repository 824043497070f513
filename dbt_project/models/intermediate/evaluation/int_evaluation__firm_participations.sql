-- One row per firm (SME or large enterprise) in a project starting within its generation's
-- period, with the project's generation, cluster, start and kind. Institutions, investors and
-- foreign participants are not firms in DST's registers and are left out. Ids are unique only
-- within a generation: participants meet their project on (programme, project_id).
with participants as (
    select * from {{ ref('stg_programme__participants') }}
    where participant_type in ('smv', 'large_enterprise')
),

generations as (
    select programme, first_year, last_year from {{ ref('int_programme__generations') }}
),

projects as (
    select
        projects.programme,
        projects.project_id,
        projects.cluster_id,
        projects.start_date,
        projects.start_year,
        projects.project_type,
        generations.first_year,
        generations.last_year
    from {{ ref('stg_programme__projects') }} as projects
    inner join generations
        on {{ in_generation_period('projects', 'start_year') }}
)

select
    projects.programme,
    participants.cvr,
    projects.cluster_id,
    participants.project_id,
    projects.start_date,
    projects.start_year,
    projects.project_type,
    projects.project_type in ('innovation', 'rd') as is_innovation_project,
    participants.participant_type,
    participants.funding_received_dkk,
    participants.own_contribution_dkk,
    participants.new_to_rd,
    projects.first_year as programme_first_year,
    projects.last_year as programme_last_year,
    participants.is_sample
from participants
inner join projects
    on projects.programme = participants.programme
    and projects.project_id = participants.project_id
