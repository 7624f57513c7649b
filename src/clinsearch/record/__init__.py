"""A patient's record read for a clinician: the summary (problem list, treatments, labs... each line with its citations), the timeline's marks and the drafted letter."""
