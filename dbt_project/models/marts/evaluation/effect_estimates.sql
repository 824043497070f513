-- The effect estimates as the estimator wrote them (disclosure control already applied), one
-- evaluation per programme generation, typed to the published contract.
select
    cast(programme as varchar) as programme,
    cast(outcome as varchar) as outcome,
    cast(group_type as varchar) as group_type,
    cast(group_value as varchar) as group_value,
    cast(period as varchar) as period,
    cast(event_time as integer) as event_time,
    cast(estimate as double) as estimate,
    cast(std_error as double) as std_error,
    cast(ci_lower as double) as ci_lower,
    cast(ci_upper as double) as ci_upper,
    cast(band_lower as double) as band_lower,
    cast(band_upper as double) as band_upper,
    cast(mde as double) as mde,
    cast(firms_treated as integer) as firms_treated,
    cast(firms_compared as integer) as firms_compared,
    cast(controls_effective as double) as controls_effective,
    cast(pretrend_p_value as double) as pretrend_p_value,
    cast(breakdown_mbar as double) as breakdown_mbar,
    cast(suppressed as boolean) as suppressed,
    cast(suppression_reason as varchar) as suppression_reason,
    cast(method as varchar) as method,
    cast(panel_source as varchar) as panel_source,
    cast(is_synthetic as boolean) as is_synthetic,
    cast(is_sample as boolean) as is_sample
from {{ source('evaluation', 'effect_estimates') }}
