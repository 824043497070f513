-- What each cluster organisation did in each year of its generation's period.
with measures as (
    select * from {{ ref('int_programme__measures') }}
    where grain = 'cluster_year'
)

select
    cast(measures.programme as varchar) as programme,
    cast(measures.cluster_id as varchar) as cluster_id,
    cast(measures.year as integer) as year,
    cast(measures.cluster_name as varchar) as cluster_name,
    {{ programme_measure_columns('measures') }}
from measures
order by programme, cluster_id, year
