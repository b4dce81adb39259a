//! The usage index's files as bytes: a little-endian codec ([`codec`]) and the engine's values
//! in it ([`store`]).

pub(super) mod codec;
pub(super) mod store;
