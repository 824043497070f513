-- NAN1, national accounts (mio. kr.): TRANSAKT is the transaction (B1GQK = GDP), PRISENHED
-- the price unit (V_M current, LAN_M chained prices).
{{ dst_staging_model('nan1',
                     variables={'TRANSAKT': 'transaction', 'PRISENHED': 'price_unit'},
                     value_as='value_mio_dkk') }}
