//! The two page languages, 简体中文 and English, with one catalogue of labels. The words are
//! DOMAIN.md's vocabulary; a key missing from the table shows as itself (and a test catches it).

use axum::http::{header, HeaderMap};

/// Cookie that remembers the language a person switched to.
pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The `lang` cookie if set, else the first language of `Accept-Language` we speak
    /// (by quality), else English.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let cookie = crate::cookie::get(headers, COOKIE).and_then(|value| Lang::parse(&value));
        if let Some(lang) = cookie {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or_default();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    /// What an event's action is called: its label if the catalogue has one, else itself.
    pub fn action(self, action: &str) -> String {
        let key = format!("act_{action}");
        match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
            Some(_) => self.t(&key).to_owned(),
            None => action.to_owned(),
        }
    }

    /// What an action on one kind of paperwork is called, when it has a name of its own.
    pub fn action_of(self, kind: &str, action: &str) -> Option<String> {
        let key = format!("act_{kind}_{action}");
        CATALOGUE
            .iter()
            .any(|(k, _, _)| *k == key)
            .then(|| self.t(&key).to_owned())
    }

    /// An asset the readers place between two zones, for a person to check.
    pub fn between(self, zone: &str, other: &str) -> String {
        match self {
            Lang::En => format!("Between {zone} and {other}: check"),
            Lang::Zh => format!("位置待核：{zone} 与 {other} 之间"),
        }
    }

    /// An operation's message in this language: the message catalogue's words
    /// (`app::messages`), or as written when it holds none.
    pub fn say(self, message: &str) -> String {
        match self {
            Lang::En => message.to_owned(),
            Lang::Zh => crate::app::messages::chinese(message),
        }
    }

    /// The label for `key` in this language.
    pub fn t(self, key: &str) -> &'static str {
        match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, zh)) => match self {
                Lang::En => en,
                Lang::Zh => zh,
            },
            None => {
                tracing::warn!(key, "label missing from the catalogue");
                CATALOGUE[0].1
            }
        }
    }
}

