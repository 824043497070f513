-- price_index has every year between its first and its last (the no_year_gaps rule).
{{ test_no_year_gaps(ref('price_index'), 'year') }}
