//! Envelope encryption of per-Wok secrets under AES-256-GCM and a root KEK. Not written yet: see issue 4.
