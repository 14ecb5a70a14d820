//! Python xmlrpc.client against 4.3 and ours (being written).
