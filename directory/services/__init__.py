"""Every change to contacts, documents and feeds goes through these functions."""
