-- Every cluster in every year of its own generation's period, so a year without activity shows
-- as zero, not missing.
with clusters as (
    select programme, cluster_id, cluster_name, grant_dkk, is_sample
    from {{ ref('stg_programme__clusters') }}
),

generations as (
    select programme, first_year, last_year from {{ ref('int_programme__generations') }}
),

cluster_years as (
    select
        clusters.*,
        unnest(range(generations.first_year, generations.last_year + 1)) as year
    from clusters
    inner join generations on generations.programme = clusters.programme
)

select programme, cluster_id, cluster_name, grant_dkk, is_sample, cast(year as integer) as year
from cluster_years
