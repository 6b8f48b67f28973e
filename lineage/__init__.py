"""Lineage: certificates (hash + signature), verification, reports and exports."""
