-- GF13, firm statistics: ENHED says what the value measures (firms, FTE, turnover), FIRMSTR
-- is the firm size class, BRANCHEDB0738 the industry.
{{ dst_staging_model('gf13',
                     variables={'ENHED': 'measure', 'FIRMSTR': 'firm_size',
                                'BRANCHEDB0738': 'industry'},
                     value_as='value') }}
