//! XML-RPC on the wire: values, `methodCall` parsing and `methodResponse`
//! / fault writing in the byte layout of Python's `xmlrpc.client`.
//!
//! * [`value`] — [`Value`], [`MethodCall`], [`Fault`], [`RequestError`].
//! * [`parse_method_call`] — the server reading a request, with
//!   Supervisor 4.3's rules.
//! * [`write_response`], [`write_fault`], [`write_call`] — Python's
//!   `Marshaller` layout, byte for byte.
//! * [`parse_response`] — the client reading a response, with Python's
//!   `Unmarshaller` rules.
//!
//! Both readers sit on one small strict XML reader of our own (`reader`):
//! no DOCTYPE or entity declarations, bounded depth, no recursion, no
//! panics, linear time.

mod reader;
mod request;
mod response;
pub mod value;
mod write;

#[cfg(test)]
mod tests;

/// Python's `base64.encodebytes` and lenient `decodebytes`, for HTTP basic
/// auth as well.
pub use crate::pytext::{base64_decode, base64_encode, float_repr};
pub use request::parse_method_call;
pub use response::parse_response;
pub use value::{Fault, MethodCall, RequestError, Value};
pub use write::{write_call, write_fault, write_response};
