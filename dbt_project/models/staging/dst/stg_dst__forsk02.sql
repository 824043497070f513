-- FORSK02, purchased R&D (mio. kr.) by size group (FUI01) and supplier type (LEVRTYP).
{{ dst_staging_model('forsk02',
                     variables={'FUI01': 'size_group', 'LEVRTYP': 'supplier_type'},
                     value_as='purchased_rd_mio_dkk') }}
