"""The thin HTTP layer: blueprint, schemas, token identity and error envelope."""
