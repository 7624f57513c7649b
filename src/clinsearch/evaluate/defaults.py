"""Defaults of an evaluation, in a module of their own so that a face can show them without
loading numpy and scikit-learn."""

# The risk thresholds of the threshold table when none are asked for: 10-year risks of 5, 10 and
# 20 %, where prevention guidelines change their advice -- they separate the ESC 2023 categories
# of SCORE2-Diabetes (low, moderate, high, very high: scores/data/score2_diabetes.json), and 10 %
# and 20 % the Framingham risk groups (scores/data/framingham.json). Other scores want their own.
DEFAULT_THRESHOLDS = (0.05, 0.1, 0.2)
