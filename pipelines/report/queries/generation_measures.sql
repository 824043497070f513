-- Every measure of every generation as programme_generations publishes it (value in its unit:
-- count, dkk or pct), with whether it compares across generations and why not, in the
-- measure's display order.
select programme, measure, measure_order, measure_label_da, measure_label_en, value, unit,
       comparable, comparable_reason_da, comparable_reason_en, description
from programme_generations
order by measure_order, programme
