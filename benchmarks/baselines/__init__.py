"""Bare-framework servers the rows measure their subjects against."""
