-- The programme's generations side by side: one row per generation x measure, with whether the
-- measure can be compared across generations and, when not, why (in Danish and English).
-- A measure is not comparable when a generation lacks a field it is computed from (NULL in all
-- of that generation's rows; its value there is NULL) or when a rule that shapes it was not in
-- force in a generation (int_programme__generations: the rule's limit NULL), and a total to
-- date (a count that grows as a generation runs: SMEs funded, other firms funded, SMEs new to
-- R&D, firms in several clusters) is not comparable while a generation is not complete.
-- Completeness comes from the data, never from today's date: a generation is complete when its
-- data reach its period's last year (last_year_observed = last_year), the data being the years
-- its clusters report finances for (one row per cluster and year, the latest an estimate) and
-- the years its projects start in; when both end earlier, or it has none, its data stop before
-- the end of its period. Ratios, shares and per-SME measures stay comparable.
-- Each generation counts the projects starting in its own period and their participants; ids
-- are unique only within a generation, so every join is on (programme, id).
{%- set knowledge_types = [
    ('university', 'et universitet', 'a university'),
    ('gts', 'et GTS-institut', 'a GTS institute'),
    ('erhvervsakademi', 'et erhvervsakademi', 'an erhvervsakademi (business academy)'),
    ('professionshoejskole', 'en professionshøjskole', 'a professionshøjskole (university college)'),
] %}
{%- set caps = var('programme_generations') | map(attribute='smv_funding_cap_pct')
    | reject('none') | list %}
{%- set cap = (caps | max) if caps else none %}
{%- set cap_text = (cap | string).replace('.0', '') if cap is not none else '' %}
{#- measure: id, label_da, label_en, unit, fields it is computed from, rules that shape it,
    to_date (a total to date: grows as the generation runs), description -#}
{%- set measures = [
    {'id': 'clusters', 'da': 'Klynger', 'en': 'Clusters', 'unit': 'count',
     'fields': [], 'rules': [],
     'description': 'Cluster organisations reported for the generation (clusters file).'},
    {'id': 'smv_funded', 'da': 'SMV\'er med tilskud', 'en': 'SMEs funded', 'unit': 'count',
     'fields': ['participants.funding_received_dkk'], 'rules': [], 'to_date': true,
     'description': 'Distinct SMEs (participant type smv, by CVR) with cluster funding in projects starting in the generation\'s period.'},
    {'id': 'other_firms_funded', 'da': 'Andre virksomheder med tilskud (store virksomheder)',
     'en': 'Other firms funded (large enterprises)', 'unit': 'count',
     'fields': ['participants.funding_received_dkk'], 'rules': [], 'to_date': true,
     'description': 'Distinct firms other than SMEs with cluster funding: participant type large_enterprise (250+ full-time employees), by CVR. Investors, foreign participants, public bodies and knowledge institutions are not counted as firms here.'},
    {'id': 'funding_per_smv_mean_dkk', 'da': 'Tilskud pr. SMV, gennemsnit',
     'en': 'Funding per SME, mean', 'unit': 'dkk',
     'fields': ['participants.funding_received_dkk'], 'rules': [],
     'description': 'Mean over the SMEs funded of the cluster funding each received in the generation (funding_received_dkk summed per distinct SME), kr.'},
    {'id': 'funding_per_smv_median_dkk', 'da': 'Tilskud pr. SMV, median',
     'en': 'Funding per SME, median', 'unit': 'dkk',
     'fields': ['participants.funding_received_dkk'], 'rules': [],
     'description': 'Median over the SMEs funded of the cluster funding each received in the generation (funding_received_dkk summed per distinct SME), kr.'},
    {'id': 'smv_funding_rate_p10_pct', 'da': 'SMV-tilskudsprocent, 10. percentil',
     'en': 'SME funding rate, 10th percentile', 'unit': 'pct', 'quantile': 0.1,
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': [],
     'description': '10th percentile (linear interpolation) of the SME participations\' funding rates, each 100 x funding received / (funding received + own contribution), %.'},
    {'id': 'smv_funding_rate_p25_pct', 'da': 'SMV-tilskudsprocent, 25. percentil',
     'en': 'SME funding rate, 25th percentile', 'unit': 'pct', 'quantile': 0.25,
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': [],
     'description': '25th percentile of the SME participations\' funding rates (as p10), %.'},
    {'id': 'smv_funding_rate_median_pct', 'da': 'SMV-tilskudsprocent, median',
     'en': 'SME funding rate, median', 'unit': 'pct', 'quantile': 0.5,
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': [],
     'description': 'Median of the SME participations\' funding rates (as p10), %.'},
    {'id': 'smv_funding_rate_p75_pct', 'da': 'SMV-tilskudsprocent, 75. percentil',
     'en': 'SME funding rate, 75th percentile', 'unit': 'pct', 'quantile': 0.75,
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': [],
     'description': '75th percentile of the SME participations\' funding rates (as p10), %.'},
    {'id': 'smv_funding_rate_p90_pct', 'da': 'SMV-tilskudsprocent, 90. percentil',
     'en': 'SME funding rate, 90th percentile', 'unit': 'pct', 'quantile': 0.9,
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': [],
     'description': '90th percentile of the SME participations\' funding rates (as p10), %.'},
] %}
{%- if cap is not none %}
{%- do measures.append(
    {'id': 'smv_funding_rate_above_cap_share_pct',
     'da': 'Andel SMV-deltagelser med tilskudsprocent over ' ~ cap_text ~ ' %',
     'en': 'Share of SME participations funded above ' ~ cap_text ~ ' %', 'unit': 'pct',
     'fields': ['participants.funding_received_dkk', 'participants.own_contribution_dkk'],
     'rules': ['smv_funding_cap_pct'],
     'description': '100 x SME participations with a funding rate above ' ~ cap_text ~ ' % (the cap of the generation that has one, smv_funding_cap_pct) / all SME participations with funding or own contribution, %.'}) %}
{%- endif %}
{%- for t, da, en in knowledge_types %}
{%- do measures.append(
    {'id': 'projects_with_' ~ t ~ '_share_pct', 'da': 'Andel projekter med ' ~ da,
     'en': 'Share of projects with ' ~ en, 'unit': 'pct', 'knowledge_type': t,
     'fields': [], 'rules': [],
     'description': '100 x projects starting in the period with at least one participant of type ' ~ t ~ ' / all projects starting in the period, %.'}) %}
{%- endfor %}
{%- do measures.extend([
    {'id': 'projects_with_knowledge_institution_share_pct',
     'da': 'Andel projekter med en videninstitution',
     'en': 'Share of projects with a knowledge institution', 'unit': 'pct',
     'knowledge_type': 'any', 'fields': [], 'rules': [],
     'description': '100 x projects starting in the period with at least one knowledge institution (university, GTS institute, erhvervsakademi or professionshøjskole) / all projects starting in the period, %.'},
    {'id': 'private_cofinancing_share_pct', 'da': 'Privat medfinansiering, andel af budget',
     'en': 'Private co-financing, share of budget', 'unit': 'pct',
     'fields': ['projects.private_cofinancing_dkk', 'projects.budget_dkk'], 'rules': [],
     'description': '100 x private co-financing / budget, both summed over the projects starting in the period (projects file), %.'},
    {'id': 'overhead_share_pct', 'da': 'Overhead, andel af klyngetilskud',
     'en': 'Overhead, share of cluster funding', 'unit': 'pct',
     'fields': ['projects.overhead_dkk', 'projects.cluster_funding_dkk'],
     'rules': ['overhead_norm_pct'],
     'description': '100 x overhead / cluster funding, both summed over the projects starting in the period, %; NULL in a generation that did not report overhead.'},
    {'id': 'smv_new_to_rd', 'da': 'SMV\'er nye inden for FoU', 'en': 'SMEs new to R&D',
     'unit': 'count', 'fields': ['participants.new_to_rd'], 'rules': [], 'to_date': true,
     'description': 'Distinct SMEs funded (as smv_funded) that reported being new to R&D in at least one of their participations in the generation.'},
    {'id': 'smv_new_to_rd_share_pct', 'da': 'Andel SMV\'er nye inden for FoU',
     'en': 'Share of SMEs new to R&D', 'unit': 'pct', 'fields': ['participants.new_to_rd'],
     'rules': [],
     'description': '100 x smv_new_to_rd / smv_funded, %.'},
    {'id': 'firms_in_several_clusters', 'da': 'Virksomheder i mere end én klynge',
     'en': 'Firms in more than one cluster', 'unit': 'count', 'fields': [], 'rules': [],
     'to_date': true,
     'description': 'Distinct firms (participant types smv and large_enterprise, by CVR) taking part in projects of more than one cluster within the generation, with or without funding.'},
]) %}
{%- set fields = [
    ('projects', 'overhead_dkk'), ('projects', 'cluster_funding_dkk'),
    ('projects', 'budget_dkk'), ('projects', 'private_cofinancing_dkk'),
    ('participants', 'funding_received_dkk'), ('participants', 'own_contribution_dkk'),
    ('participants', 'new_to_rd'),
] %}
{%- set to_date_note = ' A total to date: it grows while the generation runs, so it compares'
    ~ ' across generations only when every generation is complete (is_complete).' %}
{%- set rule_labels = {
    'smv_funding_cap_pct': ('loftet over SMV\'ers tilskudsprocent',
                            'the cap on SMEs\' funding rate'),
    'overhead_norm_pct': ('overheadnormen',
                          'the overhead norm'),
} %}

with generations as (
    select * from {{ ref('int_programme__generations') }}
),

clusters as (
    select * from {{ ref('stg_programme__clusters') }}
),

projects as (
    {{ projects_in_generation_period() }}
),

participations as (
    select participations.*
    from {{ ref('int_programme__participations') }} as participations
    inner join generations
        on {{ in_generation_period('participations', 'year') }}
),

-- a field is absent from a generation when it is NULL in every one of its rows
field_presence as (
    {% for entity, field in fields %}
    select programme, '{{ entity }}.{{ field }}' as field, bool_or({{ field }} is not null) as is_reported
    from {{ ref('stg_programme__' ~ entity) }}
    group by programme
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

funded_smes as (
    select
        programme,
        cvr,
        sum(funding_received_dkk) as funding_dkk,
        coalesce(bool_or(new_to_rd), false) as new_to_rd
    from participations
    where participant_type = 'smv' and cvr is not null
    group by programme, cvr
    having sum(funding_received_dkk) > 0
),

funded_other_firms as (
    select programme, cvr
    from participations
    where participant_type = 'large_enterprise' and cvr is not null
    group by programme, cvr
    having sum(funding_received_dkk) > 0
),

smv_rates as (
    select
        programme,
        100 * funding_received_dkk / (funding_received_dkk + own_contribution_dkk) as rate_pct
    from participations
    where participant_type = 'smv' and funding_received_dkk + own_contribution_dkk > 0
),

project_partners as (
    select
        projects.programme,
        projects.project_id,
        coalesce(bool_or(participants.is_knowledge_institution), false) as has_any,
        {% for t, _, _ in knowledge_types %}
        coalesce(bool_or(participants.participant_type = '{{ t }}'), false)
            as has_{{ t }}{{ "," if not loop.last }}
        {% endfor %}
    from projects
    left join {{ ref('stg_programme__participants') }} as participants
        on participants.programme = projects.programme
        and participants.project_id = projects.project_id
    group by projects.programme, projects.project_id
),

firms_in_several_clusters as (
    select programme, cvr
    from participations
    where participant_type in ('smv', 'large_enterprise') and cvr is not null
    group by programme, cvr
    having count(distinct cluster_id) > 1
),

measure_values as (
    select programme, 'clusters' as measure, count(*)::double as value
    from clusters group by programme
    union all
    select programme, 'smv_funded', count(*) from funded_smes group by programme
    union all
    select programme, 'other_firms_funded', count(*) from funded_other_firms group by programme
    union all
    select programme, 'funding_per_smv_mean_dkk', avg(funding_dkk::double)
    from funded_smes group by programme
    union all
    select programme, 'funding_per_smv_median_dkk', median(funding_dkk::double)
    from funded_smes group by programme
    {% for m in measures if m.quantile is defined %}
    union all
    select programme, '{{ m.id }}', quantile_cont(rate_pct::double, {{ m.quantile }})
    from smv_rates group by programme
    {% endfor %}
    {% if cap is not none %}
    union all
    select programme, 'smv_funding_rate_above_cap_share_pct',
        100 * count(*) filter (where rate_pct > {{ cap }}) / count(*)
    from smv_rates group by programme
    {% endif %}
    {% for m in measures if m.knowledge_type is defined %}
    union all
    select programme, '{{ m.id }}',
        100 * count(*) filter (where has_{{ m.knowledge_type }}) / count(*)
    from project_partners group by programme
    {% endfor %}
    union all
    select programme, 'private_cofinancing_share_pct',
        100 * sum(private_cofinancing_dkk)::double / nullif(sum(budget_dkk), 0)::double
    from projects group by programme
    union all
    select programme, 'overhead_share_pct',
        100 * sum(overhead_dkk)::double / nullif(sum(cluster_funding_dkk), 0)::double
    from projects group by programme
    union all
    select programme, 'smv_new_to_rd', count(*) filter (where new_to_rd)
    from funded_smes group by programme
    union all
    select programme, 'smv_new_to_rd_share_pct', 100 * count(*) filter (where new_to_rd) / count(*)
    from funded_smes group by programme
    union all
    select programme, 'firms_in_several_clusters', count(*)
    from firms_in_several_clusters group by programme
),

definitions as (
    select * from (values
        {% for m in measures %}
        (
            '{{ m.id }}', {{ loop.index }}, '{{ m.da | replace("'", "''") }}',
            '{{ m.en | replace("'", "''") }}', '{{ m.unit }}',
            '{{ (m.description ~ (to_date_note if m.to_date else '')) | replace("'", "''") }}'
        ){{ "," if not loop.last }}
        {% endfor %}
    ) as t (measure, measure_order, measure_label_da, measure_label_en, unit, description)
),

requirements as (
    select * from (values
        ('', '', '')
        {% for m in measures %}{% for f in m.fields %}
        , ('{{ m.id }}', 'field', '{{ f }}')
        {% endfor %}{% for r in m.rules %}
        , ('{{ m.id }}', 'rule', '{{ r }}')
        {% endfor %}{% if m.to_date %}
        , ('{{ m.id }}', 'complete', 'period')
        {% endif %}{% endfor %}
    ) as t (measure, kind, requirement)
    where measure <> ''
),

-- fields a measure needs that a generation did not report
missing_fields as (
    select requirements.measure, field_presence.programme, requirements.requirement as field
    from requirements
    inner join field_presence on field_presence.field = requirements.requirement
    where requirements.kind = 'field' and not field_presence.is_reported
),

-- the years each generation's data cover: finances reported and projects started
observed_years as (
    select programme, start_year as year from projects
    union all
    select programme, year from {{ ref('stg_programme__cluster_finances') }}
),

-- how far each generation's data reach: the last year with finances or a project start
generation_coverage as (
    select
        generations.programme,
        generations.last_year,
        max(observed_years.year) as last_year_observed,
        coalesce(max(observed_years.year) >= generations.last_year, false) as is_complete
    from generations
    left join observed_years on observed_years.programme = generations.programme
    group by generations.programme, generations.last_year
),

-- the generations whose data stops before the end of their period (no row when none)
incomplete_generations as (
    select
        string_agg(
            programme || ' er ikke afsluttet: '
            || coalesce(
                'data til og med ' || last_year_observed || ' af ' || programme,
                'endnu ingen projekter i ' || programme
            ),
            '; ' order by programme
        ) || '; tal til dato kan ikke sammenlignes med en afsluttet generation' as reason_da,
        string_agg(
            programme || ' is not complete: '
            || coalesce(
                'data up to ' || last_year_observed || ' of ' || programme,
                'no projects yet in ' || programme
            ),
            '; ' order by programme
        ) || '; totals to date cannot be compared with a completed generation' as reason_en
    from generation_coverage
    where not is_complete
    having count(*) > 0
),

rule_status as (
    {% for rule in rule_labels %}
    select
        '{{ rule }}' as rule,
        programme,
        {{ rule }} as rule_limit
    from generations
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- rules that shape a measure and were not in force in a generation
missing_rules as (
    select
        requirements.measure,
        requirements.requirement as rule,
        string_agg(rule_status.programme, ', ' order by rule_status.programme)
            filter (where rule_status.rule_limit is null) as absent_in,
        string_agg(
            regexp_replace(cast(rule_status.rule_limit as varchar), '\.0$', '') || ' % i '
            || rule_status.programme, ', ' order by rule_status.programme
        ) filter (where rule_status.rule_limit is not null) as in_force_da,
        string_agg(
            regexp_replace(cast(rule_status.rule_limit as varchar), '\.0$', '') || ' % in '
            || rule_status.programme, ', ' order by rule_status.programme
        ) filter (where rule_status.rule_limit is not null) as in_force_en
    from requirements
    inner join rule_status on rule_status.rule = requirements.requirement
    where requirements.kind = 'rule'
    group by requirements.measure, requirements.requirement
    having count(*) filter (where rule_status.rule_limit is null) > 0
),

reasons as (
    select
        measure,
        1 as reason_order,
        field as topic,
        'Feltet ' || field || ' er ikke indberettet i ' || programme
            || ' (tomt i alle generationens rækker)' as reason_da,
        'Field ' || field || ' was not reported in ' || programme
            || ' (NULL in all of that generation''s rows)' as reason_en
    from missing_fields
    union all
    select
        missing_rules.measure,
        2,
        missing_rules.rule,
        upper(left(labels.label_da, 1)) || substr(labels.label_da, 2)
            || ' var ikke en regel i ' || missing_rules.absent_in
            || coalesce(' (men gjaldt med ' || missing_rules.in_force_da || ')', ''),
        upper(left(labels.label_en, 1)) || substr(labels.label_en, 2)
            || ' was not a rule in ' || missing_rules.absent_in
            || coalesce(' (it applied at ' || missing_rules.in_force_en || ')', '')
    from missing_rules
    inner join (values
        {% for rule, labels in rule_labels.items() %}
        (
            '{{ rule }}', '{{ labels[0] | replace("'", "''") }}',
            '{{ labels[1] | replace("'", "''") }}'
        ){{ "," if not loop.last }}
        {% endfor %}
    ) as labels (rule, label_da, label_en) on labels.rule = missing_rules.rule
    union all
    select requirements.measure, 3, requirements.requirement, reason_da, reason_en
    from requirements
    cross join incomplete_generations
    where requirements.kind = 'complete'
),

reasons_by_measure as (
    select
        measure,
        string_agg(reason_da, '; ' order by reason_order, topic, reason_da) || '.'
            as comparable_reason_da,
        string_agg(reason_en, '; ' order by reason_order, topic, reason_en) || '.'
            as comparable_reason_en
    from reasons
    group by measure
),

generation_rows as (
    select
        generations.programme,
        generations.is_current_programme,
        generation_coverage.last_year_observed,
        generation_coverage.is_complete,
        coalesce(bool_or(clusters.is_sample), false) as is_sample
    from generations
    inner join generation_coverage on generation_coverage.programme = generations.programme
    left join clusters on clusters.programme = generations.programme
    group by
        generations.programme,
        generations.is_current_programme,
        generation_coverage.last_year_observed,
        generation_coverage.is_complete
)

select
    cast(generation_rows.programme as varchar) as programme,
    cast(definitions.measure as varchar) as measure,
    cast(definitions.measure_order as integer) as measure_order,
    cast(definitions.measure_label_da as varchar) as measure_label_da,
    cast(definitions.measure_label_en as varchar) as measure_label_en,
    cast(
        case
            -- a field the measure needs is absent from this generation: no value, not 0
            when exists (
                select 1 from missing_fields
                where missing_fields.measure = definitions.measure
                  and missing_fields.programme = generation_rows.programme
            ) then null
            when definitions.unit = 'count' then coalesce(measure_values.value, 0)
            else measure_values.value
        end as double
    ) as value,
    cast(definitions.unit as varchar) as unit,
    cast(reasons_by_measure.measure is null as boolean) as comparable,
    cast(reasons_by_measure.comparable_reason_da as varchar) as comparable_reason_da,
    cast(reasons_by_measure.comparable_reason_en as varchar) as comparable_reason_en,
    cast(definitions.description as varchar) as description,
    cast(generation_rows.last_year_observed as integer) as last_year_observed,
    cast(generation_rows.is_complete as boolean) as is_complete,
    cast(generation_rows.is_current_programme as boolean) as is_current_programme,
    cast(generation_rows.is_sample as boolean) as is_sample
from generation_rows
cross join definitions
left join measure_values
    on measure_values.programme = generation_rows.programme
    and measure_values.measure = definitions.measure
left join reasons_by_measure on reasons_by_measure.measure = definitions.measure
order by programme, measure_order
