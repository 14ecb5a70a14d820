//! Python supervisorctl against 4.3 and ours (being written).
