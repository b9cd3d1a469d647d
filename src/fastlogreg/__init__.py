"""fastlogreg."""
