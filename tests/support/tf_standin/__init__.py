"""Stand-in Terraform providers with the published schemas of google, random, archive and time.

No provider registry is reachable, so `terraform init` installs these from a filesystem mirror
instead; see providers.py for where each schema comes from and what was changed.
"""
