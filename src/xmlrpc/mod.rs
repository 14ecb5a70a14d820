//! XML-RPC on the wire: values, `methodCall` parsing and `methodResponse`
//! / fault writing in the byte layout of Python's `xmlrpc.client`.
//!
//! * [`value`] — [`Value`], [`MethodCall`], [`Fault`], [`RequestError`].
//! * [`write_response`], [`write_fault`], [`write_call`] — Python's
//!   `Marshaller` layout, byte for byte.

mod pytext;
pub mod value;
mod write;

pub use value::{Fault, MethodCall, RequestError, Value};
pub use write::{write_call, write_fault, write_response};
