"""Verval Ponsel: verification and validation of students' and teachers' mobile numbers."""
