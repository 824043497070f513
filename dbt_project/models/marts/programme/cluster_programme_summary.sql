-- Each programme generation per year and in total, with cluster-funded SME R&D set against all
-- SMEs' own R&D from DST in the same year (where DST has the year).
with measures as (
    select * from {{ ref('int_programme__measures') }}
    where grain in ('year', 'total')
),

dst_smv_rd as (
    select year, smv_rd_current_mio_dkk
    from {{ ref('smv_rd_share_summary') }}
)

select
    cast(measures.programme as varchar) as programme,
    cast(coalesce(cast(measures.year as varchar), 'total') as varchar) as period,
    cast(measures.year as integer) as year,
    {{ programme_measure_columns('measures') }},
    cast((measures.smv_funding_dkk + measures.smv_own_contribution_dkk) / 1e6 as double)
        as cluster_funded_smv_rd_mio_dkk,
    cast(dst_smv_rd.smv_rd_current_mio_dkk as double) as dst_smv_rd_current_mio_dkk,
    cast(100 * (measures.smv_funding_dkk + measures.smv_own_contribution_dkk) / 1e6
         / nullif(dst_smv_rd.smv_rd_current_mio_dkk, 0) as double)
        as cluster_funded_share_of_smv_rd_pct
from measures
left join dst_smv_rd on dst_smv_rd.year = measures.year
order by measures.programme, measures.year nulls last
