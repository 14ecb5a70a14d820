//! XML-RPC on the wire: values, `methodCall` parsing and `methodResponse`
//! / fault writing in the byte layout of Python's `xmlrpc.client`.
