"""What is deployed: the webhook receiver and its configuration, auth, schema, logs and bounds."""
