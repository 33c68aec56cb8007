"""The child director's domain: child files, guardians, visits, schedule, cases."""
