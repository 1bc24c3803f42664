//! The message catalogue: what the application layer's errors say, in English (as the
//! operations write them, and as the API answers) and in 简体中文 (for the pages). Each entry
//! is a stable key a client can translate, the English pattern an error's message is matched
//! against (`{}` holds a value: a number, a name, a state), and the Chinese words (`{}` in
//! the same order, or `{0}`, `{1}` … by position). A message the catalogue does not know is
//! shown as written.

/// (key, English, 中文).
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    // Amounts, dates, numbers, text: the bounded input types.
    ("not_an_amount", "{} is not an amount in yuan", "{} 不是以元为单位的金额（例如 300 或 300.50）"),
    ("amount_too_large", "{} is more than {} yuan", "{} 超过了上限 {} 元"),
    ("not_a_date", "{} is not a date: write it as YYYY-MM-DD", "{} 不是日期：请按 年-月-日（YYYY-MM-DD）填写"),
    ("date_out_of_range", "the date {} is out of range: give one from {} to {}", "日期 {} 超出范围：请填写 {} 年至 {} 年之间的日期"),
    ("not_a_whole_number", "{}: {} is not a whole number in range", "{0}：{1} 不是范围内的整数"),
    ("not_a_number", "{}: {} is not a number", "{0}：{1} 不是有效的编号"),
    ("not_an_asset_number", "{} is not an asset number", "{} 不是资产编号"),
    ("bad_asset_numbers", "bad asset numbers", "资产编号有误"),
    ("text_control", "text cannot contain control characters (found {})", "文字中不能有控制字符（发现 {}）"),
    ("text_too_long", "text is at most {} characters long, got {}", "文字最多 {} 个字，现有 {} 个"),
    ("text_empty", "text cannot be empty", "此项不能为空"),
    ("text_nul", "text cannot contain NUL or characters outside UTF-8", "文字中不能有空字符或非 UTF-8 字符"),
    ("date_time_out_of_range", "a date or time is out of range", "日期或时间超出范围"),
    ("number_out_of_range", "a number is out of range", "数字超出范围"),
    ("text_too_long_db", "a text is too long", "文字过长"),
    ("password_too_short", "a password has at least {} characters", "密码至少 {} 个字符"),
    ("password_too_long", "a password is at most {} bytes long", "密码最多 {} 个字节"),
    ("password_control", "a password cannot contain control characters", "密码中不能有控制字符"),
    ("not_an_email", "{} is not an e-mail address", "{} 不是电子邮件地址"),
    ("form_incomplete", "the form is incomplete: {}", "表单未填完整：{}"),
    ("form_too_large", "the form is too large", "表单内容过多"),
    // Loans, transfers and their lines.
    ("loan_in_past", "a loan cannot start in the past: {} is before today, {}", "借用开始日期不能早于今天：{0} 已过（今天是 {1}）"),
    ("loan_over", "the loan's dates have passed: it ended on {}, before today, {}; reject it and ask again with new dates", "借用日期已过：该借用单于 {0} 结束，早于今天（{1}）；请驳回，并以新日期重新申请"),
    ("loan_dates_ordered", "a loan cannot end before it starts", "归还日期不能早于借用开始日期"),
    ("request_needs_line", "a request needs at least one line", "申请至少要有一行（类别及数量、资产或套件）"),
    ("request_max_lines", "a request has at most {} lines", "一份申请最多 {} 行"),
    ("line_names_one", "each line names either a category_id (with a quantity), one asset_id, or a kit_id (with a quantity)", "每一行只能是一个类别（及数量）、一项资产或一个套件（及数量）"),
    ("kit_only_loans", "only a loan is requested by kit", "只有借用可以按套件申请"),
    ("quantity_range", "quantity must be 1 to {}, and exactly 1 for a specific asset", "数量须为 1 至 {}，指定资产时为 1"),
    ("choose_category", "choose a category", "请选择类别"),
    ("give_quantity_each", "give a quantity for each category", "请为每个类别填写数量"),
    ("choose_kit", "choose a kit", "请选择套件"),
    ("give_kit_quantity", "give how many of the kit", "请填写套件数量"),
    ("the_date", "the first date: {}", "开始日期：{}"),
    ("the_last_date", "the last date: {}", "归还日期：{}"),
    ("only_available", "only {} of the {} {} asked for are available for those dates", "所选日期内仅 {0} 件可借（申请 {1} 件 {2}）"),
    ("only_in_depot", "only {} of the {} {} asked for are free in the depot", "公物仓仅 {0} 件可调剂（申请 {1} 件 {2}）"),
    ("alert_unknown_tag", "tag {} passed gate {} ({}) and is on no asset of the register", "标签 {0} 经门禁 {1}（{2}）通过，但不属于登记册中的任何资产"),
    ("alert_left_without_order", "asset {} ({}) left through gate {} with no order: it is {}", "资产 {0}（{1}）未凭单据经门禁 {2} 离开：当前为“{3}”"),
    ("alert_not_issued", "asset {} ({}) left through gate {} but could not be issued on {} {}: {}", "资产 {0}（{1}）经门禁 {2} 离开，但未能按{3} {4} 出库：{5}"),
    ("alert_booking_out", "asset {} ({}) is still out on loan {} (due back {}) and is booked for loan {} ({}) from {}", "资产 {0}（{1}）仍在借用单 {2} 下借出（应于 {3} 归还），但已被借用单 {4}（{5}）预订，自 {6} 起"),
    ("alert_booking_state", "asset {} ({}) is {} and is booked for loan {} ({}) from {}", "资产 {0}（{1}）当前为“{2}”，但已被借用单 {3}（{4}）预订，自 {5} 起"),
    ("swap_it_for", "swap it for asset {} ({})", "可换成资产 {0}（{1}）"),
    ("no_swap", "no other asset of its category is free for those dates", "同类别中没有其他资产在这些日期空闲"),
    ("alert_may_have_passed", "asset {} ({}) may have passed gate {} {} (confidence {}): {}, or dismiss", "资产 {0}（{1}）可能已经门禁 {2} 通行（{3}，置信度 {4}）：{5}；或驳回"),
    ("would_issue_on", "confirm to issue it on {} {}", "确认则按{0} {1} 出库"),
    ("would_return_from", "confirm to return it from loan {}, pending inspection", "确认则从借用单 {0} 归还，待验收"),
    ("would_record_no_order", "confirm to record that it left with no order (it is {})", "确认则记录其未凭单据离开（当前为“{0}”）"),
    ("would_change_nothing", "confirming changes nothing (it is {})", "确认不会改变任何状态（当前为“{0}”）"),
    ("already_reserved", "that asset is already reserved for overlapping dates by another order", "该资产在重叠的日期已被其他单据预订"),
    ("choose_asset", "choose at least one asset", "请至少选择一项资产"),
    ("name_assets", "name at least one asset (asset_ids)", "请至少填写一项资产"),
    ("name_assets_back", "name the assets that came back", "请填写已归还的资产"),
    ("name_assets_receive", "name at least one asset to receive", "请至少选择一项要入库的资产"),
    ("tick_handed_over", "tick the assets handed over", "请勾选已交付的资产"),
    ("department_for_loan", "say which department the loan is for (department_id)", "请选择借用部门"),
    ("department_for_transfer", "say which department the transfer is for (department_id)", "请选择调拨接收部门"),
    ("loan_purpose", "say what the loan is for (purpose)", "请填写借用用途"),
    ("purpose", "purpose: {}", "用途：{}"),
    ("reason_rejecting", "give a reason for rejecting", "请填写不批准的理由"),
    ("reason_refusing", "give a reason for refusing", "请填写拒绝的理由"),
    ("reason_waiving", "give a reason for waiving", "请填写免除的理由"),
    ("reason_to", "give a reason to {}", "请填写理由（{}）"),
    ("give_the", "give the {}", "请填写{}"),
    ("not_free_for_dates", "asset {} is not free for those dates: it is still out on {} {}, past its last day", "资产 {0} 在所选日期不可用：它仍借出在 {1} {2}，已过归还日期"),
    ("not_on_shelf", "asset {} ({}) is {}, not on the shelf: it cannot be issued on loan {}; swap it for another", "资产 {0}（{1}）当前为“{2}”，不在货架上：不能在借用单 {3} 上出库，请换一件"),
    ("not_waiting_issue", "asset {} is not waiting to be issued on loan {}", "资产 {0} 不在借用单 {1} 的待出库清单中"),
    ("not_waiting_handover", "asset {} is not waiting to be handed over on transfer {}", "资产 {0} 不在调拨单 {1} 的待交付清单中"),
    ("not_out_on_loan", "asset {} is not out on loan {}", "资产 {0} 未在借用单 {1} 上借出"),
    ("not_awaiting_inspection", "asset {} is not awaiting inspection on loan {}", "资产 {0} 不在借用单 {1} 的待验收清单中"),
    ("no_such_asset", "no such asset", "没有这项资产（请核对资产编号）"),
    ("no_such_category", "no such category", "没有这个类别"),
    ("no_such_department", "no such department", "没有这个部门"),
    ("no_such_kit", "no such kit", "没有这个套件"),
    ("no_such_warehouse", "no such warehouse", "没有这个仓库"),
    ("no_such_zone_id", "no such zone {}", "没有区域 {}"),
    ("no_such_zone", "no such zone", "没有这个区域"),
    ("no_such_action", "no such action", "没有这个操作"),
    ("still_referenced", "it is still referenced by other records", "它仍被其他记录引用，不能删除"),
    ("window_too_long", "a window of days is at most {} days (from {} to {} is longer)", "日期范围最多 {0} 天（{1} 至 {2} 超出）"),
    // The lifecycle: an action asked of a state it cannot start from.
    ("asset_state", "cannot {} an asset that is {}; {} is allowed only from {}", "资产当前为“{1}”，不能{0}；只有在“{3}”时才能{2}"),
    ("order_status", "cannot {} {} {}: it is {}; {} is allowed only when it is {}", "{1} {2} 当前为“{3}”，不能{0}；只有在“{5}”时才能{4}"),
    // People, places, things.
    ("username_taken", "that username is taken", "该用户名已被占用"),
    ("requester_department", "a requester must belong to a department", "申请人必须属于一个部门"),
    ("department_code_taken", "a department with that code already exists", "已有相同代码的部门"),
    ("warehouse_code_taken", "a warehouse with that code already exists", "已有相同代码的仓库"),
    ("zone_code_taken", "that warehouse already has a zone with that code", "该仓库已有相同代码的区域"),
    ("category_code_taken", "a category with that code already exists", "已有相同代码的类别"),
    ("epc_taken", "an asset with that EPC already exists", "已有资产使用该 EPC"),
    ("epc_hex", "an EPC is 1 to 62 bytes written as upper-case hex", "EPC 为 1 至 62 字节的大写十六进制"),
    ("epc_not_hex", "EPC {} is not 1 to 62 bytes of hex", "EPC {} 不是 1 至 62 字节的十六进制"),
    ("asset_needs_name", "an asset needs a name", "资产需要名称"),
    ("asset_needs_category", "an asset needs a category code", "资产需要类别代码"),
    ("asset_needs_value", "an asset needs its original value in yuan", "资产需要原值（元）"),
    ("not_whole_months", "{} is not a whole number of months", "{} 不是整月数"),
    ("not_zone_path", "{} is not WAREHOUSE/ZONE", "{} 不是 仓库代码/区域代码 格式"),
    ("no_category_code", "no category with code {}", "没有代码为 {} 的类别"),
    ("no_department_code", "no department with code {}", "没有代码为 {} 的部门"),
    ("epc_on_two_lines", "EPC {} is given on line {} too", "EPC {0} 在第 {1} 行也出现了"),
    ("not_an_epc96", "{} is not an EPC of 24 hex digits (96 bits)", "{} 不是 24 位十六进制的 EPC（96 位）"),
    ("not_source_class", "{} is not a source class (event_purchase, abolished_body, institutional_reform, other_idle)", "{} 不是来源类别（event_purchase 活动采购、abolished_body 撤销机构、institutional_reform 机构改革、other_idle 其他闲置）"),
    ("not_acquisition_method", "{} is not an acquisition method (purchase, transfer, donation, other)", "{} 不是取得方式（purchase 购置、transfer 调拨、donation 接受捐赠、other 其他）"),
    ("intake_needs_item", "an intake needs at least one item", "入库单至少要有一项资产"),
    ("intake_items", "an intake on this page takes 1 to 500 items", "本页一次入库 1 至 500 项"),
    ("value_not_negative", "original value cannot be negative", "原值不能为负数"),
    ("amounts_not_negative", "amounts cannot be negative", "金额不能为负数"),
    ("cannot_deactivate_self", "you cannot deactivate yourself", "不能停用自己的账号"),
    ("choose_zone", "choose a zone", "请选择区域"),
    ("choose_warehouse", "choose a warehouse", "请选择仓库"),
    ("choose_department", "choose a department", "请选择部门"),
    ("choose_where", "choose where it goes", "请选择存放位置"),
    ("choose_what", "choose what to do", "请选择要做的操作"),
    ("reason_needed", "give a reason", "请填写理由"),
    ("kit_name_taken", "a kit with that name already exists", "已有同名套件"),
    ("reader_name_taken", "a reader with that name already exists", "已有同名读写器"),
    ("gate_name_taken", "a gate with that name already exists", "已有同名通道门"),
    // Refusals by the policy, and what is not found.
    ("only_role_may", "only {} may {}", "只有{}可以{}"),
    ("own_department_only", "a {} may {} for their own department only", "{0}只能为本部门{1}"),
    ("not_found", "{} not found", "未找到 {}"),
    ("wrong_credentials", "wrong username or password", "用户名或密码错误"),
    // Disposals: four eyes and the sale price.
    ("four_eyes", "{} was proposed by you: another admin approves it", "{} 是您提出的：须由另一位管理员批准"),
    ("appraised_by_you", "{} was appraised by you: another admin approves it", "{} 是您评估的：须由另一位管理员批准"),
    ("below_appraisal", "the sale price {} is below the appraisal {}: confirm it to record the sale", "成交价 {} 低于评估价 {}：请确认后再记录"),
    ("stocktake_uncounted", "{} of {} assets are not counted yet: confirm to end the stocktake anyway", "还有 {} / {} 项资产未盘到：确认后才能结束盘点"),
    ("forged", "This form has expired or did not come from Depot. Reload the page and try again.", "表单已过期或来源不明，请刷新页面后重试。"),
    // Assets, tags and documents.
    ("hand_in_only_allocated", "asset {} is {}: only a department's allocated asset can be handed in", "资产 {0} 当前为“{1}”：只有调拨给部门的资产才能交回公物仓"),
    ("listed_withdraw_first", "asset {} is listed in the virtual depot: withdraw it from there first", "资产 {} 已在虚拟仓上架：请先下架"),
    ("not_offered", "asset {} is not offered to the depot", "资产 {} 未提交交回公物仓"),
    ("already_offered", "asset {} is already offered to the depot", "资产 {} 已提交交回公物仓"),
    ("relocate_custody", "asset {} is {}: only assets in depot custody can be relocated", "资产 {0} 当前为“{1}”：只有公物仓保管的资产才能移位"),
    ("disposed_keeps_epc", "asset {} is disposed: it keeps the EPC it had", "资产 {} 已处置：保留原有 EPC"),
    ("disposed_no_tag", "asset {} is disposed: it needs no tag", "资产 {} 已处置：无需标签"),
    ("carries_epc", "asset {} carries EPC {} already: give another", "资产 {0} 已使用 EPC {1}：请换一个"),
    ("epc_is_asset", "EPC {} is asset {}'s ({})", "EPC {0} 属于资产 {1}（{2}）"),
    ("epc_empty", "EPC cannot be empty", "EPC 不能为空"),
    ("epc_of_asset_not_hex", "asset {}'s EPC is not hex", "资产 {} 的 EPC 不是十六进制"),
    ("not_epc_hex", "{} is not an EPC in hex", "{} 不是十六进制的 EPC"),
    ("tags_on_writer", "{} tags on the writer: leave only the new one", "写标签器上有 {} 个标签：只留下新的一个"),
    ("no_tag_on_writer", "no tag on the writer: put one on it", "写标签器上没有标签：请放一个上去"),
    ("no_tag_writer", "no tag writer is configured (tag_writer)", "未配置写标签器（tag_writer）"),
    ("tag_carries_epc", "the tag on the writer carries asset {}'s EPC already", "写标签器上的标签已是资产 {} 的 EPC"),
    ("tag_is_other", "the tag on the writer is asset {}'s ({}): refused", "写标签器上的标签属于资产 {0}（{1}）：已拒绝"),
    ("no_printer", "no printer named {} is configured", "没有配置名为 {} 的打印机"),
    ("printer_away", "printer {} at {}:{} {}", "打印机 {0}（{1}:{2}）：{3}"),
    ("document_kind", "a document is a PDF, JPEG, PNG or WebP file", "文件须为 PDF、JPEG、PNG 或 WebP 格式"),
    ("file_name_control", "a file name cannot contain control characters", "文件名中不能有控制字符"),
    ("file_name_long", "a file name is at most {} characters", "文件名最多 {} 个字符"),
    ("not_one_of", "{} is not one of {}", "{0} 不是以下之一：{1}"),
    ("name_document", "name the document's file", "请填写文件名"),
    ("document_empty", "the document is empty", "文件是空的"),
    ("document_too_large", "the document is larger than {} MiB", "文件超过 {} MiB"),
    ("document_type", "the document was sent as {} but is {}", "文件以 {0} 格式上传，实际是 {1}"),
    ("documents_full", "asset {} has {} documents already", "资产 {0} 已有 {1} 份文件"),
    ("exists_already", "one like it exists already", "已有相同的记录"),
    ("must_not_be_blank", "{} must not be blank", "{}不能为空"),
    ("zone_kind_unknown", "zone kind must be storage, staging, gate_inside or gate_outside", "库区类型须为存储区、暂存区、门禁内侧或门禁外侧"),
    ("named_on_loans", "{} is named on loans; it cannot be deleted", "{} 已用在借用单中，不能删除"),
    ("place_in_use", "{} is still in use; move what refers to it first", "{} 仍在使用中：请先移走引用它的记录"),
    ("department_in_use", "{} still has users, assets or orders; move or close them first", "{} 仍有用户、资产或单据：请先移走或关闭"),
    // Orders and their lines, bookings, rentals.
    ("by_a_person", "a {} is requested by a person", "{}须由个人提出"),
    ("intake_by_person", "an intake is opened by a person", "入库单须由个人创建"),
    ("rental_by_person", "a rental is recorded by a person", "租赁须由个人登记"),
    ("inspect_at_most", "inspect at most {} assets at once", "一次最多验收 {} 项资产"),
    ("name_lines", "name 1 to {} lines (line_ids)", "请选择 1 至 {} 行"),
    ("assets_or_lines", "name the assets (asset_ids) or the lines (line_ids) handed over, not both", "请填写已交付的资产或行，不要两者都填"),
    ("nothing_booked_waiting", "nothing booked on those lines of loan {} is waiting to be issued", "借用单 {} 的这些行没有待出库的预订资产"),
    ("say_how_back", "say how each asset came back: fine, damaged or missing", "请说明每项资产归还时的状况：完好、损坏或缺失"),
    ("back_soon", "asset {} ({}) is {}: it can be issued on loan {} once it is back, or swapped for another", "资产 {0}（{1}）当前为“{2}”：回库后才能在借用单 {3} 上出库，或换一件"),
    ("booked_first", "asset {} ({}) is booked first for loan {} from {}: issue it there first", "资产 {0}（{1}）已先被借用单 {2} 预订（自 {3} 起）：请先在那里出库"),
    ("named_twice", "asset {} is named twice", "资产 {} 填写了两次"),
    ("asked_twice", "asset {} is asked for twice", "资产 {} 申请了两次"),
    ("nothing_left_issue", "loan {} has nothing left to issue", "借用单 {} 已没有待出库的资产"),
    ("nothing_left_handover", "transfer {} has nothing left to hand over", "调拨单 {} 已没有待交付的资产"),
    ("transfer_purpose", "say what the transfer is for (purpose)", "请填写调拨用途"),
    ("not_booked_waiting", "asset {} is not booked and waiting on {} {}", "资产 {0} 不在{1} {2} 的待办预订中"),
    ("kit_specific_asset", "kit {} holds a specific asset: ask for one of it at a time", "套件 {} 含指定资产：一次只能申请一套"),
    ("kit_parts", "a kit has 1 to {} parts (parts)", "一个套件有 1 至 {} 个部件"),
    ("kit_name", "a kit's name has 1 to {} characters (name)", "套件名称为 1 至 {} 个字"),
    ("part_quantity", "a part's quantity is 1 to {}, and exactly 1 for a specific asset", "部件数量为 1 至 {}，指定资产时为 1"),
    ("part_names_one", "each part names either a category_id (with a quantity) or one asset_id", "每个部件只能是一个类别（及数量）或一项资产"),
    ("swap_not_same", "asset {} is not an asset of the same category free for loan {}'s dates ({} to {})", "资产 {0} 不是借用单 {1} 日期内（{2} 至 {3}）可用的同类别资产"),
    ("no_other_free", "no other asset of the category of asset {} is free from {} to {}", "{1} 至 {2} 没有与资产 {0} 同类别的其他可用资产"),
    ("swap_needs_replacement", "swap an asset for another one (replacement_id)", "请选择用来替换的资产"),
    ("only_loan_due", "only a loan is due by its own dates, not a {}", "只有借用单按自己的日期到期，{}没有"),
    ("rental_amount_max", "{} × {} days × {} fen is more than an amount may be ({} fen)", "{0} × {1} 天 × {2} 分超过了金额上限（{3} 分）"),
    ("rental_dates", "a rental cannot end ({}) before it starts ({})", "租赁结束日期（{0}）不能早于开始日期（{1}）"),
    ("rental_days", "a rental lasts at most {} days ({} to {} is {})", "租赁最长 {0} 天（{1} 至 {2} 为 {3} 天）"),
    ("rental_price", "a rental's daily price is more than 0 fen", "租赁日租金须大于 0 分"),
    ("rental_quantity", "a rental's quantity is 1 to {}, got {}", "租赁数量须为 1 至 {0}，现为 {1}"),
    ("rental_total", "a rental's total is more than 0 fen", "租赁总额须大于 0 分"),
    ("rentals_full", "loan {} already has {} rentals, as many as a loan may have", "借用单 {0} 已有 {1} 项租赁，已达上限"),
    ("rental_category", "loan {} asks for nothing of category {}: a rental covers what the loan asks for", "借用单 {0} 没有申请类别 {1}：租赁只能补充借用单申请的物品"),
    ("supplier_name", "name the supplier in 1 to {} characters", "请填写供应商名称（1 至 {} 个字）"),
    ("rental_price_category", "a daily rental price is more than 0 fen (give none for a category without one)", "日租金须大于 0 分（无租金的类别请留空）"),
    // Intakes, disposals, compensations.
    ("not_awaiting_receipt", "asset {} is not awaiting receipt on intake {}", "资产 {0} 不在入库单 {1} 的待入库清单中"),
    ("intake_cancel_received", "cannot cancel intake {}: {} of its assets were already received; cancel is allowed only while none is", "入库单 {0} 已有 {1} 项资产入库，不能取消；只有尚未入库时才能取消"),
    ("epc_given_twice", "EPC {} is already given for {}", "EPC {0} 已用于 {1}"),
    ("epc_exists", "an asset with EPC {} already exists", "已有资产使用 EPC {}"),
    ("intake_no_owner", "an intake hands assets to the depot; leave owner_department_id out", "入库单是把资产交给公物仓：请不要填写所属部门"),
    ("no_such_category_id", "no such category {}", "没有类别 {}"),
    ("no_category_id", "no category {}", "没有类别 {}"),
    ("intake_close_reason", "say why the intake is closed with items outstanding (reason)", "请填写尚有资产未入库就关闭入库单的理由"),
    ("dispose_reason", "say why the assets are to be disposed of (reason)", "请填写处置理由"),
    ("nothing_to_repair", "compensation case {} is for a lost asset: there is nothing to repair", "赔偿单 {} 针对丢失的资产：没有需要维修的"),
    // Places and categories.
    ("national_code", "{} is not 2 to 10 digits (GB/T 14885)", "{} 不是 2 至 10 位数字（GB/T 14885）"),
    ("category_cycle", "a category cannot sit under itself or one of its own", "类别不能归在自身或其下级类别之下"),
    ("paged_by_number", "this list is paged by page number only", "此列表只能按页码翻页"),
    // Stocktakes.
    ("epc_on_asset", "EPC {} is already on asset {}", "EPC {0} 已属于资产 {1}"),
    ("epc_on_no_asset", "EPC {} is on no asset", "EPC {} 不属于任何资产"),
    ("epc_resolved", "EPC {} in stocktake {} was already resolved: {}", "EPC {0} 在盘点 {1} 中已处理：{2}"),
    ("epc_was", "EPC {} was {} in stocktake {}, not {}", "EPC {0} 在盘点 {2} 中为 {1}，不是 {3}"),
    ("stocktake_cancel", "cannot cancel stocktake {}: it is {}", "盘点 {0} 当前为“{1}”，不能取消"),
    ("mark_lost_at_most", "mark at most {} assets lost at once", "一次最多标记 {} 项资产丢失"),
    ("registering_category", "registering needs a category_id", "登记须选择类别"),
    ("registering_name", "registering needs a name", "登记须填写名称"),
    ("no_zones_to_count", "warehouse {} has no such zones to count", "仓库 {} 没有这些要盘点的区域"),
    ("zone_not_in_warehouse", "zone {} is not in warehouse {}", "区域 {0} 不在仓库 {1} 中"),
    ("stocktake_not_running", "stocktake {} is not running: start it, then count", "盘点 {} 未在进行：请先开始，再盘点"),
    ("type_or_file", "type or scan at least one EPC, or choose the handheld's file", "请输入或扫描至少一个 EPC，或选择手持机导出的文件"),
    ("choose_handheld", "choose the handheld", "请选择手持机"),
    ("file_or_typed", "send either the handheld's file or the typed EPCs, not both", "请只提交手持机导出的文件或输入的 EPC，二者选一"),
    ("type_an_epc", "type or scan at least one EPC", "请输入或扫描至少一个 EPC"),
    ("typed_at_most", "at most {} EPCs at once: count the rest in another list", "一次最多 {} 个 EPC：其余的请另行提交"),
    ("zone_not_counted", "zone {} is not counted by stocktake {}: choose one of its zones", "区域 {0} 不在盘点 {1} 的范围内：请选择其中的区域"),
    // Readers, gates, handheld files, walk tests, alerts.
    ("antenna_no_zone", "antenna {} of {} is mapped to no zone", "{1} 的天线 {0} 未对应任何区域"),
    ("antenna_twice", "antenna {} is mapped twice", "天线 {} 对应了两次"),
    ("antenna_port", "antenna {} is not a port 1 to 64", "天线 {} 不是 1 至 64 的端口"),
    ("antenna_not_port", "antenna {} is not a port number", "天线 {} 不是端口号"),
    ("antenna_pair", "{}: write each antenna as ANTENNA=ZONE, e.g. 1=3", "{}：每个天线请写成 天线=区域，例如 1=3"),
    ("no_zone_path", "no zone {} (WAREHOUSE/ZONE by their codes)", "没有区域 {}（按 仓库代码/区域代码 填写）"),
    ("zone_path_form", "zone {}: write it as WAREHOUSE/ZONE, by their codes", "区域 {}：请按 仓库代码/区域代码 填写"),
    ("fixed_reader", "reader {} is a fixed reader, not a handheld: its reads come from the reader itself", "读写器 {} 是固定读写器，不是手持机：它的读数由读写器自己上报"),
    ("or_handheld", "{}; or `{}` for a handheld", "{0}；手持机请填 `{1}`"),
    ("pipeline_not_running", "the reader pipeline is not running in this service", "本服务没有运行读写器数据管道"),
    ("live_streams_full", "the server follows as many live streams as it can", "服务器的实时推送连接已满，请稍后再试"),
    ("csv_cell", "line {}, column {}: {} is not {}", "第 {0} 行 {1} 列：{2} 不是{3}"),
    ("csv_fields", "line {}: {} fields, the header has {}", "第 {0} 行：有 {1} 个字段，表头有 {2} 个"),
    ("csv_line", "line {}: {}", "第 {0} 行：{1}"),
    ("csv_needs_epc", "the CSV header needs an `epc` column", "CSV 表头须有 `epc` 列"),
    ("csv_empty", "the CSV is empty", "CSV 文件是空的"),
    ("csv_not_utf8", "the CSV is not UTF-8", "CSV 文件不是 UTF-8 编码"),
    ("csv_unknown_column", "unknown CSV column {}: use epc, antenna, rssi_dbm, at", "未知的 CSV 列 {}：可用的列为 epc、antenna、rssi_dbm、at"),
    ("alert_not_passage", "alert {} does not say which asset passed which gate, or which way", "告警 {} 没有说明哪项资产从哪个方向通过了哪个通道门"),
    ("alert_not_uncertain", "alert {} is not an uncertain passage: acknowledge it instead", "告警 {} 不是待确认的通过：请直接确认收到"),
    ("alert_uncertain", "alert {} is an uncertain passage: confirm or dismiss it", "告警 {} 是待确认的通过：请确认或驳回"),
    ("alert_acknowledged", "alert {} was already acknowledged", "告警 {} 已确认收到"),
    ("alert_closed", "alert {} was already closed", "告警 {} 已关闭"),
    ("passage_already", "the passage of alert {} was already {}", "告警 {0} 的通过已{1}"),
    ("walk_not_measured", "walk test {} did not measure the gate ({}): walk again", "走测 {0} 未能测出通道门的情况（{1}）：请重新走测"),
    ("walk_running_on", "walk test {} is already running on gate {} since {}: finish it first", "走测 {0} 自 {2} 起正在通道门 {1} 进行：请先结束它"),
    ("walk_not_latest", "walk test {} is not the latest of its gate: apply walk test {}", "走测 {0} 不是该通道门最近的一次：请应用走测 {1}"),
    ("walk_still_running", "walk test {} is still running: finish it first", "走测 {} 仍在进行：请先结束它"),
    ("walk_no_threshold", "walk test {} suggests no threshold", "走测 {} 没有给出建议的阈值"),
    ("walk_applied", "walk test {} was already applied", "走测 {} 已经应用"),
    ("walk_cancelled", "walk test {} was cancelled: walk again", "走测 {} 已取消：请重新走测"),
    ("walk_finished", "walk test {} is already finished", "走测 {} 已经结束"),
    ("walk_not_running", "walk test {} is no longer running", "走测 {} 已不在进行"),
    ("walk_over", "a walk test is finished, cancelled or applied", "走测已结束、取消或应用"),
    ("choose_gate_zones", "choose both zones of the gate", "请选择通道门两侧的区域"),
    ("choose_direction", "choose the direction you will carry the tags", "请选择携带标签通过的方向"),
    // Reports.
    ("month_or_days", "give a month, or a first and a last day (from, to), not both", "请填写月份，或开始和结束日期，不要两者都填"),
    ("both_days", "give both the first and the last day (from, to), or a month", "请同时填写开始和结束日期，或只填月份"),
    ("not_a_month", "{} is not a month written YYYY-MM", "{} 不是月份：请按 年-月（YYYY-MM）填写"),
    ("figures_window", "the figures are for at most {} days at once (from {} to {} is longer)", "统计一次最多 {0} 天（{1} 至 {2} 超出）"),
    ("last_day_before_first", "the last day (to, {}) is before the first (from, {})", "结束日期 {0} 早于开始日期 {1}"),
    // Webhooks.
    ("not_event_action", "{} is not an event action (lower-case letters and _)", "{} 不是事件动作（小写字母和 _）"),
    ("at_most", "at most {}", "最多 {}"),
    ("at_most_characters", "at most {} characters", "最多 {} 个字符"),
    ("not_a_url", "{} is not a URL", "{} 不是网址"),
    ("not_http_host", "{} is not an http:// address with a host", "{} 不是带主机名的 http:// 地址"),
    ("no_https", "https is not spoken here; give an http:// address (a TLS-terminating proxy reaches https receivers)", "这里不直接支持 https：请填写 http:// 地址（https 接收方可经 TLS 终结代理转达）"),
    ("webhooks_full", "a depot keeps at most {} webhooks: delete one first", "最多可设 {} 个 Webhook：请先删除一个"),
    // The pages' forms.
    ("choose_role", "choose a role", "请选择角色"),
    ("name_booked_asset", "name the booked asset", "请填写预订的资产"),
    ("give_whole_number", "give a whole number", "请填写整数"),
    ("give_asset_number", "give an asset number", "请填写资产编号"),
    ("give_quantity", "give a quantity", "请填写数量"),
    ("choose_file", "choose a file", "请选择文件"),
    ("epcs_per_item", "{} EPCs given for {} items: give one per item, or none", "填写了 {0} 个 EPC，但有 {1} 项资产：每项一个，或都不填"),
    ("names_no_loan", "{} names no loan and asset", "{} 没有对应的借用单和资产"),
    ("not_condition", "{} is not fine, damaged or missing", "{} 不是完好、损坏或缺失"),
    ("not_intake_asset", "not an asset of this intake", "不是本入库单的资产"),
    ("not_loan_line", "not a line of this loan", "不是本借用单的行"),
    ("upload_unreadable", "the upload cannot be read: {}", "上传的内容无法读取：{}"),
    ("check_file_first", "check a file first", "请先检查文件"),
    ("choose_csv_xlsx", "choose a CSV or XLSX file to check", "请选择要检查的 CSV 或 XLSX 文件"),
    ("checked_file_damaged", "the checked file came back damaged: check it again", "检查过的文件已损坏：请重新检查"),
    ("file_too_large_import", "the file is larger than {} MiB: import it with the API or `depot import assets`", "文件超过 {} MiB：请用 API 或 `depot import assets` 导入"),
    ("current_password", "give your current password (current_password) to change it", "修改密码须填写当前密码"),
    ("cross_site", "cross-site request refused", "跨站请求已拒绝"),
    ("proposed_by_you", "{} was {} by you: another admin approves it", "{0} 是您{1}的：须由另一位管理员批准"),
    // The service itself.
    ("database_away", "the database is not answering at the moment; try again shortly", "数据库暂时没有响应，请稍后再试"),
    ("too_slow", "the database took too long to answer this request and it was stopped; try again shortly", "这个请求查询时间过长，已被中止，请稍后再试"),
    ("internal", "internal error", "系统内部错误，已记录，请稍后再试"),
];

