"""Embedded services (PostgreSQL from a wheel, SeaweedFS `weed mini`) for local runs and tests."""
