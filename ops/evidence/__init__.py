"""Evidence that the product works as promised: benchmark, fuzzing, stack/fault/pair tests."""
