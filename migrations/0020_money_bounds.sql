-- Money is 0 to 10^13 fen (a hundred billion yuan), as src/domain/bounds.rs checks at the
-- edge. `not valid`: checked for every new or changed row, while a database that already
-- holds an out-of-range amount still migrates (its sums are taken as numeric and cannot
-- overflow); correct such an amount and the row passes again.

alter table assets add constraint assets_original_value_bounded
    check (original_value_fen <= 10000000000000) not valid;

alter table disposals add constraint disposals_money_bounded
    check (coalesce(appraised_value_fen, 0) <= 10000000000000
           and coalesce(sale_price_fen, 0) <= 10000000000000) not valid;

alter table compensations add constraint compensations_amount_bounded
    check (amount_fen <= 10000000000000) not valid;
