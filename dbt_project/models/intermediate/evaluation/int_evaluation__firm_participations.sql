-- One row per firm (SME or large enterprise) in a project of the programme period, with the
-- project's cluster, start and kind. Institutions, investors and foreign participants are not
-- firms in DST's registers and are left out.
with participants as (
    select * from {{ ref('stg_programme__participants') }}
    where participant_type in ('smv', 'large_enterprise')
),

projects as (
    select project_id, cluster_id, start_date, start_year, project_type
    from {{ ref('stg_programme__projects') }}
    where start_year between {{ var('programme_first_year') }} and {{ var('programme_last_year') }}
)

select
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
    participants.is_sample
from participants
inner join projects on projects.project_id = participants.project_id