/// Words that fill a pattern's holes (states, actions, kinds, roles), for the Chinese side.
const WORDS: &[(&str, &str)] = &[
    ("in_stock", "在库"),
    ("reserved", "已预留"),
    ("on_loan", "借出"),
    ("in_repair", "维修中"),
    ("lost", "丢失"),
    ("allocated", "已调拨"),
    ("listed", "已上架"),
    ("pending_disposal", "待处置"),
    ("disposed", "已处置"),
    ("written_off", "已核销"),
    ("awaiting_receipt", "待入库"),
    ("requested", "已申请"),
    ("approved", "已批准"),
    ("rejected", "未批准"),
    ("cancelled", "已取消"),
    ("issued", "已出库"),
    ("returned", "已归还"),
    ("partially_issued", "部分出库"),
    ("partially_returned", "部分归还"),
    ("awaiting_finance", "待财务审批"),
    ("handed_over", "已交付"),
    ("proposed", "已提出"),
    ("appraised", "已评估"),
    ("sold", "已售出"),
    ("remitted", "已上缴"),
    ("receive", "入库"),
    ("reserve", "预留"),
    ("release", "释放"),
    ("issue", "出库"),
    ("return", "归还"),
    ("return (damaged)", "归还（损坏）"),
    ("send to repair", "送修"),
    ("finish repairing", "修复"),
    ("mark as lost", "标记丢失"),
    ("recover", "找回"),
    ("allocate", "调拨"),
    ("list in the virtual depot", "在虚拟仓上架"),
    ("unlist", "下架"),
    ("take in", "接收"),
    ("propose for disposal", "提出处置"),
    ("withdraw from disposal", "撤回处置"),
    ("dispose of", "处置"),
    ("write off", "核销"),
    ("approve", "批准"),
    ("reject", "不批准"),
    ("cancel", "取消"),
    ("hand over", "交付"),
    ("appraise", "评估"),
    ("sell", "售出"),
    ("remit", "上缴"),
    ("loan", "借用单"),
    ("transfer", "调拨单"),
    // A page's address whose number is no number (`/orders/abc`).
    ("address", "网址"),
    // The fields a blank value breaks a schema's rule of ("name zh must not be blank").
    ("code", "编码"),
    ("name", "名称"),
    ("name en", "英文名称"),
    ("name zh", "中文名称"),
    ("username", "用户名"),
    ("reason", "原因"),
    ("purpose", "用途"),
    ("disposal", "处置单"),
    ("intake", "入库单"),
    ("compensation", "赔偿单"),
    ("asset", "资产"),
    ("admin", "管理员"),
    ("keeper", "库管员"),
    ("requester", "申请人"),
    ("auditor", "审计员"),
    ("finance", "财务"),
    ("or", "或"),
    ("created", "已创建"),
    ("running", "进行中"),
    ("finished", "已结束"),
    ("closed", "已关闭"),
    ("confirmed", "确认"),
    ("dismissed", "驳回"),
    ("kit", "套件"),
    ("department", "部门"),
    ("warehouse", "仓库"),
    ("zone", "区域"),
    ("category", "类别"),
    ("user", "用户"),
    ("reader", "读写器"),
    ("gate", "通道门"),
    ("alert", "告警"),
    ("stocktake", "盘点"),
    ("notification", "通知"),
    ("webhook", "Webhook"),
    ("compensation case", "赔偿单"),
];

