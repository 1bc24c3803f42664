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
            return format!("{field}：{translated}");
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
    if value.contains(", ") || value.contains(" or ") {
        return value
            .split(", ")
            .map(|part| {
                part.split(" or ")
                    .map(|w| {
                        WORDS
                            .iter()
                            .find(|(en, _)| *en == w)
                            .map_or(w.to_owned(), |(_, zh)| (*zh).to_owned())
                    })
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
    }

    #[test]
    fn a_field_before_a_colon_is_kept_and_the_rest_translated() {
        assert_eq!(
            chinese("appraisal: \"x\" is not an amount in yuan"),
            "appraisal：x 不是以元为单位的金额（例如 300 或 300.50）"
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
