//! The heavy part of a PATCH — applying the operations and validating the patched item — off the
//! async runtime when the body is long, and what a token that cannot read the item is told when
//! it fails: only what its own operations decided, never what the stored item did.

use crate::http::error::{ApiError, ApiResult};
use crate::model::{
    build_item, patch_item, BuildMode, Category, ItemData, Limits, PatchError, PatchOp, Written,
    WITHHELD,
};
use crate::store::ItemRecord;

/// The validated new content and what the request set, or the 400 to answer.
pub(super) type Outcome = ApiResult<(ItemData, Written)>;

/// Bodies with more operations than this are applied on a blocking thread. The clients that
/// send PATCH send a handful of operations; for those the hop would cost more than the work.
const INLINE_OPS: usize = 16;

/// Applies `ops` to `current` and validates the result; the operations come back for the writer
/// (an upstream Connect server is sent the same ones).
pub(super) async fn run(
    current: &ItemRecord,
    ops: Vec<PatchOp>,
    limits: Limits,
    can_read: bool,
) -> ApiResult<(Vec<PatchOp>, Outcome)> {
    if ops.len() <= INLINE_OPS {
        let outcome = apply(&current.data, current.category, &ops, &limits, can_read);
        return Ok((ops, outcome));
    }
    let data = current.data.clone();
    let category = current.category;
    tokio::task::spawn_blocking(move || {
        let outcome = apply(&data, category, &ops, &limits, can_read);
        (ops, outcome)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))
}

fn apply(
    data: &ItemData,
    category: Category,
    ops: &[PatchOp],
    limits: &Limits,
    can_read: bool,
) -> Outcome {
    let patched = patch_item(data, category, ops, limits).map_err(|e| refusal(&e, can_read))?;
    if !can_read {
        if let Some(id) = patched.written.type_change_keeping_value() {
            // Validating the stored value against the new type would answer whether it is a
            // date, a month or an OTP secret; the request must bring the value itself.
            return Err(ApiError::bad_request(format!(
                "Invalid patch: a token without read access must set the value of field {} in \
                 the request that changes its type",
                crate::text::quote(id, 64)
            )));
        }
    }
    let mode = BuildMode::Replace {
        category,
        previous: data,
    };
    let (_, built) = build_item(patched.input, &mode, limits).map_err(|message| {
        if can_read {
            ApiError::BadRequest(message)
        } else {
            ApiError::bad_request(WITHHELD)
        }
    })?;
    Ok((built, patched.written))
}

fn refusal(err: &PatchError, can_read: bool) -> ApiError {
    if can_read || !err.about_item() {
        ApiError::bad_request(err.message())
    } else {
        ApiError::bad_request(WITHHELD)
    }
}

/// A write refused further down (the store, or the upstream Connect server in a `connect`
/// deployment, whose 400 may describe the stored item) keeps its status, not its reason.
pub(super) fn withhold(err: ApiError, can_read: bool) -> ApiError {
    match err {
        ApiError::BadRequest(_) if !can_read => ApiError::bad_request(WITHHELD),
        other => other,
    }
}
