-- Every cluster in every programme year, so a year without activity shows as zero, not missing.
with clusters as (
    select cluster_id, cluster_name, grant_2025_2028_dkk, is_sample
    from {{ ref('stg_programme__clusters') }}
),

years as (
    select cast(year as integer) as year
    from range({{ var('programme_first_year') }}, {{ var('programme_last_year') }} + 1)
        as t (year)
)

select clusters.*, years.year
from clusters
cross join years
