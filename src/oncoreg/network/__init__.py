"""The oncology network around the registry: facility capacity, referrals, tumour boards,
clinical trials with patient matching, and de-identified research extracts."""
