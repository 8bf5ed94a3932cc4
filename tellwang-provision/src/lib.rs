//! Container provisioning of Woks on Docker. Not written yet: see issue 6.
