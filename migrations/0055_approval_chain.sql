-- Approval chains: a loan of great value or length needs, after the depot's approval, the
-- sign-off of a finance approver (a role of its own). Its assets stay reserved meanwhile.
alter type user_role add value if not exists 'finance';
alter type loan_status add value if not exists 'awaiting_finance' after 'requested';

-- The finance approvers are told of a loan waiting for them.
alter table notices drop constraint notices_kind_known;
alter table notices add constraint notices_kind_known check (kind in
    ('approval_waiting', 'sign_off_waiting', 'approved', 'rejected', 'due_tomorrow', 'overdue', 'returned'));
