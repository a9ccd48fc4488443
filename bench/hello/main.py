"""The baseline: a functions-framework function that reads the body and answers 200."""

import functions_framework


@functions_framework.http
def hello(request):
    """Read the whole body, as the receiver must, and answer 200."""
    request.get_data()
    return "ok\n", 200