/// A message the catalogue knows: its key and the values in its holes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<String>,
}

/// The catalogue's entry for `message`, if it has one.
pub fn lookup(message: &str) -> Option<Message> {
    // The most specific pattern that matches: the longest fixed beginning ("the first date:
    // …" holds a message of its own), then the most words of its own.
    CATALOGUE
        .iter()
        .filter_map(|(key, en, _)| {
            let start = en.split("{}").next().unwrap_or_default().len();
            let literal = en.len() - 2 * en.matches("{}").count();
            matches(en, message).map(|args| ((start, literal), Message { key, args }))
        })
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, m)| m)
}

/// The reason an event's history gives, in Chinese: the system's own words (a gate's
/// passage, a decided uncertain passage, a stocktake) translated, a person's as written.
/// Apart from the catalogue, whose patterns would take any message that begins "gate …".
pub fn reason_in_chinese(reason: &str) -> String {
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((words, id)) = reason
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" (stocktake "))
        .filter(|(_, id)| number(id))
    {
        return format!("{words}（盘点 {id}）");
    }
    if let Some(id) = reason.strip_prefix("stocktake ").filter(|id| number(id)) {
        return format!("盘点 {id}");
    }
    if let Some(rest) = reason.strip_prefix("gate ") {
        for (en, zh) in [
            (": uncertain passage confirmed", "：待确认的通过已确认"),
            (": uncertain passage dismissed", "：待确认的通过已驳回"),
        ] {
            if let Some(gate) = rest.strip_suffix(en) {
                return format!("通道门 {gate}{zh}");
            }
        }
        return format!("通道门 {rest}");
    }
    reason.to_owned()
}