/// Money: integer fen shown as yuan.
pub fn yuan(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// (key, English, 中文)
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    ("missing", "(label missing)", "（缺少标签）"),
    ("app", "Public asset depot", "公物仓"),
    ("skip", "Skip to content", "跳到正文"),
    ("login", "Sign in", "登录"),
    ("logout", "Sign out", "退出"),
    ("username", "Username", "用户名"),
    ("password", "Password", "密码"),
    ("wrong_credentials", "Wrong username or password.", "用户名或密码错误。"),
    ("language", "Language", "语言"),
    ("demo_logins", "Demo sign-ins: admin, keeper, requester, requester2, auditor, finance; password demo.", "演示账号：admin、keeper、requester、requester2、auditor、finance；密码 demo。"),
    // roles
    ("admin", "admin", "管理员"),
    ("keeper", "keeper", "保管员"),
    ("requester", "requester", "使用单位"),
    ("auditor", "auditor", "审计（财政局）"),
    ("finance", "finance approver", "财务审批人"),
    // navigation
    ("catalogue", "Catalogue", "可借资产目录"),
    ("request_loan", "Request a loan", "申请出借"),
    ("my_orders", "My orders", "我的申请"),
    ("orders", "Loans", "出借单"),
    ("virtual_depot", "Virtual depot", "虚拟公物仓"),
    ("approvals", "Approvals", "审批"),
    ("sign_offs", "Finance sign-offs", "财务审批"),
    ("transfers", "Transfers", "调配"),
    ("disposals", "Disposals", "处置"),
    ("registers", "Users and places", "用户与场所"),
    ("picks", "Pick lists", "拣货单"),
    ("returns", "Return inspection", "归还验收"),
    ("intake", "Intake", "收储"),
    ("new_intake", "New intake", "新建收储"),
    ("assets", "Assets", "资产"),
    ("asset", "Asset", "资产"),
    ("dashboard", "Dashboard", "统计报表"),
    // notifications and time limits (限时办结)
    ("inbox", "Notifications", "通知"),
    ("unread", "unread", "未读"),
    ("mark_read", "Mark read", "标为已读"),
    ("mark_all_read", "Mark all read", "全部标为已读"),
    ("older", "Older notifications", "更早的通知"),
    ("overdue_work", "Overdue work (time limits)", "超期待办（限时办结）"),
    ("nothing_overdue", "Nothing is past its time limit.", "没有超过时限的事项。"),
    ("overdue_yours", "What you must act on.", "需由您办理的事项。"),
    ("overdue_all", "Everything past its time limit that you may see.", "您可查看的全部超期事项。"),
    ("overdue_show_all", "Show all", "显示全部"),
    ("overdue_beyond", "{what}: only the {shown} most late of {total} are listed here.", "{what}：此处仅列出超期最久的 {shown} 项（共 {total} 项）。"),
    ("overdue_see_all", "See them all, a page at a time", "分页查看全部"),
    ("newest_shown", "The newest {n} are shown here.", "此处仅列出最新的 {n} 条。"),
    ("overdue_most_late_first", "The most late first.", "超期最久的排在最前。"),
    ("back_to_inbox", "Back to notifications", "返回通知"),
    ("about", "About", "事由"),
    ("due", "Due", "应办"),
    ("due_on", "Due by", "办结期限"),
    ("working_days_late", "Working days late", "超期工作日"),
    ("who_acts", "Who acts", "经办方"),
    ("email", "E-mail", "电子邮箱"),
    ("email_for_notifications", "E-mail address for notifications (empty: none)", "接收通知的电子邮箱（留空则不发邮件）"),
    ("save", "Save", "保存"),
    ("mail_off", "This depot sends no e-mail: notifications appear here only.", "本系统未配置邮件发送：通知仅在此显示。"),
    ("due_decide", "Decide", "审批"),
    ("due_sign_off", "Sign off", "财务签批"),
    ("due_issue", "Issue", "出库发放"),
    ("due_return", "Return", "归还"),
    ("due_hand_over", "Hand over", "交付"),
    ("due_appraise", "Appraise", "评估"),
    ("due_sell_or_scrap", "Sell or scrap", "拍卖或报废"),
    ("due_remit", "Remit the proceeds", "上缴国库"),
    ("due_receive", "Receive", "入库"),
    ("due_settle", "Settle", "结案"),
    ("awaiting_inspection", "Back through the gate, awaiting inspection", "经门禁归还、待验收的资产"),
    ("inspect", "Record the inspection", "提交验收结果"),
    ("not_yet", "not yet", "暂不验收"),
    ("accept_shortfall", "Request anyway: the depot may lend part of it, or rent the rest", "仍然提交申请：公物仓可能只批准部分，或租赁补足"),
    ("other_states", "Other states", "其他状态"),
    ("zone_storage", "Storage", "存储区"),
    ("zone_staging", "Staging", "暂存区"),
    ("zone_gate_inside", "Gate, inside", "门禁内侧"),
    ("zone_gate_outside", "Gate, outside", "门禁外侧"),
    ("cancel_transfer", "Cancel transfer", "取消调拨单"),
    ("cancel_transfer_text", "Its reserved assets are released. Say why: the reason goes into the transfer's history.", "已预留的资产将被释放。请填写原因，原因会记入调拨单履历。"),
    ("waive_case", "Waive compensation case", "免除赔偿单"),
    ("pay_case", "Record the compensation as paid", "记录已赔付"),
    ("repair_case", "Record the repair of compensation case", "记录赔偿单的维修"),
    ("repair_case_text", "The asset goes back into stock as repaired, and the department owes {cost} for the repair. This cannot be undone.", "该资产将作为已修复重新入库，部门需承担维修费用 {cost}。此操作不能撤销。"),
    ("pay_case_text", "The case is closed as paid and cannot be reopened. Receipt:", "赔偿单将按已赔付结案，且不能重新打开。收据编号："),
    ("remit_disposal", "Record the proceeds as remitted", "记录收入已上缴"),
    ("remit_disposal_text", "The disposal ends with its proceeds remitted to the treasury (上缴国库), under the receipt given; this cannot be undone.", "处置将以收入上缴国库结束，并记录所填收据；此操作不能撤销。"),
    ("waive_case_text", "The department will not pay for this damage or loss, and this cannot be undone. Say why: the reason goes into the asset's history.", "该部门将不再为此损坏或丢失赔偿，且不能撤销。请填写理由，理由会记入资产履历。"),
    ("cancel_stocktake", "Cancel stocktake", "取消盘点"),
    ("cancel_stocktake_text", "What it counted so far is set aside and nothing is marked missing; this cannot be undone.", "已盘到的结果将作废，不会标记任何资产缺失；取消后不能恢复。"),
    ("inspect_rest_fine", "All fine (the rest)", "其余全部完好"),
    ("inspect_rest_fine_hint", "Choose damaged or missing for the exceptions, then “All fine (the rest)”: every item left at “not yet” is recorded as fine. “Record the inspection” records only the items chosen.", "先为有问题的资产选择“损坏”或“缺失”，再点“其余全部完好”：仍为“暂不验收”的资产都记为完好。“提交验收结果”只记录已选择的资产。"),
    ("returned_at", "Returned", "归还时间"),
    // vocabulary
    ("loan", "Loan", "出借"),
    ("return", "Return", "归还"),
    ("transfer", "Transfer", "调配"),
    ("my_transfers", "My transfers", "我的调配"),
    ("webhooks", "Webhooks", "事件推送"),
    ("times_in", "Times are in", "时间均为"),
    ("webhooks_help", "Other systems hear of events: each event a webhook asks for is posted to its http:// URL, signed with HMAC-SHA256 (X-Depot-Signature), and tried again until the receiver answers 2xx, eight times at most.", "其他系统通过事件推送获知事件：所订阅的每个事件都以 HMAC-SHA256 签名（X-Depot-Signature）推送到其 http:// 地址，接收方未返回 2xx 时重试，最多八次。"),
    ("url", "URL", "地址"),
    ("event_actions", "Event actions (comma-separated; empty: every event)", "事件动作（逗号分隔；留空：全部事件）"),
    ("every_event", "every event", "全部事件"),
    ("register_webhook", "Register", "登记"),
    ("secret_once", "The signing secret, shown this once: give it to the receiver now.", "签名密钥，仅显示这一次：请立即交给接收方。"),
    ("deliveries", "Deliveries", "推送记录"),
    ("waiting", "waiting", "待推送"),
    ("delivered", "delivered", "已送达"),
    ("dead_letter", "given up", "已放弃"),
    ("attempts", "Attempts", "尝试次数"),
    ("last_answer", "Last answer", "最近回应"),
    ("replay", "Send again", "重新推送"),
    ("hand_in", "Hand in to the depot", "上缴公物仓"),
    ("hand_in_reason", "Why (optional)", "原因（可选）"),
    ("handed_in", "offered to the depot", "已申请上缴"),
    ("withdraw_hand_in", "Withdraw", "撤回"),
    ("hand_ins", "Handed in by departments", "单位上缴的资产"),
    ("hand_ins_keeper_help", "Assets departments hand back to the depot: take each in when it arrives, at the zone it goes to.", "各单位交回公物仓的资产：到货后逐件收归并放入库区。"),
    ("take_in", "Take in", "收归入库"),
    ("new_transfer", "Request a transfer", "申请调配"),
    ("transfer_help", "A transfer gives your department assets to keep for good: ask for a number of a category, or name specific assets.", "调配是将资产长期划拨给本单位：按类别和数量申请，或指定具体资产。"),
    ("disposal", "Disposal", "处置"),
    ("compensation", "Compensation", "赔偿"),
    ("stocktake", "Stocktake", "盘点"),
    ("gate", "Gate", "门禁"),
    ("category", "Category", "类别"),
    ("all_categories", "All categories", "全部类别"),
    ("search", "Search", "搜索"),
    ("search_hint", "Name or code", "名称或编码"),
    ("from", "From", "开始日期"),
    ("to", "To", "结束日期"),
    ("check", "Show availability", "查询可借数量"),
    ("available", "Available", "可借"),
    ("depot_stock", "Can be borrowed for these dates", "所选日期可借"),
    ("listed_by_departments", "Listed by departments", "各单位挂出"),
    ("listed_assets", "Virtual-depot listings", "虚拟公物仓挂出的资产"),
    ("request", "Request", "申请"),
    ("request_this", "Request this asset", "申请此资产"),
    ("quantity", "Quantity", "数量"),
    ("specific_assets", "Specific assets (IDs, comma-separated)", "指定资产（编号，逗号分隔）"),
    ("purpose", "Purpose or event", "用途或活动"),
    ("purpose_hint", "e.g. Tuesday conference", "例如：周二会议"),
    ("submit_request", "Submit request", "提交申请"),
    ("request_help", "Ask for a number of a category, or name specific assets. Dates are inclusive.", "按类别和数量申请，或指定具体资产。日期含首尾两天。"),
    ("id", "No.", "编号"),
    ("department", "Department", "单位"),
    ("dates", "Dates", "日期"),
    ("status", "Status", "状态"),
    ("state", "State", "状态"),
    ("overdue", "overdue", "逾期"),
    ("lines", "Requested", "申请内容"),
    ("requested_by", "Requested by", "申请人"),
    ("reserved_assets", "Assets", "资产"),
    ("history", "History", "历史"),
    ("timeline", "Timeline", "履历"),
    ("when", "When", "时间"),
    ("who", "Who", "操作人"),
    ("what", "What", "事项"),
    ("reason", "Reason", "原因"),
    ("nothing", "Nothing here.", "暂无记录。"),
    ("cancel", "Cancel", "撤销"),
    ("approve", "Approve", "批准"),
    ("reject", "Reject", "驳回"),
    ("reject_reason", "Reason for rejecting", "驳回原因"),
    ("sign_off", "Sign off", "财务签批"),
    ("refuse", "Refuse", "财务驳回"),
    ("refuse_reason", "Reason for refusing", "财务驳回原因"),
    ("sign_off_help", "The depot approved this loan and reserved its assets; a loan of this value or length also needs finance's sign-off.", "公物仓已批准并预留资产；此金额或期限的出借还需财务签批。"),
    ("why_finance", "Why finance", "需财务审批的原因"),
    ("reserved_value", "Value reserved", "预留资产原值"),
    ("review", "Review", "审阅"),
    ("approve_help", "The assets below were chosen automatically; untick or add to adjust.", "以下资产为自动分配，可取消勾选或补充调整。"),
    ("extra_assets", "Other assets (IDs, comma-separated)", "其他资产（编号，逗号分隔）"),
    ("issue", "Issue", "出库"),
    ("issue_all", "Issue everything picked", "全部出库"),
    ("condition", "Condition", "验收结果"),
    ("fine", "fine", "完好"),
    ("damaged", "damaged", "损坏"),
    ("missing_item", "missing", "缺失"),
    ("note", "Note", "备注"),
    ("zone", "Zone", "库区"),
    ("take_back", "Take back", "确认归还"),
    ("name", "Name", "名称"),
    ("name_zh", "Name in Chinese", "中文名称"),
    ("name_en", "Name in English", "英文名称"),
    ("epc", "EPC", "EPC"),
    ("tag_uri", "Tag URI", "标签 URI"),
    ("value", "Original value", "原值"),
    ("place", "Place", "位置"),
    ("holder", "Held by", "使用单位"),
    ("owner", "Owner", "所有单位"),
    ("acquired_on", "Acquired", "购置日期"),
    ("list_it", "List in the virtual depot", "挂到虚拟公物仓"),
    ("unlist_it", "Withdraw from the virtual depot", "从虚拟公物仓撤下"),
    ("idle_assets", "Idle assets", "闲置资产"),
    ("virtual_help", "Assets your department owns. List idle ones so other departments can borrow them; they stay with you.", "本单位所有的资产。挂出闲置资产供其他单位借用，资产不移动。"),
    ("transfer_requests", "Transfer requests", "调配申请"),
    ("loan_requests", "Loan requests", "出借申请"),
    ("loan_request", "loan request", "出借申请"),
    ("transfer_request", "transfer request", "调配申请"),
    ("disposal_approval", "disposal awaiting approval", "待审批处置"),
    ("disposal_approvals", "Disposals awaiting approval", "待审批的处置"),
    ("four_eyes_hint", "approved by an admin who neither proposed nor appraised it", "须由未提出、未评估的另一位管理员审批"),
    ("proposed_by", "Proposed by", "提出人"),
    ("hand_over", "Hand over", "交付"),
    ("appraise", "Appraise", "评估"),
    ("appraised_value", "Appraised value (yuan)", "评估价值（元）"),
    ("appraiser", "Appraiser", "评估机构"),
    ("sell", "Sold at auction", "拍卖成交"),
    ("sale_price", "Sale price (yuan)", "成交价（元）"),
    ("buyer", "Buyer", "买受人"),
    ("scrap", "Scrap", "报废"),
    ("remit", "Proceeds remitted", "收入上缴国库"),
    ("receipt", "Receipt number", "缴款凭证号"),
    ("proceeds", "Proceeds", "处置收入"),
    ("remitted", "remitted", "已上缴"),
    ("users", "Users", "用户"),
    ("departments", "Departments", "单位"),
    ("warehouses", "Warehouses", "仓库"),
    ("zones", "Zones", "库区"),
    ("code", "Code", "编码"),
    ("role", "Role", "角色"),
    ("active", "Active", "启用"),
    ("edit", "Edit", "编辑"),
    ("reset_password", "Reset the password", "重置密码"),
    ("reset_password_help", "Give them a new password of at least 10 characters; their sessions and API tokens end.", "设置至少 10 个字符的新密码；其登录和 API 令牌随即失效。"),
    ("new_password", "New password", "新密码"),
    ("disable_user", "Disable: no more sign-in", "停用（不能再登录）"),
    ("disable_help", "A disabled user keeps their name in the history but can no longer sign in; their sessions end.", "停用后用户的履历保留，但不能再登录，其登录随即失效。"),
    ("enable_user", "Enable: may sign in again", "启用（可再次登录）"),
    ("address", "Address", "地址"),
    ("kind", "Kind", "类型"),
    ("warehouse", "Warehouse", "仓库"),
    ("add", "Add", "添加"),
    ("propose_disposal", "Propose for disposal", "提出处置申请"),
    ("asset_ids", "Assets (IDs, comma-separated)", "资产（编号，逗号分隔）"),
    ("repair", "Repaired", "已修复"),
    ("repair_cost", "Repair cost (yuan)", "维修费用（元）"),
    ("pay", "Paid", "已赔付"),
    ("waive", "Waive", "免除"),
    ("to_pick", "Approved loans to pick", "待拣货的出借单"),
    ("to_inspect", "Loans out, to take back", "待归还验收的出借单"),
    ("source_class", "Source", "来源"),
    ("model", "Model", "规格型号"),
    ("serial_number", "Serial number", "序列号"),
    ("supplier", "Supplier", "供应商"),
    ("acquisition_method", "Acquired by", "取得方式"),
    ("acq_purchase", "Purchase", "购置"),
    ("acq_transfer", "Transfer in", "调拨"),
    ("acq_donation", "Donation", "接受捐赠"),
    ("acq_other", "Other", "其他"),
    ("funding_source", "Funding source", "经费来源"),
    ("finance_card_no", "Finance card no.", "资产卡片号"),
    ("useful_life_months", "Useful life (months)", "使用年限（月）"),
    ("depreciated_months", "Months depreciated", "已提折旧月数"),
    ("accumulated_depreciation", "Accumulated depreciation", "累计折旧"),
    ("depreciation_report", "Depreciation by month", "折旧月报"),
    ("depreciation_rule", "Straight line over each asset's useful life (its own, else its category's), no residual value, as government accounting keeps it: an asset is charged from the month after it was acquired until its life is used up; the assets on the books at the month's end (acquired by then, not disposed of by then).", "按政府会计准则采用年限平均法，不考虑预计净残值：按资产（或其类别）的使用年限，自取得的次月起计提，至提足为止；统计月末在账的资产（已取得、尚未处置）。"),
    ("depreciation_this_month", "Charged this month", "本月折旧"),
    ("undepreciated", "Not depreciated (no acquisition date or useful life)", "未计提（无取得日期或使用年限）"),
    ("net_value", "Net value", "净值"),
    ("import_register", "Import the register", "导入资产台账"),
    ("import_help", "A CSV (UTF-8) or XLSX file with this header. Checking stores nothing: every error is listed by line and column. The import takes the whole file or nothing.", "CSV（UTF-8）或 XLSX 文件，表头如下。检查不保存任何数据：所有错误按行和列列出。导入要么整个文件全部导入，要么一条也不导入。"),
    ("register_file", "Register file", "台账文件"),
    ("check_file", "Check the file", "检查文件"),
    ("export_csv", "Export as CSV", "导出为 CSV"),
    ("export_register_csv", "The whole register as CSV", "导出全部资产台账（CSV）"),
    ("export_register_xlsx", "as Excel (XLSX)", "导出为 Excel（XLSX）"),
    ("export_xlsx", "Export as XLSX", "导出为 XLSX"),
    ("preview", "Preview: nothing stored yet", "预览：尚未保存"),
    ("import_done", "Imported", "已导入"),
    ("rows", "Rows", "行数"),
    ("epcs_assigned", "EPCs to commission", "待分配 EPC"),
    ("import_refused", "The file cannot be imported as it is: nothing was stored. Correct these cells and check it again.", "文件目前无法导入，未保存任何数据。请更正以下单元格后重新检查。"),
    ("line", "Line", "行"),
    ("column", "Column", "列"),
    ("problem", "Problem", "问题"),
    ("more_errors", "More errors not shown", "未显示的其他错误"),
    ("import_now", "Import", "导入"),
    ("event_purchase", "Big-event purchase", "大型活动购置"),
    ("abolished_body", "Abolished temporary body", "撤销临时机构"),
    ("institutional_reform", "Institutional reform", "机构改革"),
    ("other_idle", "Other idle assets", "其他闲置资产"),
    ("description", "Description", "说明"),
    ("items", "Items", "物品"),
    ("item_help", "Optional: the EPCs already on the tags, one line per item (as many lines as the quantity), in hex. Left empty, each item gets a new GIAI-96 EPC.", "可选：标签上已有的 EPC，每件一行（行数与数量相同），十六进制。留空则为每件自动分配 GIAI-96 EPC。"),
    ("register_items", "Register and commission tags", "登记并写入标签"),
    ("receive", "Receive into zone", "入库到库区"),
    ("awaiting", "Awaiting receipt", "待入库"),
    ("labels", "Labels", "标签"),
    ("print_labels_on", "Print labels on", "打印标签："),
    ("label_sheet", "Printable label sheet", "可打印标签页"),
    ("labels_zpl", "Labels as ZPL", "ZPL 标签文件"),
    ("asset_no", "No.", "编号"),
    ("labels_sent", "Labels sent to the printer", "标签已发送到打印机"),
    ("stock_by_state", "Stock by state", "按状态统计"),
    ("stock_by_category", "Stock by category", "按类别统计"),
    ("utilisation", "Utilisation (days on loan per days held)", "利用率（出借天数／持有天数）"),
    ("overdue_loans", "Overdue loans", "逾期出借"),
    ("compensation_cases", "Compensation cases", "赔偿案件"),
    ("proceeds_remitted", "Proceeds remitted", "已上缴国库收入"),
    ("money_saved", "Saved by lending instead of renting", "以借代租节约资金"),
    ("figures", "Figures by department", "分部门统计"),
    ("figures_rule", "Each thing counts in the period it happened in: an asset lent or transferred on the day it was handed over (a loan handed over on days in two periods is a batch in both, each asset once) and its days lent to the day it came back (or today); an asset handed in (上缴) when it was received; a disposed asset when sold or scrapped; proceeds when remitted; a market rental on its first day. Batches / items.", "各项按发生的期间计：出借、调配的资产按交付当天计（一批出借分两个期间交付的，两期各计一批，每件资产只计一次），出借天数计至归还（或今日）；接收上缴的资产按入库当天计；处置的资产按拍卖或报废当天计；处置收入按上缴国库当天计；社会租用按起租日计。批次 / 件数。"),
    ("month", "Month", "月份"),
    ("loan_batches", "Loans / items lent", "出借批次 / 件数"),
    ("transfer_batches", "Transfers / items", "调配批次 / 件数"),
    ("hand_in_batches", "Hand-ins (上缴) / items", "接收上缴批次 / 件数"),
    ("disposal_batches", "Disposals / items", "处置批次 / 件数"),
    ("depot_itself", "The depot itself", "公物仓本级"),
    ("lent_value", "Days lent at market rent", "出借天数按市场租金计"),
    ("how_computed", "How it is computed", "计算方法"),
    ("savings_rule", "Saved by lending instead of renting = the sum, over every asset lent, of the days it was out (the day it went out and the day it came back both count; one still out counts to today) × its category's market daily rental price, less what market rentals for loans' shortfalls cost (cancelled ones excluded). A table lent twice for three days at ¥10 a day counts ¥60, whatever it cost to buy and however many loans it went out on. Categories without a price count nothing.", "以借代租节约资金 = 每件出借资产的出借天数（出库当天与归还当天均计；尚未归还的计至今日）× 该类别的市场日租金，逐件相加，再减去为补足库存而社会租用的费用（已取消的不计）。一张桌子出借两次、每次三天、日租金 10 元，计 60 元，与其购置价和出借次数无关。未定市场租金的类别不计。"),
    ("unpriced", "Without a market price, counting nothing", "未定市场租金、不计入的类别"),
    ("days_lent", "Days lent", "出借天数"),
    ("market_daily_rent", "Market daily rent of one", "市场日租金（单件）"),
    ("no_price", "no price", "未定价"),
    ("counts_nothing", "counts nothing", "不计"),
    ("rental", "Market rental", "社会租用"),
    ("rentals", "Market rentals", "社会租用"),
    ("rentals_hint", "What the depot could not supply for a loan, rented from a supplier: ordered, received by the keeper, returned to the supplier.", "公物仓库存不足的部分向社会租用：下单，保管员接收，归还租赁方。"),
    ("rental_supplier", "Supplier", "租赁方"),
    ("daily_price", "Daily price of one", "单件日租金"),
    ("days", "Days", "天数"),
    ("rental_cost", "Rental cost", "租用费用"),
    ("record_rental", "Record a rental for the shortfall", "登记不足部分的社会租用"),
    ("shortfall_help", "Approve what the depot has, and record a market rental for the rest below.", "批准公物仓现有的资产，其余部分在下方登记社会租用。"),
    ("starts_on", "First day", "起始日"),
    ("ends_on", "Last day", "结束日"),
    ("total_optional", "Total (¥; empty: quantity × days × daily price)", "总价（元；留空按 数量 × 天数 × 日租金）"),
    ("receive_rental", "Received from the supplier", "已从租赁方收到"),
    ("return_rental", "Returned to the supplier", "已归还租赁方"),
    ("cancel_rental", "Cancel the rental", "取消租用"),
    ("return_rental_title", "Return the rented items to the supplier", "将租用物品退还供应商"),
    ("return_rental_text", "The rented items are recorded as back with the supplier: the rental is closed and cannot be reopened.", "租用物品将记为已退还供应商：该租用随即结束，且不能重新打开。"),
    ("cancel_rental_text", "The rental no longer counts in the loan's cost or the money saved, and cannot be ordered again. Say why: the reason goes into the loan's history.", "该租用将不再计入借用成本和节约金额，且不能恢复。请填写原因，原因会记入借用单履历。"),
    ("ordered", "ordered", "已下单"),
    ("received", "received", "已收到"),
    ("act_rental_rent", "market rental ordered", "社会租用已下单"),
    ("act_rental_receive", "rented items received", "租用物品已收到"),
    ("act_rental_return", "rented items returned to the supplier", "租用物品已归还租赁方"),
    ("act_rental_cancel", "market rental cancelled", "社会租用已取消"),
    ("count", "Count", "数量"),
    ("amount", "Amount", "金额"),
    ("csv", "CSV", "CSV"),
    ("total", "Total", "合计"),
    ("at_least", "at least", "至少"),
    ("pages", "Pages", "分页"),
    ("epcs_on_tags", "EPCs already on the tags (optional)", "标签已有的 EPC（可选）"),
    ("no_reader_for_scope", "No reader counts these zones: type or scan the EPCs below, or upload a handheld's file.", "没有读写器覆盖这些区域：请在下方输入或扫描 EPC，或上传手持机导出文件。"),
    ("handheld_hint", "A reader offline, or a shelf no reader covers: once the count runs, type or scan the EPCs there below, or upload a handheld's file.", "读写器离线或有货架未覆盖时：盘点开始后，在下方输入或扫描该处的 EPC，或上传手持机导出文件。"),
    ("count_by_hand", "Count without the fixed readers", "不用固定读写器盘点"),
    ("count_by_hand_hint", "When a reader is offline or does not cover a shelf: choose where you stand, then type or scan the EPCs there, one per line (a scanner ends each with Enter).", "读写器离线或未覆盖某个货架时：选择您所在的区域，再逐行输入或扫描该处的 EPC（扫描枪每个以回车结束）。"),
    ("counted_at", "Counted at", "清点区域"),
    ("typed_here", "EPCs here, one per line", "该处的 EPC，每行一个"),
    ("handheld_upload", "Or a handheld's file", "或上传手持机导出文件"),
    ("handheld_file_hint", "Its exported file (epc,antenna,rssi_dbm,at): each read counts where the handheld's antenna is mapped.", "导出文件（epc,antenna,rssi_dbm,at）：每条读取计入手持机天线所对应的区域。"),
    ("handheld", "Handheld", "手持机"),
    ("handheld_file", "The handheld's file (CSV)", "手持机导出文件（CSV）"),
    ("count_reads", "Count these reads", "计入盘点"),
    ("no_handheld", "To upload a handheld's file, an admin first adds the handheld on the readers page (address “handheld:”).", "如需上传手持机导出文件，请管理员先在读写器页面添加手持机（地址填“handheld:”）。"),
    ("previous_page", "Previous", "上一页"),
    ("first_page", "First page", "第一页"),
    ("next_page", "Next", "下一页"),
    ("figures_as_of", "As of", "统计时间"),
    ("back", "Back", "返回"),
    ("confirm", "Yes, do it", "确认执行"),
    ("cancel_loan", "Cancel loan", "撤销借用单"),
    ("cancel_loan_text", "Its reserved assets are released and the requester is told. Say why: the reason goes into the loan's history.", "已预留的资产将被释放，并通知申请人。请填写原因，原因会记入借用单履历。"),
    ("approve_loan", "Approve loan", "批准借用单"),
    ("approve_loan_text", "The {n} assets chosen are reserved for its dates and the requester is told.", "所选的 {n} 项资产将按借用日期预留，并通知申请人。"),
    ("issue_early", "Issue before the first day: loan", "提前出库：借用单"),
    ("issue_early_text", "The loan starts on {day}, in {n} days. Issue the assets now all the same?", "借用开始日期为 {day}，还有 {n} 天。仍要现在出库吗？"),
    ("approve_disposal", "Approve disposal", "批准处置单"),
    ("approve_disposal_text", "Once approved, the assets can be sold or scrapped; this cannot be undone.", "批准后资产可被拍卖或报废，不能撤回。"),
    ("scrap_disposal", "Scrap disposal", "报废：处置单"),
    ("scrap_disposal_text", "The assets are disposed of for good and leave the depot. Say why: the reason goes into their history.", "资产将永久处置并移出公物仓。请填写原因，原因会记入履历。"),
    ("hand_over_transfer", "Hand over transfer", "交付调拨单"),
    ("approve_transfer", "Approve transfer", "批准调配单"),
    ("approve_transfer_text", "Approving reserves the assets for the department; the keeper hands them over next, and a cancellation releases them.", "批准后资产将为该部门预留，随后由保管员交付；取消会释放预留。"),
    ("reject_loan", "Reject loan", "驳回借用单"),
    ("reject_loan_text", "The request is closed for good and the requester is told; a rejected loan cannot be reopened. Say why: the reason goes into the loan's history.", "申请将被驳回并通知申请人，驳回后不能恢复。请填写原因，原因会记入借用单履历。"),
    ("refuse_loan", "Refuse the sign-off: loan", "财务驳回：借用单"),
    ("refuse_loan_text", "The loan is rejected for good: its reserved assets are released and the requester is told. Say why: the reason goes into the loan's history.", "借用单将被驳回，不能恢复：已预留的资产将被释放，并通知申请人。请填写原因，原因会记入借用单履历。"),
    ("reject_transfer", "Reject transfer", "驳回调配单"),
    ("reject_transfer_text", "The request is closed for good and the department is told; a rejected transfer cannot be reopened. Say why: the reason goes into the transfer's history.", "申请将被驳回并通知申请部门，驳回后不能恢复。请填写原因，原因会记入调配单履历。"),
    ("reject_disposal", "Reject disposal", "驳回处置单"),
    ("reject_disposal_text", "The disposal is closed for good and its assets go back into stock. Say why: the reason goes into their history.", "处置单将被驳回，不能恢复，其资产重新入库。请填写原因，原因会记入履历。"),
    ("cancel_disposal", "Cancel disposal", "撤销处置单"),
    ("cancel_disposal_text", "The proposal is withdrawn for good and its assets go back into stock. Say why: the reason goes into their history.", "处置申请将被撤销，不能恢复，其资产重新入库。请填写原因，原因会记入履历。"),
    ("delete_kit", "Delete the kit", "删除套装"),
    ("delete_kit_text", "A deleted kit cannot be brought back (a kit that loans asked for is kept).", "删除后不能恢复（已被借用单申请过的套件不能删除）。"),
    ("delete_webhook", "Delete webhook", "删除事件推送"),
    ("delete_webhook_text", "Its receiver gets no more events and its delivery log is deleted with it; this cannot be undone.", "接收方将不再收到事件，投递记录一并删除，不能撤回。"),
    ("delete_reader", "Delete reader", "删除读写器"),
    ("delete_reader_text", "Its connection stops and its antennas no longer count reads; what it read stays in the event log. This cannot be undone.", "读写器连接将停止，其天线不再计入读取；已读取的记录仍保留在事件日志中。不能撤回。"),
    ("hand_over_text", "The assets become the department's for good: ownership moves to it. This cannot be undone.", "资产将永久归属该部门，所有权随之转移，不能撤回。"),
    ("finish_stocktake", "End the stocktake", "结束盘点"),
    ("finish_uncounted_text", "{n} of {total} expected assets have not been counted: they will be listed missing.", "预期的 {total} 项资产中还有 {n} 项未盘到，结束后将列为缺失。"),
    ("mark_missing_lost", "Mark the ticked missing assets lost", "将勾选的缺失资产标记为丢失"),
    ("mark_missing_lost_text", "Each ticked asset is marked lost with this one reason, logged on each; “Found” on an asset's page undoes it.", "每项勾选的资产都将以此原因标记为丢失并记入履历；可在资产页面点“找回”撤销。"),
    ("confirm_sale", "Sell below the appraisal?", "低于评估价售出？"),
    ("record_sale", "Record the sale?", "确认记录售出？"),
    ("record_sale_text", "Disposal {id} is recorded sold for {price} to {buyer}: its assets leave the depot for good and the proceeds are to be remitted. This cannot be undone.", "处置单 {id} 将记录为以 {price} 售予 {buyer}：其资产永久移出公物仓，收入待上缴。此操作不能撤销。"),
    ("confirm_lost", "Mark this asset lost?", "将此资产标记为丢失？"),
    ("confirm_inspection", "Record these assets missing or damaged?", "确认登记这些资产缺失或损坏？"),
    ("confirm_inspection_text", "{missing} will be recorded missing and {damaged} damaged: {assets}. Each opens a compensation case against the borrowing department, which this page cannot undo.", "将登记 {missing} 项缺失、{damaged} 项损坏：{assets}。每项都会向借用单位立案赔偿，本页无法撤销。"),
    ("and_n_more", "and {n} more", "另有 {n} 项"),
    ("list_separator", ", ", "、"),
    ("confirm_retag", "Give this asset a new tag?", "为此资产更换标签？"),
    ("confirm_retag_text", "Its old EPC is retired: readers will not know the old tag any more. The reason and both EPCs go into the asset's history.", "旧 EPC 将作废，读写器不再识别旧标签。原因和新旧 EPC 会记入资产履历。"),
    ("retag", "Re-tag (damaged tag)", "更换标签（标签损坏）"),
    ("retag_help", "Leave the EPC empty to have Depot assign a new one.", "EPC 留空则由系统分配新的编码。"),
    ("new_epc", "New EPC (optional)", "新 EPC（可选）"),
    ("confirm_lost_text", "The reason goes into the asset's history. “Found” on its page undoes it.", "原因会记入资产履历。可在资产页面点“找回”撤销。"),
    ("found_asset", "Found (找回)", "找回"),
    ("found_help", "The asset turned up again: it goes back in stock, in the zone chosen; the reason is logged.", "资产已找到：回到在库状态（放入所选区域），原因记入履历。"),
    ("approve_own", "You proposed or appraised this disposal: another admin approves it.", "此处置由您提出或评估：须由另一位管理员批准。"),
    // CSV column names for people (`?codes=1` gives the codes).
    ("csv_from", "From", "起始日期"),
    ("csv_to", "To", "截止日期"),
    ("csv_department_code", "Department code", "部门代码"),
    ("csv_department", "Department", "部门"),
    ("csv_loans", "Loans", "借用单数"),
    ("csv_items_lent", "Items lent", "借出件数"),
    ("csv_days_lent", "Days lent", "借出天数"),
    ("csv_transfers", "Transfers", "调拨单数"),
    ("csv_items_transferred", "Items transferred", "调拨件数"),
    ("csv_hand_ins", "Hand-ins", "上缴单数"),
    ("csv_items_handed_in", "Items handed in", "上缴件数"),
    ("csv_disposals", "Disposals", "处置单数"),
    ("csv_items_disposed", "Items disposed of", "处置件数"),
    ("csv_proceeds_remitted_yuan", "Proceeds remitted (yuan)", "上缴收入（元）"),
    ("csv_rentals", "Rentals", "租赁单数"),
    ("csv_rental_cost_yuan", "Rental cost (yuan)", "租赁费用（元）"),
    ("csv_lent_value_yuan", "Value lent (yuan)", "借出资产原值（元）"),
    ("csv_saved_yuan", "Saved (yuan)", "节约金额（元）"),
    ("csv_month", "Month", "月份"),
    ("csv_category_code", "Category code", "类别代码"),
    ("csv_category", "Category", "类别"),
    ("csv_assets", "Assets", "资产数"),
    ("csv_undepreciated", "Not depreciated", "不计提折旧数"),
    ("csv_original_value_yuan", "Original value (yuan)", "原值（元）"),
    ("csv_depreciation_this_month_yuan", "Depreciation this month (yuan)", "本月折旧（元）"),
    ("csv_accumulated_depreciation_yuan", "Accumulated depreciation (yuan)", "累计折旧（元）"),
    ("csv_net_value_yuan", "Net value (yuan)", "净值（元）"),
    ("csv_in_stock", "In stock", "在库"),
    ("csv_reserved", "Reserved", "已预留"),
    ("csv_on_loan", "On loan", "借出"),
    ("csv_listed", "Listed (virtual depot)", "虚拟仓挂出"),
    ("csv_other", "Other", "其他"),
    ("csv_value_yuan", "Original value (yuan)", "原值（元）"),
    ("csv_utilisation", "Utilisation", "利用率"),
    ("csv_asset_id", "Asset number", "资产编号"),
    ("csv_name", "Name", "名称"),
    ("csv_last_issued", "Last issued", "最近出借时间"),
    ("csv_loan_id", "Loan", "借用单号"),
    ("csv_waiting", "Waiting", "待办"),
    ("csv_purpose", "Purpose", "用途"),
    ("csv_starts_on", "First day", "开始日期"),
    ("csv_ends_on", "Last day", "归还日期"),
    ("csv_status", "Status", "状态"),
    ("csv_case_id", "Case", "赔偿单号"),
    ("csv_asset", "Asset", "资产"),
    ("csv_amount_yuan", "Amount (yuan)", "金额（元）"),
    ("csv_receipt_number", "Receipt number", "收据编号"),
    ("csv_rental_id", "Rental", "租赁单号"),
    ("export_list_csv", "This list (CSV)", "导出本列表（CSV）"),
    ("csv_transfer_id", "Transfer", "调剂单号"),
    ("csv_requester", "Requested by", "申请人"),
    ("csv_requested_at", "Requested at", "申请时间"),
    ("csv_supplier", "Supplier", "供应商"),
    ("csv_quantity", "Quantity", "数量"),
    ("csv_daily_price_yuan", "Daily price (yuan)", "日租金（元）"),
    ("csv_total_yuan", "Total (yuan)", "合计（元）"),
    ("csv_disposal_id", "Disposal", "处置单号"),
    ("csv_reason", "Reason", "理由"),
    ("csv_appraised_yuan", "Appraised (yuan)", "评估价（元）"),
    ("csv_method", "Method", "处置方式"),
    ("csv_sale_price_yuan", "Sale price (yuan)", "成交价（元）"),
    ("csv_buyer", "Buyer", "买受人"),
    ("csv_remitted_at", "Remitted at", "上缴时间"),
    ("csv_epc", "EPC", "EPC"),
    ("csv_username", "Login", "登录名"),
    ("csv_display_name", "Name", "姓名"),
    ("csv_role", "Role", "角色"),
    ("csv_active", "Active", "启用"),
    ("yes", "Yes", "是"),
    ("no", "No", "否"),
    ("csv_outcome", "Outcome", "盘点结果"),
    ("csv_expected_zone", "Expected zone", "应在库位"),
    ("csv_seen_zone", "Seen in zone", "实盘库位"),
    ("csv_other_zone", "Or zone", "或库位"),
    ("csv_resolution", "Dealt with", "处理结果"),
    ("csv_resolved_at", "Dealt with at", "处理时间"),
    ("csv_place", "Place", "位置"),
    ("csv_intake_id", "Intake", "入库单号"),
    ("csv_created_at", "Opened at", "开立时间"),
    ("csv_source_class", "Source", "来源"),
    ("csv_description", "Description", "说明"),
    ("csv_items", "Items", "件数"),
    ("csv_awaiting_receipt", "Awaiting receipt", "待入库件数"),
    ("csv_returned_at", "Returned at", "归还时间"),
    ("csv_stocktake_id", "Stocktake", "盘点单号"),
    ("csv_warehouse", "Warehouse", "仓库"),
    ("csv_zones", "Zones", "库区"),
    ("csv_started_at", "Started at", "开始时间"),
    ("csv_finished_at", "Finished at", "结束时间"),
    ("csv_expected", "Expected", "应有"),
    ("csv_found", "Found", "已盘到"),
    ("csv_misplaced", "Misplaced", "位置不符"),
    ("csv_missing", "Missing", "盘亏"),
    ("csv_unexpected", "Unexpected", "盘盈"),
    ("csv_between", "Between two zones", "位置待核"),
    ("csv_passed_at", "Passed at", "通过时间"),
    ("csv_gate", "Gate", "门禁"),
    ("csv_direction", "Direction", "方向"),
    ("csv_order_kind", "Paperwork", "单据类型"),
    ("csv_order_id", "Paperwork number", "单据编号"),
    ("csv_about", "About", "事由"),
    ("csv_notified_at", "Notified at", "通知时间"),
    ("csv_title", "Title", "标题"),
    ("csv_text", "Text", "内容"),
    ("csv_read", "Read", "已读"),
    ("csv_delivery_id", "Delivery number", "投递编号"),
    ("csv_event_id", "Event number", "事件编号"),
    ("csv_action", "Action", "操作"),
    ("csv_attempts", "Attempts", "尝试次数"),
    ("csv_delivered_at", "Delivered at", "送达时间"),
    ("csv_dead_at", "Given up at", "放弃时间"),
    ("csv_last_status", "Last HTTP status", "最近 HTTP 状态"),
    ("csv_last_error", "Last error", "最近错误"),
    ("csv_out_on_loan", "Still out on loan", "仍借出于借用单"),
    ("csv_due_back_on", "Due back on", "应还日期"),
    ("csv_replacement_id", "Proposed replacement number", "建议替换资产编号"),
    ("csv_replacement", "Proposed replacement", "建议替换资产"),
    ("csv_kit_id", "Kit number", "套件编号"),
    ("csv_parts", "Parts", "组成"),
    ("csv_reader_id", "Reader number", "读写器编号"),
    ("csv_address", "Address", "地址"),
    ("csv_enabled", "Enabled", "已启用"),
    ("csv_antennas", "Antennas", "天线"),
    ("csv_health", "Health", "状态"),
    ("csv_driven_by", "Driven by", "驱动实例"),
    ("csv_last_read_at", "Last read", "最近读取"),
    ("csv_reads_per_s", "Reads/s", "读取/秒"),
    ("csv_errors", "Errors", "错误数"),
    ("csv_reconnects", "Reconnects", "重连次数"),
    ("csv_days", "Days", "天数"),
    ("csv_why_finance", "Why finance signs off", "需财务审批的原因"),
    ("csv_since_at", "In this status since", "进入此状态时间"),
    ("csv_due", "Due", "待办事项"),
    ("csv_due_on", "Due by", "办结期限"),
    ("csv_working_days_late", "Working days late", "超期工作日"),
    ("csv_who_acts", "Who acts", "承办方"),
    ("csv_result", "Outcome", "结果"),
    ("csv_state", "State", "状态"),
    ("csv_handed_in", "Offered to the depot", "已申请上缴"),
    ("starts_by", "Starting by", "开始日期不晚于"),
    ("done_requested", "Requested.", "已提交申请。"),
    ("done_approved", "Approved.", "已批准。"),
    ("done_rejected", "Not approved: the reason is recorded.", "已不批准，理由已记录。"),
    ("done_cancelled", "Cancelled: the reason is recorded.", "已取消，理由已记录。"),
    ("done_issued", "Issued.", "已出库。"),
    ("done_returned", "Taken back.", "已收回。"),
    ("done_handed_over", "Handed over.", "已交付。"),
    ("done_appraised", "Appraised.", "已评估。"),
    ("done_sold", "The sale is recorded.", "已记录售出。"),
    ("done_scrapped", "Scrapped (报废).", "已报废。"),
    ("done_remitted", "The proceeds are recorded as remitted.", "已记录收入上缴。"),
    ("done_proposed", "Proposed for disposal.", "已提出处置。"),
    ("done_marked_lost", "Marked lost: the reason is recorded; “Found” on an asset's page undoes it.", "已标记丢失，理由已记录；可在资产页面点“找回”撤销。"),
    ("done_recovered", "Found: the asset is back in stock.", "已找回，资产已回到在库。"),
    ("done_retagged", "Re-tagged: the asset carries its new EPC; write it to the new tag and print its label.", "已更换标签：资产已使用新的 EPC，请写入新标签并打印标签。"),
    ("done_finished", "The stocktake is finished.", "盘点已结束。"),
    ("done_user_saved", "The user is saved.", "用户已保存。"),
    ("done_password_reset", "The password is reset; their sessions are ended.", "密码已重置，其登录已失效。"),
    ("done_user_disabled", "The user is disabled; their sessions are ended.", "用户已停用，其登录已失效。"),
    ("done_user_enabled", "The user can sign in again.", "用户已启用。"),
    ("done_received", "Received into stock.", "已入库。"),
    ("done_counted", "The reads are counted.", "读取记录已计入盘点。"),
    ("done_inspected", "The inspection is recorded.", "验收已记录。"),
    ("done_saved", "Saved.", "已保存。"),
    ("done_created", "Created.", "已创建。"),
    ("done_deleted", "Deleted.", "已删除。"),
    ("done_swapped", "The booking now holds the other asset.", "预订已换成另一项资产。"),
    ("done_replayed", "Sent again: the delivery is queued.", "已重新发送，投递已排队。"),
    ("done_passage_confirmed", "The passage is confirmed and acted on as the gate would have.", "已确认通行，并按门禁规则办理。"),
    ("done_passage_dismissed", "The passage is dismissed: nothing was issued or returned.", "已驳回通行，未出库也未归还。"),
    ("done_acknowledged", "Acknowledged.", "已确认知悉。"),
    ("done_walk_started", "The walk test is running: carry the reference tags through the door.", "走测已开始：请携带参考标签通过门禁。"),
    ("done_walk_finished", "The walk test is finished: its measurements are below.", "走测已结束，测量结果见下方。"),
    ("done_walk_cancelled", "The walk test is cancelled.", "走测已取消。"),
    ("done_threshold_applied", "The gate's threshold is set from the walk test.", "已按走测结果设置门禁阈值。"),
    ("error", "Something went wrong", "出错了"),
    ("not_allowed", "You may not do that.", "您无权执行此操作。"),
    ("forged", "This form has expired or did not come from Depot. Reload the page and try again.", "表单已过期或来源不明，请刷新页面后重试。"),
    // what happened, in timelines (event actions)
    ("act_register", "registered", "登记"),
    ("act_receive", "received into stock", "入库"),
    ("act_hold", "held by its department", "由单位持有"),
    ("act_reserve", "reserved", "预留"),
    ("act_release", "released", "释放预留"),
    ("act_issue", "issued", "出库"),
    ("act_return", "returned", "归还"),
    ("act_return_damaged", "returned damaged", "归还（损坏）"),
    ("act_send_to_repair", "sent to repair", "送修"),
    ("act_repair", "repaired", "修复"),
    ("act_mark_lost", "marked lost", "登记丢失"),
    ("act_recover", "recovered", "找回"),
    ("act_allocate", "transferred", "调配"),
    ("act_list", "listed in the virtual depot", "挂到虚拟公物仓"),
    ("act_unlist", "withdrawn from the virtual depot", "从虚拟公物仓撤下"),
    ("act_take_in", "taken into the depot", "收归公物仓"),
    ("act_offer_hand_in", "handed in to the depot", "申请上缴公物仓"),
    ("act_owner_consent", "lent with its department's consent (listed in the virtual depot)", "所属单位同意出借（已挂入虚拟公物仓）"),
    ("act_withdraw_hand_in", "hand-in withdrawn", "撤回上缴"),
    ("act_propose_disposal", "proposed for disposal", "提出处置"),
    ("act_withdraw_disposal", "withdrawn from disposal", "撤回处置"),
    ("act_dispose", "disposed of", "处置完成"),
    ("act_write_off", "written off", "报损"),
    ("act_relocate", "relocated", "移库"),
    ("act_retag", "re-tagged", "更换标签"),
    ("act_attach", "document attached", "添加附件"),
    ("documents", "Documents", "附件"),
    ("no_documents", "No documents yet.", "暂无附件。"),
    ("file", "File", "文件"),
    ("attach", "Attach", "上传附件"),
    ("attach_help", "A PDF, JPEG, PNG or WebP file of at most 5 MB; at most 20 an asset.", "PDF、JPEG、PNG 或 WebP 文件，不超过 5 MB；每项资产最多 20 个。"),
    ("doc_photo", "photo", "照片"),
    ("doc_invoice", "invoice", "发票"),
    ("doc_appraisal", "appraisal report", "评估报告"),
    ("doc_contract", "contract", "合同"),
    ("doc_receipt", "receipt", "收据"),
    ("doc_other", "other", "其他"),
    ("done_attached", "The document is attached.", "附件已上传。"),
    ("act_write_tag", "tag written", "写入标签"),
    ("write_tag", "Write tag", "写入标签"),
    ("write_tag_help", "Put one new tag on the desk reader, press Write tag beside its asset, and wait for it to be read back; then the next.", "在桌面读写器上放一张新标签，点击对应资产旁的“写入标签”，待读回确认后再写下一张。"),
    ("tag", "Tag", "标签"),
    ("done_tag_written", "Tag written and read back.", "标签已写入并读回确认。"),
    ("act_request", "requested", "申请"),
    ("act_approve", "approved", "批准"),
    ("act_sign_off", "signed off by finance", "财务签批"),
    ("act_refuse", "refused by finance", "财务驳回"),
    ("act_reject", "rejected", "驳回"),
    ("act_cancel", "cancelled", "撤销"),
    ("act_open", "opened", "开立"),
    ("act_complete", "completed", "完成"),
    ("act_appraise", "appraised", "评估"),
    ("act_sell", "sold at auction", "拍卖成交"),
    ("act_scrap", "scrapped", "报废"),
    ("act_remit", "proceeds remitted", "收入上缴国库"),
    ("act_pay", "paid", "赔付"),
    ("act_waive", "waived", "免除"),
    // live pages: gate, stocktakes, readers
    ("stocktakes", "Stocktakes", "盘点"),
    ("readers", "Readers", "读写器"),
    ("reader", "Reader", "读写器"),
    ("gate_view", "Gate, live", "门禁实时"),
    ("all_gates", "All gates", "全部门禁"),
    ("show", "Show", "显示"),
    ("refresh", "Refresh", "刷新"),
    ("live_hint", "This page updates as tags pass; refresh to see the latest without script.", "标签通过时本页实时更新；未启用脚本时请点刷新。"),
    ("passages", "Passages", "通行记录"),
    ("newest_passages", "Newest passages", "最新通行记录"),
    ("newer_passages", "Newer passages", "较新的通行记录"),
    ("older_passages", "Older passages", "更早的通行记录"),
    ("direction", "Direction", "方向"),
    ("dir_in", "in", "入"),
    ("dir_out", "out", "出"),
    ("outcome", "Outcome", "结果"),
    ("out_issued", "issued", "已出库"),
    ("out_returned", "returned", "已归还"),
    ("out_alert", "alert raised", "已告警"),
    ("out_none", "no change", "无变化"),
    ("order", "Order", "单据"),
    ("open_alerts", "Open alerts", "未处理告警"),
    ("alert", "Alert", "告警"),
    ("message", "Message", "内容"),
    ("acknowledge", "Acknowledge", "确认"),
    ("exit_without_order", "left without an order", "无单出门"),
    ("unknown_tag", "unknown tag", "未登记标签"),
    ("entry_without_order", "came in without an order", "无单入门"),
    ("uncertain_passage", "uncertain passage", "存疑通行"),
    ("booking_collision", "booking collision", "预订冲突"),
    ("bookings", "Bookings", "预订"),
    ("booking_collisions", "Bookings at risk: late returns", "预订冲突：逾期未还"),
    ("collisions_hint", "Booked assets that may not be back in time for a loan starting within a week: out past their last day on an earlier loan, in repair or lost. Swap each for another asset of its category free for the whole loan.", "一周内开始的出借所预订的资产可能无法按时到位：前一笔出借逾期未还、维修中或已遗失。可将其替换为同类别在整个出借期间空闲的其他资产。"),
    ("why", "Why", "原因"),
    ("still_out_on", "still out on loan", "仍在出借中，单据"),
    ("due_back", "due back", "应还日期"),
    ("swap", "Swap", "替换"),
    ("swap_for", "Swap for asset", "替换为资产"),
    ("no_replacement", "No other asset of the category is free for those dates", "该期间没有同类别的其他空闲资产"),
    ("kit", "Kit", "套装"),
    ("kits", "Kits", "套装"),
    ("kits_hint", "A kit is a named set of categories with quantities and specific assets, requested as one line and booked together.", "套装是一组命名的类别数量和指定资产，作为一行申请，一起预订。"),
    ("kit_parts", "Parts", "组成"),
    ("new_kit", "New kit", "新建套装"),
    ("kits_available", "Whole kits available", "可借整套数"),
    ("issue_kit", "Issue the kit", "整套发放"),
    ("uncertain_passages", "Uncertain passages: did it pass?", "存疑通行：是否真的通过？"),
    ("uncertain_hint", "The gate could not tell surely, so nothing was done. Confirm does what the gate would have done; dismiss records that the asset did not pass.", "门禁无法确定，因此未做任何处理。确认通过：按门禁本应的方式处理；驳回：记录该资产未通过。"),
    ("confidence", "Confidence", "置信度"),
    ("candidate_order", "Confirming would", "确认后将"),
    ("would_issue", "issue it on", "出库至"),
    ("would_return", "return it from", "归还自"),
    ("would_nothing", "record the passage only", "仅记录通行"),
    ("gate_health", "Gate health", "门禁状况"),
    ("walk_hint", "Walk test: start it, carry a few reference tags through the door in the direction you chose (several passes, at walking pace), then finish it. Depot measures the gate and suggests the confidence it should act at.", "走测：开始后，按所选方向带几枚参考标签穿过门（多走几趟，正常步速），然后结束。系统会测量门禁并建议自动处理所需的置信度。"),
    ("start_walk", "Start a walk test", "开始走测"),
    ("finish_walk", "Finish the walk test", "结束走测"),
    ("cancel_walk", "Cancel the walk test", "取消走测"),
    ("cancel_walk_confirm", "Cancel this walk test? Its reads are let go and the gate keeps its health.", "取消本次走测？已采集的读数将被丢弃，门禁健康状况保持不变。"),
    // confirmations of what a click would otherwise do at once
    ("apply_threshold_title", "Set the threshold of gate {gate}?", "设置门禁 {gate} 的阈值？"),
    ("apply_threshold_text", "Gate {gate} will act on a passage judged at least {to} sure, instead of {from} now (walk test {test}); a less sure one is asked, not acted on.", "门禁 {gate} 的自动处理置信度将由现在的 {from} 改为 {to}（走测 {test}）：置信度低于此值的通行将请人确认，不自动处理。"),
    ("swap_confirm", "Swap the booking of loan {loan}?", "替换借用单 {loan} 的预订？"),
    ("swap_confirm_text", "Loan {loan} ({department}, {from} – {to}) lets go of asset {asset} and books asset {replacement} in its place.", "借用单 {loan}（{department}，{from} 至 {to}）将释放资产 {asset}，改为预订资产 {replacement}。"),
    ("take_in_confirm", "Take asset {asset} into the depot?", "将资产 {asset} 收归公物仓？"),
    ("take_in_confirm_text", "Asset {asset} ({epc}), handed back by {department}, becomes the depot's, in stock at {zone}.", "{department} 交回的资产 {asset}（{epc}）将收归公物仓，入库到 {zone}。"),
    ("receive_confirm", "Receive intake {intake}?", "收储单 {intake} 入库？"),
    ("receive_confirm_text", "{n} assets of intake {intake} go into stock at {zone}.", "收储单 {intake} 的 {n} 项资产将入库到 {zone}。"),
    ("walk_running", "Walk test running", "走测进行中"),
    ("reads_kept", "reads so far", "已记录读取"),
    ("threshold", "Acts at confidence", "自动处理置信度"),
    ("suggested_threshold", "Suggested", "建议值"),
    ("apply_threshold", "Apply the suggested threshold", "采用建议值"),
    ("applied", "Applied", "已采用"),
    ("verdict", "Verdict", "结论"),
    ("verdict_good", "Good", "良好"),
    ("verdict_move_the_antennas", "Move the outside antennas: they hear through the doorway", "调整外侧天线：它们透过门洞读到标签"),
    ("verdict_add_a_reader", "Add a reader: too few reads per passage", "增加读写器：每次通过读取次数太少"),
    ("verdict_check_the_wiring", "Check the wiring: tags were judged the other way", "检查接线：标签方向判断相反"),
    ("verdict_no_reads", "No reads of the reference tags", "未读到参考标签"),
    ("front_to_back", "Front-to-back (dB)", "前后比（dB）"),
    ("leak", "Leak through the doorway", "门洞泄漏"),
    ("reads_per_tag_in", "Reads per tag inside", "每标签内侧读取"),
    ("reads_per_tag_out", "Reads per tag outside", "每标签外侧读取"),
    ("tags_judged", "Tags judged right / heard", "判断正确 / 读到的标签"),
    ("antenna", "Antenna", "天线"),
    ("side", "Side", "侧"),
    ("side_inside", "inside", "内侧"),
    ("side_outside", "outside", "外侧"),
    ("rssi_near", "RSSI, tag on its side (dBm)", "同侧信号（dBm）"),
    ("rssi_far", "RSSI, tag on the far side (dBm)", "对侧信号（dBm）"),
    ("reads_near_far", "Reads near / far", "同侧 / 对侧读取"),
    ("confirm_passage", "Confirm", "确认通过"),
    ("dismiss_passage", "Dismiss", "驳回"),
    ("out_uncertain", "asked", "待确认"),
    ("out_dismissed", "dismissed", "已驳回"),
    ("new_stocktake", "New stocktake", "新建盘点"),
    ("zones_optional", "Zones (none checked: the whole warehouse)", "区域（不勾选则盘点整个仓库）"),
    ("create", "Create", "创建"),
    ("start", "Start", "开始盘点"),
    ("finish", "Finish", "结束盘点"),
    ("scope", "Scope", "范围"),
    ("started_at", "Started", "开始时间"),
    ("finished_at", "Finished", "结束时间"),
    ("st_created", "created", "已创建"),
    ("st_running", "counting", "盘点中"),
    ("st_finished", "finished", "已完成"),
    ("progress", "Progress", "进度"),
    ("expected", "Expected", "应有"),
    ("oc_found", "Found", "已盘到"),
    ("oc_misplaced", "Misplaced", "位置不符"),
    ("oc_between", "Between two zones: check", "位置待核"),
    ("oc_missing", "Missing", "盘亏"),
    ("oc_unexpected", "Unexpected", "盘盈"),
    ("results", "Results", "盘点结果"),
    ("expected_zone", "Expected in", "应在区域"),
    ("seen_zone", "Seen in", "盘到区域"),
    ("follow_up", "Follow-up", "后续处理"),
    ("mark_lost", "Mark lost", "标记丢失"),
    ("relocate", "Relocate to where seen", "按盘到位置更正"),
    ("register_unknown", "Register as asset", "登记为资产"),
    ("res_marked_lost", "marked lost", "已标记丢失"),
    ("res_relocated", "relocated", "已更正位置"),
    ("res_registered", "registered", "已登记"),
    ("health", "Health", "运行状态"),
    ("last_read", "Last read", "最近读取"),
    ("reads_per_s", "Reads/s", "读取/秒"),
    ("errors", "Errors", "错误"),
    ("reconnects", "Reconnects", "重连次数"),
    ("antennas", "Antennas → zones", "天线 → 区域"),
    ("enabled", "enabled", "已启用"),
    ("disabled", "disabled", "已停用"),
    ("enable", "Enable", "启用"),
    ("disable", "Disable", "停用"),
    ("delete", "Delete", "删除"),
    ("add_reader", "Add a reader", "添加读写器"),
    ("address_hint", "llrp://HOST, uhf18:///dev/ttyUSB0?baud=57600, r2000+tcp://HOST:PORT, or handheld: for a handheld", "llrp://主机、uhf18:///dev/ttyUSB0?baud=57600、r2000+tcp://主机:端口，手持机填 handheld:"),
    ("antenna_hint", "One ANTENNA=ZONE per antenna, e.g. 1=3, 2=4 (zone numbers in the list below).", "每个天线写“天线=区域编号”，如 1=3, 2=4（区域编号见下表）。"),
    ("gates", "Gates", "门禁"),
    ("add_gate", "Add a gate", "添加门禁"),
    ("inside_zone", "Inside zone", "内侧区域"),
    ("outside_zone", "Outside zone", "外侧区域"),
    ("h_connected", "connected", "已连接"),
    ("h_connecting", "connecting", "连接中"),
    ("h_disconnected", "disconnected", "已断开"),
    ("h_handheld", "handheld", "手持机"),
    ("h_disabled", "disabled", "已停用"),
    ("h_misconfigured", "misconfigured", "配置错误"),
    ("h_none", "not running", "未运行"),
    ("h_standby", "standby", "待命"),
    ("driven_by", "Driven by", "驱动实例"),
    // states and statuses
    ("registered", "registered", "已登记"),
    ("in_stock", "in stock", "在库"),
    ("reserved", "reserved", "已预留"),
    ("on_loan", "on loan", "出借中"),
    ("in_repair", "in repair", "维修中"),
    ("lost", "lost", "丢失"),
    ("allocated", "allocated", "已调配"),
    ("pending_disposal", "pending disposal", "待处置"),
    ("disposed", "disposed", "已处置"),
    ("listed", "listed", "虚拟仓挂出"),
    ("requested", "requested", "已申请"),
    ("awaiting_finance", "awaiting finance", "待财务审批"),
    ("approved", "approved", "已批准"),
    ("partially_issued", "partially issued", "部分出库"),
    ("issued", "issued", "已出库"),
    ("returned", "returned", "已归还"),
    ("rejected", "rejected", "已驳回"),
    ("cancelled", "cancelled", "已撤销"),
    ("completed", "completed", "已完成"),
    ("appraised", "appraised", "已评估"),
    ("sold", "sold", "已拍卖"),
    ("scrapped", "scrapped", "已报废"),
    ("open", "open", "处理中"),
    ("repaired", "repaired", "已修复"),
    ("paid", "paid", "已赔付"),
    ("waived", "waived", "已免除"),
    ("damage", "damage", "损坏"),
    ("loss", "loss", "丢失"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_is_said_once() {
        let mut seen = std::collections::HashSet::new();
        for (key, _, _) in CATALOGUE {
            assert!(
                seen.insert(*key),
                "{key} is in the catalogue twice: the second is never said"
            );
        }
    }

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        let h = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_LANGUAGE, v.parse().unwrap());
            h
        };
        assert_eq!(Lang::from_headers(&h("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(
            Lang::from_headers(&h("fr-FR, en;q=0.5, zh;q=0.4")),
            Lang::En
        );
        assert_eq!(Lang::from_headers(&h("de")), Lang::En);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
        let mut both = h("en");
        both.insert(
            header::COOKIE,
            "depot_session=x; lang=zh-CN".parse().unwrap(),
        );
        assert_eq!(Lang::from_headers(&both), Lang::Zh, "the cookie wins");
    }

    #[test]
    fn money_is_yuan_from_fen() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(45_000), "¥450.00");
        assert_eq!(yuan(2_106_000_005), "¥21,060,000.05");
    }

    /// Pages show states, statuses, roles and kinds through the catalogue: every value of
    /// every enum in the schema needs a label.
    #[test]
    fn every_value_of_every_enum_in_the_schema_has_a_label() {
        // The order schema (the foundation's, and the rentals'); the readers' and
        // stocktakes' enums are shown through labels of their own (`st_…`, `oc_…`).
        let schema = [
            include_str!("../../migrations/0001_foundation.sql"),
            include_str!("../../migrations/0053_rentals.sql"),
        ]
        .concat();
        let mut missing = Vec::new();
        for part in schema.split("create type ").skip(1) {
            let Some((_, values)) = part.split_once("as enum (") else {
                continue;
            };
            let values = values.split(')').next().unwrap();
            for value in values.split(',').map(|v| v.trim().trim_matches('\'')) {
                if !CATALOGUE.iter().any(|(k, _, _)| *k == value) && value != "missing" {
                    missing.push(value.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "enum values without a label: {missing:?}"
        );
    }

    #[test]
    fn every_label_used_in_a_template_is_in_both_languages() {
        let mut keys = std::collections::BTreeSet::new();
        for (_, en, zh) in CATALOGUE {
            assert!(!en.is_empty() && !zh.is_empty());
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("c.t(\"").skip(1) {
                keys.insert(piece.split('"').next().unwrap().to_owned());
            }
        }
        let missing: Vec<_> = keys
            .iter()
            .filter(|k| !CATALOGUE.iter().any(|(c, _, _)| c == *k))
            .collect();
        assert!(
            missing.is_empty(),
            "labels missing from the catalogue: {missing:?}"
        );
    }

    #[test]
    fn every_flash_is_said_in_both_languages() {
        for key in super::super::FLASHES {
            let key = format!("done_{key}");
            assert!(
                CATALOGUE.iter().any(|(k, _, _)| *k == key),
                "{key} missing from the catalogue"
            );
        }
    }
}
