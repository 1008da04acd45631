"""The estimators, one module per feature."""