/// The fields the forms and the API name before a message, in Chinese.
const FIELDS: &[(&str, &str)] = &[
    ("acquired_on", "购置日期"),
    ("actions", "操作"),
    ("address", "地址"),
    ("appraisal", "评估"),
    ("appraised_value", "评估价"),
    ("appraiser", "评估人"),
    ("asset", "资产"),
    ("assets", "资产"),
    ("buyer", "买受人"),
    ("category", "类别"),
    ("code", "编码"),
    ("cost", "费用"),
    ("daily_price", "日租金"),
    ("deadlines", "办理时限"),
    ("department", "部门"),
    ("description", "说明"),
    ("display_name", "姓名"),
    ("email", "电子邮件"),
    ("ends_on", "归还日期"),
    ("epc", "EPC"),
    ("epcs", "EPC"),
    ("events", "事件"),
    ("from", "开始日期"),
    ("kind", "类型"),
    ("month", "月份"),
    ("name", "名称"),
    ("name_en", "英文名称"),
    ("name_zh", "中文名称"),
    ("national_code", "国标分类代码"),
    ("note", "备注"),
    ("parent_id", "上级类别"),
    ("password", "密码"),
    ("price", "价格"),
    ("printer", "打印机"),
    ("purpose", "用途"),
    ("quantity", "数量"),
    ("reader", "阅读器"),
    ("reason", "原因"),
    ("receipt", "收据编号"),
    ("role", "角色"),
    ("sale_price", "成交价"),
    ("starts_on", "开始日期"),
    ("supplier", "供应商"),
    ("tag_writer", "写码器"),
    ("to", "归还日期"),
    ("total", "合计"),
    ("url", "网址"),
    ("username", "用户名"),
    ("value", "原值"),
    ("warehouse", "仓库"),
    ("zone", "区域"),
];

