-- FORSK01, own R&D expenditure (mio. kr.): FUI01 is a size group, industry or region
-- (breakdown), FUI08 the expenditure type.
{{ dst_staging_model('forsk01',
                     variables={'FUI01': 'breakdown', 'FUI08': 'expenditure_type'},
                     value_as='rd_mio_dkk') }}
