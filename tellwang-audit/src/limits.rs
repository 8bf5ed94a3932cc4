//! Size limits on appended fields. They keep one entry's hashed bytes small
//! and bounded, and every length prefix far inside its `u32`.

use crate::Error;

/// The longest canonical payload, in bytes.
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// The longest actor id or kind, in bytes.
pub const MAX_ACTOR: usize = 128;
/// The longest action, in bytes.
pub const MAX_ACTION: usize = 128;
/// The longest target, in bytes.
pub const MAX_TARGET: usize = 256;
/// The longest request id, in bytes.
pub const MAX_REQUEST_ID: usize = 128;

pub(crate) fn check_text(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    if value.len() < min {
        return Err(Error::Empty { field });
    }
    if value.len() > max {
        return Err(Error::TooLarge { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(Error::ControlCharacter { field });
    }
    Ok(())
}
