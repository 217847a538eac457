"""Shared HTTP plumbing for the API functions."""
