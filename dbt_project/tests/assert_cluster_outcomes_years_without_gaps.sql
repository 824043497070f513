-- cluster_outcomes has every year between its first and its last, for each cluster.
{{ test_no_year_gaps(ref('cluster_outcomes'), 'year', group_by='cluster_id') }}
