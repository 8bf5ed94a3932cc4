//! Export of a whole Wok as Terraform HCL. Not written yet: see issue 5.
