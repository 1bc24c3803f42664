//! Request shapes the API's document gives more exactly than the types that read them:
//! a line or a kit part names one thing of three (or two), with the bounds the operation
//! checks. Each is the schema only; the body is read by the type named beside it.

use serde_json::{json, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use crate::db::kits::MAX_PART_QUANTITY;
use crate::db::orders::MAX_QUANTITY;

fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a schema the document can hold")
}

/// One of `variants`, each an object that names its own key and leaves the others out (or
/// `null`).
fn one_of(description: &str, variants: &[(&str, bool)], keys: &[&str], max: i32) -> Value {
    let variants: Vec<Value> = variants
        .iter()
        .map(|&(key, counted)| {
            let mut properties = serde_json::Map::new();
            for other in keys {
                properties.insert((*other).into(), json!({"type": "null"}));
            }
            properties.insert(key.into(), json!({"type": "integer", "format": "int64"}));
            properties.insert(
                "quantity".into(),
                if counted {
                    json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": max})
                } else {
                    json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": 1})
                },
            );
            json!({
                "type": "object",
                "required": [key],
                "properties": properties,
                "additionalProperties": false,
            })
        })
        .collect();
    json!({"description": description, "oneOf": variants})
}

macro_rules! shape {
    ($name:ident, $value:expr) => {
        pub struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                schema($value)
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

shape!(
    LoanLine,
    one_of(
        "A line of a loan request: `quantity` (1 to 10,000; default 1) of a category, one \
         specific asset, or `quantity` of a kit. Read as a `Line`.",
        &[("category_id", true), ("asset_id", false), ("kit_id", true)],
        &["category_id", "asset_id", "kit_id"],
        MAX_QUANTITY,
    )
);

shape!(
    TransferLine,
    one_of(
        "A line of a transfer request: `quantity` (1 to 10,000; default 1) of a category, or \
         one specific asset. Read as a `Line`.",
        &[("category_id", true), ("asset_id", false)],
        &["category_id", "asset_id"],
        MAX_QUANTITY,
    )
);

shape!(
    KitPart,
    one_of(
        "A part of a kit: `quantity` (1 to 10,000; default 1) of a category, or one specific \
         asset. Read as a `NewPart`.",
        &[("category_id", true), ("asset_id", false)],
        &["category_id", "asset_id"],
        MAX_PART_QUANTITY,
    )
);

/// An item of an intake: a new asset as `POST /assets` takes it, without an owner (an intake
/// hands assets to the depot). Read as a `NewAsset`.
pub struct IntakeItem;

impl utoipa::PartialSchema for IntakeItem {
    fn schema() -> RefOr<Schema> {
        let mut item = <crate::db::assets::NewAsset as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut item {
            object.properties.remove("owner_department_id");
        }
        item
    }
}

impl utoipa::ToSchema for IntakeItem {}

shape!(
    EventAction,
    json!({
        "type": "string",
        "description": "An event action: lower-case letters and `_`, at most 64.",
        "pattern": "^[a-z_]{1,64}$",
    })
);

shape!(
    IssueBody,
    json!({
        "description": "What is handed over: assets (`asset_ids`; neither: everything still waiting), or whole lines (`line_ids`, 1 to 200: a kit's parts go out as a unit), not both. Read as an `Issue`.",
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "asset_ids": {"type": ["array", "null"], "items": {"type": "integer", "format": "int64"}},
                    "line_ids": {"type": "null"},
                },
                "additionalProperties": false,
            },
            {
                "type": "object",
                "required": ["line_ids"],
                "properties": {
                    "asset_ids": {"type": "null"},
                    "line_ids": {
                        "type": "array",
                        "items": {"type": "integer", "format": "int64"},
                        "minItems": 1,
                        "maxItems": 200,
                    },
                },
                "additionalProperties": false,
            },
        ],
    })
);
