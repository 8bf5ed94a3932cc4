//! Tamper-evident, hash-chained audit ledger (one chain per team). Not written yet: see issue 3.