/// A field's name as a Chinese page says it: `items[3]` is 第 4 项 (counted from 1); a
/// field the vocabulary lacks keeps its name.
fn field_in_chinese(field: &str) -> String {
    if let Some(known) = FIELDS.iter().find(|(f, _)| *f == field) {
        return known.1.to_owned();
    }
    if let Some(index) = field
        .strip_suffix(']')
        .and_then(|f| f.split_once('['))
        .and_then(|(_, i)| i.parse::<usize>().ok())
    {
        return format!("第 {} 项", index + 1);
    }
    field.to_owned()
}

/// `message` in Chinese: the catalogue's words with the values put back (a value the
/// vocabulary knows is said in Chinese too); a field's name before a colon is kept and the
/// rest translated; a message the catalogue does not know is returned as it is.
pub fn chinese(message: &str) -> String {
    // A field's name first ("value: …"): the rest is the message.
    if let Some((field, rest)) = message.split_once(": ") {
        let named = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_[]".contains(c));
        let translated = chinese(rest);
        if named && translated != rest {
            return format!("{}：{translated}", field_in_chinese(field));
        }
    }
    // Several messages in one ("only 3 of the 5 …; only 0 of the 2 …"), each one the
    // catalogue knows: each translated (a pattern's holes would swallow the others).
    if message.contains("; ") && message.split("; ").all(|m| lookup(m).is_some()) {
        return message
            .split("; ")
            .map(chinese)
            .collect::<Vec<_>>()
            .join("；");
    }
    if let Some(found) = lookup(message) {
        let zh = CATALOGUE
            .iter()
            .find(|(k, _, _)| *k == found.key)
            .map(|(_, _, zh)| *zh)
            .unwrap_or_default();
        // A value that is a sentence is a message of its own (the first date: …).
        let args: Vec<String> = found
            .args
            .iter()
            .map(|a| match word(a) {
                w if w == a.as_str() && a.contains(' ') => chinese(a),
                w => w,
            })
            .collect();
        return fill(zh, &args);
    }
    // What a message is about, then the message ("asset 7 (EPC …): cannot …").
    if let Some((about, rest)) = message.split_once(": ") {
        let translated = chinese(rest);
        if translated != rest {
            let about = match about.split_once(' ') {
                Some((thing, more)) => format!("{}{more}", word(thing)),
                None => word(about),
            };
            return format!("{about}：{translated}");
        }
    }
    message.to_owned()
}

