-- One row per cluster for the overview table: additive measures summed over the years only.
select o.cluster_id,
       any_value(o.cluster_name)                    as cluster_name,
       max(o.grant_2025_2028_dkk) / 1e6             as grant_mio_dkk,
       sum(o.public_funding_drawn_dkk) / 1e6        as drawn_mio_dkk,
       sum(o.projects_started)                      as projects_started,
       sum(o.smv_funding_dkk) / 1e6                 as smv_funding_mio_dkk,
       sum(o.private_financing_attracted_dkk) / 1e6 as private_financing_mio_dkk,
       (select count(*) from quality_findings q where q.cluster_id = o.cluster_id) as findings
from cluster_outcomes o
group by o.cluster_id
order by o.cluster_id
