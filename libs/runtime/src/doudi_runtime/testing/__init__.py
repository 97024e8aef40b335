"""Test fixtures shared by every doudi test suite: a real broker process and real databases."""