/// A value in Chinese when the vocabulary knows it (also each of a list "a, b or c").
fn word(value: &str) -> String {
    // A value quoted whole ("300元") is shown without its quotes.
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => inner,
        _ => value,
    };
    if let Some((_, zh)) = WORDS.iter().find(|(en, _)| *en == value) {
        return (*zh).to_owned();
    }
    // An amount ("800.00 yuan").
    if let Some(amount) = value.strip_suffix(" yuan") {
        if !amount.is_empty() && amount.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return format!("{amount} 元");
        }
    }
    // A thing and its number ("loan 12").
    if let Some((thing, number)) = value.rsplit_once(' ') {
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            if let Some((_, zh)) = WORDS.iter().find(|(en, _)| *en == thing) {
                return format!("{zh} {number}");
            }
        }
    }
    // A list of words the vocabulary knows, each of them ("in_stock, in_repair").
    let known = |w: &str| WORDS.iter().find(|(en, _)| *en == w).map(|(_, zh)| *zh);
    if (value.contains(", ") || value.contains(" or "))
        && value
            .split(", ")
            .flat_map(|part| part.split(" or "))
            .all(|w| known(w).is_some())
    {
        return value
            .split(", ")
            .map(|part| {
                part.split(" or ")
                    .filter_map(known)
                    .collect::<Vec<_>>()
                    .join("或")
            })
            .collect::<Vec<_>>()
            .join("、");
    }
    value.to_owned()
}

