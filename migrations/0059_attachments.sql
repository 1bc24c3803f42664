-- An asset's documents: photos, invoices, appraisal reports, contracts, receipts. Bounded in
-- size and count; the content type is what the bytes are, not what the upload claimed.
create table attachments (
    id           bigserial primary key,
    asset_id     bigint not null references assets (id),
    kind         text not null
                 constraint attachments_kind check (kind in ('photo', 'invoice', 'appraisal', 'contract', 'receipt', 'other')),
    file_name    text not null
                 constraint attachments_file_name check (length(file_name) between 1 and 200),
    content_type text not null
                 constraint attachments_content_type check (content_type in ('application/pdf', 'image/jpeg', 'image/png', 'image/webp')),
    size_bytes   integer not null
                 constraint attachments_size check (size_bytes between 1 and 5242880),
    sha256       bytea not null,
    content      bytea not null,
    uploaded_by  bigint references users (id),
    uploaded_at  timestamptz not null default now()
);
create index attachments_asset_idx on attachments (asset_id, id);

-- The category tree (a category may sit under another) and the national classification code
-- (GB/T 14885, 固定资产分类与代码) finance reconciles with.
alter table categories
    add column parent_id bigint references categories (id),
    add column national_code text
        constraint categories_national_code check (national_code ~ '^[0-9]{2,10}$'),
    add constraint categories_not_own_parent check (parent_id is distinct from id);
create index categories_parent_idx on categories (parent_id) where parent_id is not null;