/// The values in the holes of `pattern` if `message` is that pattern (holes hold at least
/// one character; each literal piece is found at its first place after the last).
fn matches(pattern: &str, message: &str) -> Option<Vec<String>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let first = pieces[0];
    let mut rest = message.strip_prefix(first)?;
    if pieces.len() == 1 {
        return rest.is_empty().then(Vec::new);
    }
    let mut args = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        if last {
            if piece.is_empty() {
                if rest.is_empty() {
                    return None;
                }
                args.push(rest.to_owned());
                rest = "";
            } else {
                let arg = rest.strip_suffix(piece)?;
                if arg.is_empty() {
                    return None;
                }
                args.push(arg.to_owned());
                rest = "";
            }
        } else {
            let at = rest.get(1..)?.find(piece)? + 1;
            args.push(rest[..at].to_owned());
            rest = &rest[at + piece.len()..];
        }
    }
    rest.is_empty().then_some(args)
}

/// Put `args` into `pattern`'s holes: `{}` in order, `{N}` by position.
fn fill(pattern: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inside = &after[..close];
        let index = if inside.is_empty() {
            next += 1;
            Some(next - 1)
        } else {
            inside.parse::<usize>().ok()
        };
        match index.and_then(|i| args.get(i)) {
            Some(arg) => out.push_str(arg),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_typed_with_its_unit_is_said_in_chinese() {
        let m = lookup("\"300元\" is not an amount in yuan").unwrap();
        assert_eq!(m.key, "not_an_amount");
        assert_eq!(m.args, vec!["\"300元\"".to_owned()]);
        assert_eq!(
            chinese("\"300元\" is not an amount in yuan"),
            "300元 不是以元为单位的金额（例如 300 或 300.50）"
        );
    }

    #[test]
    fn a_blank_field_and_an_unknown_zone_kind_are_said_in_chinese() {
        assert_eq!(chinese("code must not be blank"), "编码不能为空");
        assert_eq!(chinese("name zh must not be blank"), "中文名称不能为空");
        assert_eq!(
            lookup("purpose must not be blank").unwrap().key,
            "must_not_be_blank"
        );
        assert_eq!(
            chinese("zone kind must be storage, staging, gate_inside or gate_outside"),
            "库区类型须为存储区、暂存区、门禁内侧或门禁外侧"
        );
        assert_eq!(
            chinese("address: \"abc\" is not a number"),
            "网址：abc 不是有效的编号"
        );
    }

    #[test]
    fn amounts_in_a_message_are_said_in_yuan_in_chinese() {
        let zh = chinese(
            "the sale price 100.00 yuan is below the appraisal 300.00 yuan: confirm it to record the sale",
        );
        assert!(zh.contains("100.00 元") && zh.contains("300.00 元"), "{zh}");
        assert!(!zh.contains("yuan"), "{zh}");
    }

    #[test]
    fn a_lifecycle_refusal_names_states_in_chinese() {
        let zh = chinese(
            "cannot reserve an asset that is reserved; reserve is allowed only from in_stock, in_repair",
        );
        assert_eq!(
            zh,
            "资产当前为“已预留”，不能预留；只有在“在库、维修中”时才能预留"
        );
    }

    #[test]
    fn shortfalls_of_several_categories_are_each_said_in_chinese() {
        assert_eq!(
            chinese(
                "only 51 of the 1000 会议桌 asked for are available for those dates; \
                 only 0 of the 2 Projector asked for are available for those dates"
            ),
            "所选日期内仅 51 件可借（申请 1000 件 会议桌）；所选日期内仅 0 件可借（申请 2 件 Projector）"
        );
        assert_eq!(
            chinese("a loan cannot start in the past: 2026-11-30 is before today, 2026-12-01"),
            "借用开始日期不能早于今天：2026-11-30 已过（今天是 2026-12-01）"
        );
        assert_eq!(
            chinese("the loan's dates have passed: it ended on 2026-11-28, before today, 2026-12-05; reject it and ask again with new dates"),
            "借用日期已过：该借用单于 2026-11-28 结束，早于今天（2026-12-05）；请驳回，并以新日期重新申请"
        );
    }

    #[test]
    fn things_with_their_numbers_and_nested_messages_are_said_in_chinese() {
        assert_eq!(chinese("loan 12 not found"), "未找到 借用单 12");
        assert_eq!(
            chinese("url: at most 2000 characters"),
            "网址：最多 2000 个字符"
        );
        assert_eq!(
            chinese("line 4: \"X\" is not an EPC in hex; or `handheld` for a handheld"),
            "第 4 行：X 不是十六进制的 EPC；手持机请填 `handheld`"
        );
        assert_eq!(
            chinese("cannot cancel stocktake 3: it is finished"),
            "盘点 3 当前为“已结束”，不能取消"
        );
        assert_eq!(
            chinese("warehouse 2 is still in use; move what refers to it first"),
            "仓库 2 仍在使用中：请先移走引用它的记录"
        );
    }

    #[test]
    fn a_register_files_cell_errors_are_said_in_chinese() {
        for (en, zh) in [
            ("no category with code \"NOPE\"", "没有代码为 NOPE 的类别"),
            ("no department with code \"X\"", "没有代码为 X 的部门"),
            (
                "EPC 3414A3F0 is given on line 4 too",
                "EPC 3414A3F0 在第 4 行也出现了",
            ),
            (
                "\"abc\" is not an EPC of 24 hex digits (96 bits)",
                "abc 不是 24 位十六进制的 EPC（96 位）",
            ),
            ("an asset needs a category code", "资产需要类别代码"),
            (
                "\"12.5\" is not a whole number of months",
                "12.5 不是整月数",
            ),
        ] {
            assert_eq!(chinese(en), zh, "{en}");
        }
    }

    #[test]
    fn the_gates_alerts_are_said_in_chinese() {
        for (en, zh) in [
            (
                "tag 3414A3F0 passed gate Main gate (out) and is on no asset of the register",
                "标签 3414A3F0 经门禁 Main gate",
            ),
            (
                "asset 12 (Folding table #001) left through gate Main gate with no order: it is in_stock",
                "未凭单据经门禁 Main gate 离开",
            ),
            (
                "asset 12 (Folding table #001) may have passed gate Main gate out (confidence 0.62): confirm to issue it on loan 7, or dismiss",
                "确认则按",
            ),
            (
                "asset 12 (Folding table #001) may have passed gate Main gate in (confidence 0.62): confirm to return it from loan 7, pending inspection, or dismiss",
                "从借用单 7 归还",
            ),
            (
                "asset 12 (Folding table #001) is still out on loan 7 (due back 2030-03-02) and is booked for loan 9 (Finance) from 2030-03-03; swap it for asset 14 (Folding table #003)",
                "资产 12（Folding table #001）仍在借用单 7 下借出（应于 2030-03-02 归还），但已被借用单 9（Finance）预订，自 2030-03-03 起；可换成资产 14（Folding table #003）",
            ),
            (
                "asset 12 (Folding table #001) is in_repair and is booked for loan 9 (Finance) from 2030-03-03; no other asset of its category is free for those dates",
                "当前为“维修中”，但已被借用单 9（Finance）预订，自 2030-03-03 起；同类别中没有其他资产在这些日期空闲",
            ),
        ] {
            let said = chinese(en);
            assert!(said.contains(zh), "{en} → {said}");
        }
    }

    #[test]
    fn the_reasons_the_system_gives_are_said_in_chinese() {
        for (en, zh) in [
            ("gate Main gate", "通道门 Main gate"),
            (
                "gate Main gate: uncertain passage confirmed",
                "通道门 Main gate：待确认的通过已确认",
            ),
            (
                "gate Main gate: uncertain passage dismissed",
                "通道门 Main gate：待确认的通过已驳回",
            ),
            ("stocktake 12", "盘点 12"),
            (
                "not on the shelf (stocktake 12)",
                "not on the shelf（盘点 12）",
            ),
            // A person's own words stay as written.
            ("broken leg", "broken leg"),
        ] {
            assert_eq!(reason_in_chinese(en), zh, "{en}");
        }
        // The catalogue keeps its own: a gate not found is not a gate's passage.
        assert_eq!(chinese("gate 5 not found"), "未找到 通道门 5");
    }

    #[test]
    fn a_field_before_a_colon_is_kept_and_the_rest_translated() {
        assert_eq!(
            chinese("appraisal: \"x\" is not an amount in yuan"),
            "评估：x 不是以元为单位的金额（例如 300 或 300.50）"
        );
        // The field's name in Chinese too, where the vocabulary has it; an item by its
        // place counted from 1; an unknown field as written.
        assert_eq!(
            chinese("email: \"x\" is not an e-mail address"),
            "电子邮件：x 不是电子邮件地址"
        );
        assert_eq!(
            chinese("items[3]: \"x\" is not an amount in yuan"),
            "第 4 项：x 不是以元为单位的金额（例如 300 或 300.50）"
        );
        assert_eq!(
            chinese("widget: \"x\" is not an amount in yuan"),
            "widget：x 不是以元为单位的金额（例如 300 或 300.50）"
        );
        assert_eq!(chinese("something new"), "something new");
        assert_eq!(
            chinese("asset 1 (3415): cannot recover an asset that is in_stock; recover is allowed only from lost"),
            "资产1 (3415)：资产当前为“在库”，不能找回；只有在“丢失”时才能找回"
        );
        assert_eq!(
            chinese("the first date: \"soon\" is not a date: write it as YYYY-MM-DD"),
            "开始日期：soon 不是日期：请按 年-月-日（YYYY-MM-DD）填写"
        );
    }

    /// Every message an operation or a page can give, as written in the sources (the
    /// literal given to `Invalid(…)`, `Conflict(…)`, `Forbidden(…)`, `NotFound(…)`,
    /// `Unavailable(…)` or the pages' `invalid(…)`, its `{…}` holes filled with a sample
    /// value), is said in Chinese: a new message without its entry fails here. Left out: the
    /// service's configuration (read by its operator when it starts) and the EPCIS query
    /// interface (a machine's, in the standard's words).
    #[test]
    fn every_message_in_the_sources_is_said_in_chinese() {
        const LEFT_OUT: &[&str] = &["config.rs", "epcis.rs", "cli/"];
        // Composed of words given elsewhere (each `still_used` has its entry), and the name
        // of a benchmark's scratch database.
        const COMPOSED: &[&str] = &[
            "{what} {still_used}",
            "{name:?} is not a plain database name",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.clone()];
        let mut sources = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                if !LEFT_OUT
                    .iter()
                    .any(|l| name.ends_with(l) || name.starts_with(l))
                {
                    sources.push((name, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut seen = 0;
        let mut unsaid = std::collections::BTreeSet::new();
        for (name, text) in &sources {
            for (constructor, literal) in messages_in(text) {
                if COMPOSED.contains(&literal.as_str()) {
                    continue;
                }
                let sample = sample(&literal);
                let sample = match constructor {
                    "NotFound" => format!("{sample} not found"),
                    _ => sample,
                };
                seen += 1;
                if chinese(&sample) == sample {
                    unsaid.insert(format!("{name}: {sample}"));
                }
            }
        }
        assert!(seen > 200, "the scan found only {seen} messages");
        assert!(
            unsaid.is_empty(),
            "{} messages have no Chinese:\n{}",
            unsaid.len(),
            unsaid.into_iter().collect::<Vec<_>>().join("\n")
        );
    }

    /// The string literals given to the error constructors in a source file.
    fn messages_in(text: &str) -> Vec<(&'static str, String)> {
        const CONSTRUCTORS: &[&str] = &[
            "Invalid",
            "Conflict",
            "Forbidden",
            "NotFound",
            "Unavailable",
            "invalid",
        ];
        let mut found = Vec::new();
        for constructor in CONSTRUCTORS {
            let call = format!("{constructor}(");
            for (at, _) in text.match_indices(&call) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = text[at + call.len()..].trim_start();
                let rest = rest.strip_prefix("format!(").unwrap_or(rest).trim_start();
                if let Some(literal) = rest.strip_prefix('"').and_then(string_literal) {
                    found.push((*constructor, literal));
                }
            }
        }
        found
    }

    /// The value of a string literal whose opening quote is just before `text`.
    fn string_literal(text: &str) -> Option<String> {
        let mut value = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(value),
                '\\' => match chars.next()? {
                    '\n' => while chars.next_if(|c| c.is_whitespace()).is_some() {},
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                c => value.push(c),
            }
        }
        None
    }

    /// A format string with its holes filled: a message where a nested error goes (`{e}`,
    /// `{m}`, `{why}`), a quoted value where it is debug-formatted, a number elsewhere.
    fn sample(format: &str) -> String {
        let mut out = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.next_if_eq(&'{').is_some() => out.push('{'),
                '}' if chars.next_if_eq(&'}').is_some() => out.push('}'),
                '{' => {
                    let hole: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    let (name, spec) = hole.split_once(':').unwrap_or((&hole, ""));
                    out.push_str(match (name, spec) {
                        (_, spec) if spec.contains('?') => "\"X7\"",
                        ("e" | "m" | "why", _) => "text cannot be empty",
                        _ => "7",
                    });
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_entry_has_a_unique_key_and_as_many_holes_in_both_languages() {
        let mut keys = std::collections::HashSet::new();
        for (key, en, zh) in CATALOGUE {
            assert!(keys.insert(key), "{key} twice");
            let holes = en.matches("{}").count();
            let args: Vec<String> = (0..holes).map(|i| format!("<{i}>")).collect();
            let said = fill(zh, &args);
            for a in &args {
                assert!(said.contains(a.as_str()), "{key}: {zh} leaves out {a}");
            }
            assert!(!said.contains('{'), "{key}: {zh} has a hole too many");
        }
    }
}
